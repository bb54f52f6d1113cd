import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditLog } from './audit-log.service';
import { AuditEntry, AuditEntrySchema } from './schemas/audit-entry.schema';

/** AuditLog for the domains that write entries (no routes: usable from any process). */
@Module({
  imports: [MongooseModule.forFeature([{ name: AuditEntry.name, schema: AuditEntrySchema }])],
  providers: [AuditLog],
  exports: [AuditLog],
})
export class AuditLogModule {}
