import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { StockMovementRecord, StockMovementRecordSchema } from './stock-movement-record.schema';
import { StockMovementStore } from './stock-movement.store';

/** The `stock_movements` collection and its one store: loaded by the API (reads), stock:verify and the relay. */
@Module({
  imports: [MongooseModule.forFeature([{ name: StockMovementRecord.name, schema: StockMovementRecordSchema }])],
  providers: [StockMovementStore],
  exports: [StockMovementStore],
})
export class StockMovementsModule {}
