import { Module } from '@nestjs/common';
import { ProductStoreModule } from './product-store.module';
import { InventoryService } from './inventory.service';

/** Stock for cart, checkout and the order lifecycle; writes go through the ProductStore. */
@Module({
  imports: [ProductStoreModule],
  providers: [InventoryService],
  exports: [InventoryService],
})
export class InventoryModule {}
