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

export class TooManyRequestsError extends DomainError {
  readonly statusCode = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
