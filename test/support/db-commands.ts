import type { CommandStartedEvent } from 'mongodb';
import type { Connection } from 'mongoose';

/** Handshakes and health checks of the driver itself, not work done for a request. */
const HOUSEKEEPING = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'endSessions', 'buildInfo']);

/**
 * The database commands (round trips) the app sends while `action` runs, counted with the
 * driver's command monitoring. The app must run with MONGODB_MONITOR_COMMANDS=true.
 */
export async function dbCommandsDuring(connection: Connection, action: () => Promise<unknown>): Promise<string[]> {
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
