/**
 * What went wrong, as the business rules see it. The HTTP status of each kind is chosen in one
 * place, the exception filter at the HTTP edge (`STATUS_OF_KIND`); nothing below it knows one.
 */
export type ErrorKind =
  | 'invalid-input'
  | 'not-authenticated'
  | 'not-allowed'
  | 'not-found'
  | 'state-conflict'
  | 'rule-violation'
  | 'limit-reached'
  | 'busy'
  | 'dependency-unavailable';

/**
 * Expected failures. Services, guards and decorators throw these (never an HttpException); each
 * kind below is one base class, and a module's own errors extend the kind they are.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** Extra fields merged into the error response (e.g. which cart lines are short). */
  readonly details?: Record<string, unknown>;

  constructor(message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The request itself is wrong (a malformed header, a value a rule refuses); retrying it as is fails again. */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid-input';
}

/** No valid credentials: log in (again). */
export class NotAuthenticatedError extends DomainError {
  readonly kind = 'not-authenticated';
}

/** Who is asking may not do this (a role, or a right earned elsewhere, is missing). */
export class NotAllowedError extends DomainError {
  readonly kind = 'not-allowed';
}

/** No such thing, or not the caller's. */
export class NotFoundError extends DomainError {
  readonly kind = 'not-found';
}

/** Refused by the current state of what is addressed: a duplicate, a step the state forbids, short stock. */
export class StateConflictError extends DomainError {
  readonly kind = 'state-conflict';
}

/** Well-formed, but a business rule refuses it (a reused key, a declined payment). */
export class RuleViolationError extends DomainError {
  readonly kind = 'rule-violation';
}

/** A dependency other than MongoDB or Redis (a payment provider, say) failed or timed out. */
export class DependencyUnavailableError extends DomainError {
  readonly kind = 'dependency-unavailable';
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

/** The caller used up a limit (requests, login attempts); it renews after `retryAfterSeconds`. */
export class LimitReachedError extends RetryLaterError {
  readonly kind = 'limit-reached';
}

/** The server is shedding load (not an outage): the same request may succeed in a moment. */
export class BusyError extends RetryLaterError {
  readonly kind = 'busy';
}

export function retryAfterOf(error: unknown): number | undefined {
  return error instanceof RetryLaterError ? error.retryAfterSeconds : undefined;
}
