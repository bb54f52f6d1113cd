import { ArgumentsHost, BadRequestException, ForbiddenException } from '@nestjs/common';
import { AllExceptionsFilter, CUT_OFF_MESSAGE } from './all-exceptions.filter';
import {
  BusyError,
  DependencyUnavailableError,
  InvalidInputError,
  LimitReachedError,
  NotAllowedError,
  NotAuthenticatedError,
  NotFoundError,
  retryAfterOf,
  RuleViolationError,
  StateConflictError,
} from './domain-error';
import { isDuplicateKeyError } from './duplicate-key';

describe('AllExceptionsFilter.toBody', () => {
  const filter = new AllExceptionsFilter();

  it('keeps HTTP exceptions, with validation messages as a list', () => {
    expect(filter.toBody(new BadRequestException(['name must be a string']))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: ['name must be a string'],
    });
    expect(filter.toBody(new ForbiddenException())).toMatchObject({ statusCode: 403, error: 'Forbidden' });
  });

  it('maps domain errors to their status and carries their details', () => {
    expect(filter.toBody(new StateConflictError('Short stock', { lines: ['a'] }))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'Short stock',
      lines: ['a'],
    });
    expect(filter.toBody(new LimitReachedError('Slow down', 30)).statusCode).toBe(429);
    expect(filter.toBody(new BusyError('Busy', 1)).statusCode).toBe(503);
    expect([retryAfterOf(new LimitReachedError('Slow down', 30)), retryAfterOf(new BusyError('Busy', 1))]).toEqual([30, 1]);
    expect(retryAfterOf(new StateConflictError('No'))).toBeUndefined();
  });

  it.each([
    [new InvalidInputError('Bad value'), 400, 'Bad Request'],
    [new NotAuthenticatedError('Log in'), 401, 'Unauthorized'],
    [new NotAllowedError('Not yours to do'), 403, 'Forbidden'],
    [new NotFoundError('No such thing'), 404, 'Not Found'],
    [new StateConflictError('Already there'), 409, 'Conflict'],
    [new RuleViolationError('Against the rules'), 422, 'Unprocessable Entity'],
    [new LimitReachedError('Slow down', 30), 429, 'Too Many Requests'],
    [new BusyError('Busy', 1), 503, 'Service Unavailable'],
    [new DependencyUnavailableError('Provider down'), 503, 'Service Unavailable'],
  ])('answers %s with %i %s and its own message', (error, statusCode, name) => {
    expect(filter.toBody(error)).toEqual({ statusCode, error: name, message: error.message });
    // The status is the filter's choice alone: the error says only what went wrong.
    expect(error).not.toHaveProperty('statusCode');
  });

  it('names the fields of a duplicate key, from the driver or from the index name', () => {
    expect(filter.toBody({ code: 11000, keyPattern: { email: 1 } }).message).toBe('A record with the same email already exists');
    const standIn = { code: 11000, message: 'E11000 duplicate key error collection: shop.reviews index: productId_1_userId_1 dup key' };
    expect(filter.toBody(standIn)).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'A record with the same productId, userId already exists',
    });
    expect(isDuplicateKeyError(standIn, 'userId')).toBe(true);
    expect(isDuplicateKeyError(standIn, 'slug')).toBe(false);
  });

  it('answers 400 for malformed ids reaching Mongoose', () => {
    expect(filter.toBody(Object.assign(new Error('Cast to ObjectId failed'), { name: 'CastError', path: '_id' }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Malformed value for _id',
    });
  });

  it('answers 503 when MongoDB or Redis cannot be reached', () => {
    const mongoDown = Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoServerSelectionError' });
    const redisDown = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    expect(filter.toBody(mongoDown).statusCode).toBe(503);
    expect(filter.toBody(redisDown).statusCode).toBe(503);
  });

  it('hides everything else behind a bare 500', () => {
    expect(filter.toBody(new TypeError('secret internals at line 42'))).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
  });
});

describe('AllExceptionsFilter.catch', () => {
  const answer = (request: object, exception: unknown) => {
    const sent: { status?: number; body?: unknown } = {};
    const response = {
      headersSent: false,
      setHeader: () => undefined,
      status(code: number) {
        sent.status = code;
        return this;
      },
      json(body: unknown) {
        sent.body = body;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => response, getRequest: () => request }) } as unknown as ArgumentsHost;
    new AllExceptionsFilter().catch(exception, host);
    return sent;
  };

  it("answers 400, not 500, when the client hung up before its body's end", () => {
    const cutOff = { complete: false, destroyed: true, socket: { destroyed: true } };
    expect(answer(cutOff, new Error('Unexpected end of form'))).toEqual({
      status: 400,
      body: { statusCode: 400, error: 'Bad Request', message: CUT_OFF_MESSAGE },
    });
  });

  it('keeps the 500 of a fault that happens after the whole request arrived', () => {
    const whole = { complete: true, destroyed: true, socket: { destroyed: true } };
    expect(answer(whole, new TypeError('bug')).status).toBe(500);
  });
});
