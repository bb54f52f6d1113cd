import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage } from '@app/common';
import { Roles } from '../access/roles.decorator';
import { AuditLog } from './audit-log.service';
import { AuditLogQueryDto, AuditLogResponseDto, toAuditEntryResponse } from './dto/audit-log.dto';

/** Read-only: no route changes or deletes an entry. */
@ApiTags('admin: audit log')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/audit-log')
export class AdminAuditLogController {
  constructor(private readonly audit: AuditLog) {}

  /** Every successful admin write, newest first; filter by `entity`, `entityId`, `actorId` and time (`from` ≤ at < `to`). */
  @Get()
  async list(@Query() query: AuditLogQueryDto): Promise<AuditLogResponseDto> {
    return mapPage(await this.audit.list(query), toAuditEntryResponse);
  }
}
