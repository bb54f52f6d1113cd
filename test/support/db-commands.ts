import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';

/** Handshakes and health checks of the driver itself, not work done for a request. */
const HOUSEKEEPING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo']);

/** Marks this module's own polling queries, which are not the app's work. */
const SETTLE_COMMENT = 'test: waiting for relays';

/**
 * What `describe` makes of each database command the app sends while `action` runs (undefined:
 * not counted), with the driver's command monitoring, including the commands of the outbox
 * relays the action's writes start after answering (a checkout's OrderPlaced relay is not
 * awaited): recording stops once they are done, so a count never depends on how fast they were.
 * The app must run with MONGODB_MONITOR_COMMANDS=true.
 */
async function recordedDuring<T>(connection: Connection, action: () => Promise<unknown>, describe: (event: CommandStartedEvent) => T | undefined): Promise<T[]> {
  await relaysSettled(connection);
  const recorded: T[] = [];
  const client = connection.getClient();
  const listener = (event: CommandStartedEvent) => {
    if (HOUSEKEEPING.has(event.commandName) || event.command.comment === SETTLE_COMMENT) return;
    const described = describe(event);
    if (described !== undefined) recorded.push(described);
  };
  client.on('commandStarted', listener);
  try {
    await action();
    await relaysSettled(connection);
  } finally {
    client.off('commandStarted', listener);
  }
  return recorded;
}

/** The database commands (round trips) the app sends while `action` runs, by name (see recordedDuring). */
export function dbCommandsDuring(connection: Connection, action: () => Promise<unknown>): Promise<string[]> {
  return recordedDuring(connection, action, (event) => event.commandName);
}

/** The same, each as `<command> <collection>` (e.g. `update orders`); commands on no collection are left out. */
export function dbCommandsOnCollectionsDuring(connection: Connection, action: () => Promise<unknown>): Promise<string[]> {
  return recordedDuring(connection, action, (event) => {
    const collection = (event.command as Record<string, unknown>)[event.commandName];
    return typeof collection === 'string' ? `${event.commandName} ${collection}` : undefined;
  });
}

/** The aggregation pipelines the app sends while `action` runs (see recordedDuring). */
export function aggregationsDuring(connection: Connection, action: () => Promise<unknown>): Promise<Record<string, unknown>[][]> {
  return recordedDuring(connection, action, (event) => (event.commandName === 'aggregate' ? (event.command.pipeline as Record<string, unknown>[]) : undefined));
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
