import { Module } from '@nestjs/common';
import { JobsModule } from '../../jobs/jobs.module';
import { ProductStoreModule } from '../product-store.module';
import { StockMovementRelay } from './stock-movement-relay';
import { StockMovementsModule } from './stock-movements.module';

/**
 * The relay of buffered stock movements to `stock_movements` and its schedule. Loaded by the
 * worker and the API (which runs it only with RUN_WORKER_IN_API, like every job).
 */
@Module({
  imports: [ProductStoreModule, StockMovementsModule, JobsModule.forFeature(['stock-movements-sweep'])],
  providers: [StockMovementRelay],
})
export class StockMovementRelayModule {}
