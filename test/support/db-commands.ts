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
