import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureHttpApp, HTTP_APP_OPTIONS } from './app.setup';
import { AppConfig } from './config/app-config';
import { exitGracefullyOnSignals } from './core/shutdown';

async function bootstrap(): Promise<void> {
  const app = configureHttpApp(await NestFactory.create(AppModule, HTTP_APP_OPTIONS));
  const config = app.get(AppConfig);
  const [port, host] = [config.get('PORT'), config.get('HOST')];
  exitGracefullyOnSignals(app, app.get(Logger));
  await app.listen(port, host);
  app.get(Logger).log(`API listening on ${host}:${port}`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  // Config errors list every bad variable; print them plainly, not as a stack trace.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
