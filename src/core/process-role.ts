export const PROCESS_ROLE = Symbol('PROCESS_ROLE');

/** The HTTP API, the queue worker or a one-off command: all built from the same modules. */
export type ProcessRole = 'api' | 'worker' | 'cli';
