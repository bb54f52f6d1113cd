export const PROCESS_ROLE = Symbol('PROCESS_ROLE');

/** The HTTP API or the queue worker: both are built from the same modules. */
export type ProcessRole = 'api' | 'worker';
