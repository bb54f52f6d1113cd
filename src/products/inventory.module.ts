import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { ProductStoreModule } from './product-store.module';
import { InventoryService } from './inventory.service';

/** Stock for cart, checkout and the order lifecycle; writes go through the ProductStore. */
@Module({
  imports: [ProductStoreModule, AuditLogModule],
  providers: [InventoryService],
  exports: [InventoryService],
})
export class InventoryModule {}
