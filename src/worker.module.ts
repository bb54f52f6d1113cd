import { Module } from '@nestjs/common';
import { CoreModule } from './core/core.module';

/** The queue worker: the same core and domain services as the API, no HTTP controllers. */
@Module({
  imports: [CoreModule],
})
export class WorkerModule {}
