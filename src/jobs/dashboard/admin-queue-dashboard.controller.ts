import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type AuthUser } from '../../auth/decorators/current-user.decorator';
import { Roles } from '../../auth/decorators/roles.decorator';
import { QueueDashboardAccess } from './queue-dashboard-access';

export class QueueDashboardLinkDto {
  /**
   * Path of the dashboard with a one-minute signed ticket, relative to the API's origin. Opened in
   * a browser it sets a 30-minute cookie for the dashboard (bound to this login session) and
   * redirects there.
   */
  url!: string;
  expiresAt!: Date;
}

@ApiTags('admin: queues')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/queue-dashboard')
export class AdminQueueDashboardController {
  constructor(private readonly access: QueueDashboardAccess) {}

  /** A short-lived signed link to the queue dashboard (/api/v1/admin/queues) for a browser. */
  @Post('links')
  @HttpCode(201)
  async createLink(@CurrentUser() user: AuthUser): Promise<QueueDashboardLinkDto> {
    return this.access.issueLink(user.id, user.sessionId);
  }
}
