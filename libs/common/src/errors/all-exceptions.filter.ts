import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Response } from 'express';
import { DomainError, type ErrorKind, retryAfterOf } from './domain-error';
import { duplicateKeyFields } from './duplicate-key';

/** The one error shape of the API: `{ statusCode, error, message }` (API.md, Conventions). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
  [extra: string]: unknown;
}

interface MongoLikeError {
  name?: string;
  kind?: string;
  path?: string;
  errors?: Record<string, { message: string }>;
}

/** Express body-parser errors carry an HTTP status and a `type`. */
interface BodyParserError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** The HTTP status of each kind of domain error: the one place they are paired. */
export const STATUS_OF_KIND: { readonly [K in ErrorKind]: HttpStatus } = {
  'invalid-input': HttpStatus.BAD_REQUEST,
  'not-authenticated': HttpStatus.UNAUTHORIZED,
  'not-allowed': HttpStatus.FORBIDDEN,
  'not-found': HttpStatus.NOT_FOUND,
  'state-conflict': HttpStatus.CONFLICT,
  'rule-violation': HttpStatus.UNPROCESSABLE_ENTITY,
  'limit-reached': HttpStatus.TOO_MANY_REQUESTS,
  // Both 503 with the error's message: shedding load comes with Retry-After, a failed provider not.
  busy: HttpStatus.SERVICE_UNAVAILABLE,
  'dependency-unavailable': HttpStatus.SERVICE_UNAVAILABLE,
};

/**
 * Turns every exception into the API error shape. Domain errors get their kind's status;
 * database errors a client can cause map to 4xx (malformed ids → 400, duplicate keys → 409);
 * anything else is logged with its stack and answered with a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<IncomingMessage | undefined>();
    if (request && cutOffByClient(request)) {
      // The client hung up in the middle of its body (an upload, say): whatever failed next
      // failed for that reason, not for a fault of ours. The answer reaches nobody; it is sent
      // so the request ends in the logs as the client's doing.
      this.logger.warn(`Request cut off by the client: ${exception instanceof Error ? exception.message : String(exception)}`);
      if (!response.headersSent) response.status(HttpStatus.BAD_REQUEST).json(shape(HttpStatus.BAD_REQUEST, CUT_OFF_MESSAGE));
      return;
    }
    const body = this.toBody(exception);
    // Domain errors are expected answers, not faults: only the rest is logged.
    if (!(exception instanceof DomainError)) this.logFault(exception, body.statusCode);
    if (response.headersSent) return;
    const retryAfter = retryAfterOf(exception);
    if (retryAfter !== undefined) response.setHeader('Retry-After', String(retryAfter));
    response.status(body.statusCode).json(body);
  }

  private logFault(exception: unknown, statusCode: number): void {
    if (statusCode === HttpStatus.SERVICE_UNAVAILABLE && !(exception instanceof HttpException)) {
      this.logger.error(`Outage: ${(exception as Error).message}`);
    } else if (statusCode >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof HttpException) return this.fromHttpException(exception);
    if (exception instanceof DomainError) {
      return { ...exception.details, ...shape(STATUS_OF_KIND[exception.kind], exception.message) };
    }

    const fields = duplicateKeyFields(exception);
    if (fields) {
      const what = fields.length > 0 ? fields.join(', ') : 'unique value';
      return shape(HttpStatus.CONFLICT, `A record with the same ${what} already exists`);
    }
    const mongo = exception as MongoLikeError;
    if (mongo?.name === 'CastError' || mongo?.name === 'BSONError') {
      const path = mongo.path ? ` for ${mongo.path}` : '';
      return shape(HttpStatus.BAD_REQUEST, `Malformed value${path}`);
    }
    if (mongo?.name === 'ValidationError' && mongo.errors) {
      return shape(
        HttpStatus.BAD_REQUEST,
        Object.values(mongo.errors).map((error) => error.message),
      );
    }

    if (isOutage(exception)) {
      return shape(HttpStatus.SERVICE_UNAVAILABLE, 'A backing service is unavailable; try again shortly');
    }

    const parser = exception as BodyParserError;
    const parserStatus = parser?.status ?? parser?.statusCode;
    if (typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500 && parser.expose) {
      const message = parser.type === 'entity.parse.failed' ? 'Malformed JSON body' : (parser.message ?? '');
      return shape(parserStatus, message);
    }

    return shape(HttpStatus.INTERNAL_SERVER_ERROR, 'Internal server error');
  }

  private fromHttpException(exception: HttpException): ErrorBody {
    const statusCode = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') return shape(statusCode, response);
    const { message } = response as { message?: string | string[] };
    return shape(statusCode, message ?? exception.message);
  }
}

const MONGO_OUTAGES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
]);
const REDIS_OUTAGE = /Stream isn't writeable|Connection is closed|ECONNREFUSED|MaxRetriesPerRequest/;

/** A database or Redis that cannot be reached: the client should retry later (503), not a bug. */
function isOutage(exception: unknown): boolean {
  if (!(exception instanceof Error)) return false;
  return MONGO_OUTAGES.has(exception.name) || exception.name === 'MaxRetriesPerRequestError' || REDIS_OUTAGE.test(exception.message);
}

export const CUT_OFF_MESSAGE = 'The request was cut off before its end';

/** The client closed the connection before its whole request (body included) had arrived. */
function cutOffByClient(request: IncomingMessage): boolean {
  return request.complete === false && (request.destroyed || request.socket?.destroyed === true);
}

function shape(statusCode: number, message: string | string[]): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}
