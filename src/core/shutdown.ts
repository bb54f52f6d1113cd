import type { INestApplicationContext, LoggerService } from '@nestjs/common';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Graceful stop on SIGTERM / SIGINT: close the app (HTTP server stops accepting, queues finish
 * their current jobs, connections close), then exit 0. Nest's own enableShutdownHooks re-raises
 * the signal after closing, which reports a clean stop as "killed by SIGTERM".
 * A stop that hangs longer than `timeoutMs` exits 1.
 */
export function exitGracefullyOnSignals(app: INestApplicationContext, logger: LoggerService, timeoutMs = 15_000): void {
  let stopping = false;
  for (const signal of SIGNALS) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal} received: shutting down`, 'Shutdown');
      setTimeout(() => {
        logger.error(`Shutdown took longer than ${timeoutMs} ms; exiting anyway`, undefined, 'Shutdown');
        process.exit(1);
      }, timeoutMs).unref();
      app
        .close()
        .then(() => {
          logger.log('Stopped cleanly', 'Shutdown');
          process.exit(0);
        })
        .catch((error: unknown) => {
          logger.error(`Shutdown failed: ${(error as Error).message}`, undefined, 'Shutdown');
          process.exit(1);
        });
    });
  }
}
