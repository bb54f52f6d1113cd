import { INestApplication, Type } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import type { Connection } from 'mongoose';
import type * as AppModuleFile from '../../src/app.module';
import type * as AppSetupFile from '../../src/app.setup';
import { testEnvironment } from './test-env';

export interface TestApp {
  app: INestApplication;
  /** The Express server for supertest. */
  http: ReturnType<INestApplication['getHttpServer']>;
  env: Record<string, string>;
  connection: Connection;
  close(): Promise<void>;
}

/**
 * Boots the real HTTP app (same modules, same pipeline as main.ts) against the local stack.
 * The environment is set before the app module is imported, because configuration is
 * validated when the module is loaded; jest gives every test file a fresh module registry.
 */
let createdInThisFile = false;

/** A provider replaced in the app under test (a test hook, e.g. a relay that "crashes"). */
export interface ProviderOverride {
  provide: Type | string | symbol;
  useClass: Type;
}

export async function createTestApp(
  options: { env?: Record<string, string>; extraModules?: Type[]; overrides?: ProviderOverride[] } = {},
): Promise<TestApp> {
  if (createdInThisFile) {
    throw new Error('One createTestApp per test file: the configuration is read once per module registry');
  }
  createdInThisFile = true;
  const env = testEnvironment(options.env);
  Object.assign(process.env, env);
  const instance = await bootInstance(options.extraModules ?? [], options.overrides ?? []);
  return {
    ...instance,
    env,
    async close() {
      await instance.connection.dropDatabase().catch(() => undefined);
      await instance.app.close();
    },
  };
}

/**
 * A second API instance with the same configuration (same database, same Redis prefix), as a
 * horizontally scaled deployment would run it. Its close() leaves the shared data alone.
 */
export async function anotherInstanceOf(first: TestApp): Promise<TestApp> {
  const instance = await bootInstance([]);
  return { ...instance, env: first.env, close: () => instance.app.close() };
}

async function bootInstance(extraModules: Type[], overrides: ProviderOverride[] = []): Promise<Pick<TestApp, 'app' | 'http' | 'connection'>> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after the env is set
  const { AppModule } = require('../../src/app.module') as typeof AppModuleFile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { configureHttpApp, HTTP_APP_OPTIONS } = require('../../src/app.setup') as typeof AppSetupFile;

  const builder = Test.createTestingModule({ imports: [AppModule, ...extraModules] });
  for (const override of overrides) builder.overrideProvider(override.provide).useClass(override.useClass);
  const moduleRef = await builder.compile();
  const app = configureHttpApp(moduleRef.createNestApplication(HTTP_APP_OPTIONS));
  await app.init();
  return { app, http: app.getHttpServer(), connection: app.get<Connection>(getConnectionToken()) };
}
