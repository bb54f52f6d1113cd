import { DynamicModule, Global, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { CacheModule } from '@nestjs/cache-manager';
import { InjectConnection, MongooseModule } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import { createKeyvNonBlocking } from '@keyv/redis';
import { LoggerModule } from 'nestjs-pino';
import { AppConfigModule } from '../config/config.module';
import { AppConfig } from '../config/app-config';
import { RedisModule } from '../redis/redis.module';
import { loggerOptions } from './logger.options';
import { PROCESS_ROLE, ProcessRole } from './process-role';

/**
 * Infrastructure shared by the HTTP API and the queue worker: validated config, JSON logging,
 * MongoDB, Redis (direct client, cache store and Bull queues).
 */
@Global()
@Module({
  imports: [
    AppConfigModule,
    LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
    MongooseModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        uri: config.get('MONGODB_URI'),
        serverSelectionTimeoutMS: 5000,
        monitorCommands: config.get('MONGODB_MONITOR_COMMANDS'),
        // Index builds run at start-up from the schema declarations.
        autoIndex: true,
      }),
    }),
    RedisModule,
    CacheModule.registerAsync({
      isGlobal: true,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('Cache');
        const store = createKeyvNonBlocking(config.get('REDIS_URL'), {
          namespace: `${config.get('REDIS_KEY_PREFIX')}:cache`,
          throwOnConnectError: false,
          throwOnErrors: false,
          connectionTimeout: 2000,
        });
        // An unreachable cache must degrade to uncached reads, never crash the process.
        store.on('error', (error: Error) => logger.warn(`Cache store error: ${error.message}`));
        return { stores: [store], ttl: 60_000 };
      },
    }),
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        redis: config.get('REDIS_URL'),
        prefix: `${config.get('REDIS_KEY_PREFIX')}:bull`,
      }),
    }),
  ],
  exports: [AppConfigModule, RedisModule, MongooseModule, CacheModule, BullModule],
})
export class CoreModule implements OnApplicationBootstrap {
  constructor(@InjectConnection() private readonly connection: Connection) {}

  /**
   * Waits for the index builds mongoose starts when models compile, before the first request:
   * unique indexes must exist before writes rely on them (and the stand-in's H2 backend can fail
   * a write that races an index build on a fresh database).
   */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(Object.values(this.connection.models).map((model) => model.init()));
  }

  /** `role` tells shared modules which process they run in (the worker runs queue jobs). */
  static forRoot(role: ProcessRole): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: PROCESS_ROLE, useValue: role }],
      exports: [PROCESS_ROLE],
    };
  }
}
