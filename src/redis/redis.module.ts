import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

export const REDIS = Symbol('REDIS');

/**
 * One shared ioredis connection for sessions, rate limits and health checks. Commands fail fast
 * while Redis is unreachable (no offline queue) so a request gets an error instead of hanging.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: async (config: AppConfig): Promise<Redis> => {
        const logger = new Logger('Redis');
        const client = new Redis(config.get('REDIS_URL'), {
          keyPrefix: `${config.get('REDIS_KEY_PREFIX')}:`,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        });
        let lastError = '';
        client.on('error', (error: Error) => {
          // ioredis reports every failed reconnect; log each distinct failure once.
          if (error.message !== lastError) logger.warn(`Redis error: ${error.message}`);
          lastError = error.message;
        });
        client.on('ready', () => (lastError = ''));
        // Wait briefly for the first connection so early commands do not fail; start anyway when
        // Redis is down (health then reports it and requests that need it fail cleanly).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3000);
          client.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        return client;
      },
    },
  ],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
