import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { StorageModule } from '../storage/storage.module';
import { ProductImagesService } from './product-images.service';
import { ProductStoreModule } from './product-store.module';

/** Separate so that the multer options factory (its own module scope) can inject the service. */
@Module({
  imports: [ProductStoreModule, StorageModule, AuditLogModule],
  providers: [ProductImagesService],
  exports: [ProductImagesService, StorageModule],
})
export class ProductImagesModule {}
