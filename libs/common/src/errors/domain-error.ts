/**
 * Expected failures of the business rules. Services throw these; the global exception filter
 * maps each kind to one HTTP status, so no service builds an HttpException itself.
 */
export abstract class DomainError extends Error {
  abstract readonly statusCode: number;
  /** Extra fields merged into the error response (e.g. which cart lines are short). */
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class BadRequestError extends DomainError {
  readonly statusCode = 400;
}

export class UnauthorizedError extends DomainError {
  readonly statusCode = 401;
}

export class NotFoundError extends DomainError {
  readonly statusCode = 404;
}

export class ConflictError extends DomainError {
  readonly statusCode = 409;
}

export class UnprocessableEntityError extends DomainError {
  readonly statusCode = 422;
}

/** A dependency other than MongoDB or Redis (a payment provider, say) failed or timed out. */
export class ServiceUnavailableError extends DomainError {
  readonly statusCode = 503;
}

/** A refusal that says when to come back: the filter sends `retryAfterSeconds` as `Retry-After`. */
abstract class RetryLaterError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export class TooManyRequestsError extends RetryLaterError {
  readonly statusCode = 429;
}

/** The server is shedding load (not an outage): the same request may succeed in a moment. */
export class ServiceBusyError extends RetryLaterError {
  readonly statusCode = 503;
}

export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof RetryLaterError ? error.retryAfterSeconds : undefined;
}
