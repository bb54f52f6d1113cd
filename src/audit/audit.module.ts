import { Module } from '@nestjs/common';
import { AdminAuditLogController } from './admin-audit-log.controller';
import { AuditLogModule } from './audit-log.module';

/** The admin's read of the audit log (HTTP process). */
@Module({
  imports: [AuditLogModule],
  controllers: [AdminAuditLogController],
})
export class AuditModule {}
