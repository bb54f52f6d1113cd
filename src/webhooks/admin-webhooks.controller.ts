import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import {
  CreateWebhookDto,
  toWebhookResponse,
  toWebhookWithSecretResponse,
  toWebhookDeliveryResponse,
  UpdateWebhookDto,
  WebhookDeliveryListResponseDto,
  WebhookListResponseDto,
  WebhookResponseDto,
  WebhookWithSecretResponseDto,
} from './dto/webhook.dto';
import { WebhookDeliveries } from './webhook-deliveries';
import { WebhooksService } from './webhooks.service';

@ApiTags('admin: webhooks')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/webhooks')
export class AdminWebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveries,
  ) {}

  /** Every endpoint, newest first (never their secrets). */
  @Get()
  async list(@Query() query: PaginationQueryDto): Promise<WebhookListResponseDto> {
    return mapPage(await this.webhooks.list(query), toWebhookResponse);
  }

  /** The answer carries the signing secret (`whsec_…`): the only time it is shown. */
  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateWebhookDto): Promise<WebhookWithSecretResponseDto> {
    return toWebhookWithSecretResponse(await this.webhooks.create(dto, user));
  }

  /** Any subset of url, events and active (false pauses). */
  @Patch(':id')
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @Body() dto: UpdateWebhookDto): Promise<WebhookResponseDto> {
    return toWebhookResponse(await this.webhooks.update(id, dto, user));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.webhooks.remove(id, user);
  }

  /** A new secret, answered once; the old one signs nothing from now on. */
  @Post(':id/rotate-secret')
  @HttpCode(200)
  async rotateSecret(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<WebhookWithSecretResponseDto> {
    return toWebhookWithSecretResponse(await this.webhooks.rotateSecret(id, user));
  }

  /** The endpoint's deliveries with every attempt, newest first. */
  @Get(':id/deliveries')
  async deliveryLog(@Param('id', ParseObjectIdPipe) id: string, @Query() query: PaginationQueryDto): Promise<WebhookDeliveryListResponseDto> {
    return mapPage(await this.deliveries.list(id, query), toWebhookDeliveryResponse);
  }

  /** One more attempt of the delivery, same event id and body, made by the worker. */
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  async redeliver(@Param('id', ParseObjectIdPipe) id: string, @Param('deliveryId', ParseObjectIdPipe) deliveryId: string): Promise<void> {
    await this.deliveries.redeliver(id, deliveryId);
  }
}
