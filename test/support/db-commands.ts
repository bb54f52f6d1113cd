import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';

/** Handshakes and health checks of the driver itself, not work done for a request. */
const HOUSEKEEPING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo']);

/** Marks this module's own polling queries, which are not the app's work. */
const SETTLE_COMMENT = 'test: waiting for relays';

/**
 * The database commands (round trips) the app sends while `action` runs, counted with the
 * driver's command monitoring, including those of the outbox relays the action's writes start
 * after answering (a checkout's OrderPlaced relay is not awaited): counting stops once they are
 * done, so a count never depends on how fast they were. The app must run with
 * MONGODB_MONITOR_COMMANDS=true.
 */
export async function dbCommandsDuring(connection: Connection, action: () => Promise<unknown>): Promise<string[]> {
  await relaysSettled(connection);
  const commands: string[] = [];
  const client = connection.getClient();
  const listener = (event: CommandStartedEvent) => {
    if (!HOUSEKEEPING.has(event.commandName) && event.command.comment !== SETTLE_COMMENT) commands.push(event.commandName);
  };
  client.on('commandStarted', listener);
  try {
    await action();
    await relaysSettled(connection);
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
 * Product writes and checkouts hand their recorded events to the queue after they answer
 * (ProductOutboxRelay, OutboxRelay.inBackground): their reads and removals of the events belong
 * to the write that recorded them. Waits (up to 5 s: with Redis away they stay for the sweeper)
 * until no product and no order holds one.
 */
async function relaysSettled(connection: Connection): Promise<void> {
  const deadline = Date.now() + 5000;
  const pending = { 'outbox.0': { $exists: true } };
  while (Date.now() < deadline) {
    const [products, orders] = await Promise.all([
      connection.collection('products').countDocuments(pending, { comment: SETTLE_COMMENT }),
      connection.collection('orders').countDocuments(pending, { comment: SETTLE_COMMENT }),
    ]);
    if (products + orders === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
