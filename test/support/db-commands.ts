import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';

/** Handshakes and health checks of the driver itself, not work done for a request. */
const HOUSEKEEPING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo']);

/**
 * The database commands (round trips) the app sends while `action` runs, counted with the
 * driver's command monitoring. The app must run with MONGODB_MONITOR_COMMANDS=true.
 */
export async function dbCommandsDuring(connection: Connection, action: () => Promise<unknown>): Promise<string[]> {
  await productRelaysSettled(connection);
  const commands: string[] = [];
  const client = connection.getClient();
  const listener = (event: CommandStartedEvent) => {
    if (!HOUSEKEEPING.has(event.commandName)) commands.push(event.commandName);
  };
  client.on('commandStarted', listener);
  try {
    await action();
  } finally {
    client.off('commandStarted', listener);
  }
  return commands;
}

/** The aggregation pipelines the app sends while `action` runs (see dbCommandsDuring). */
export async function aggregationsDuring(connection: Connection, action: () => Promise<unknown>): Promise<Record<string, unknown>[][]> {
  const pipelines: Record<string, unknown>[][] = [];
  const client = connection.getClient();
  const listener = (event: CommandStartedEvent) => {
    if (event.commandName === 'aggregate') pipelines.push(event.command.pipeline as Record<string, unknown>[]);
  };
  client.on('commandStarted', listener);
  try {
    await action();
  } finally {
    client.off('commandStarted', listener);
  }
  return pipelines;
}

/**
 * A product write hands its recorded events to the queue after it answers (ProductOutboxRelay,
 * not awaited): its read and its removal of the events would be counted against whatever runs
 * next. Waits (up to 5 s: with Redis away they stay for the sweeper) until no product holds one.
 */
async function productRelaysSettled(connection: Connection): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if ((await connection.collection('products').countDocuments({ 'outbox.0': { $exists: true } })) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
