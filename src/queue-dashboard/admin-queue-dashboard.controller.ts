import { Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { QueueDashboardLinkDto } from './dto/queue-dashboard-link.dto';
import { QueueDashboardAccess } from './queue-dashboard-access';

@ApiTags('admin: queues')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/queue-dashboard')
export class AdminQueueDashboardController {
  constructor(private readonly access: QueueDashboardAccess) {}

  /** A short-lived signed link to the queue dashboard (/api/v1/admin/queues) for a browser. */
  @Post('links')
  async createLink(@CurrentUser() user: AuthUser): Promise<QueueDashboardLinkDto> {
    return this.access.issueLink(user.id, user.sessionId);
  }
}
