import { ApiProperty, PartialType } from '@nestjs/swagger';
import { IsOmittable, PaginatedResponseDto } from '@app/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsString, IsUrl, MaxLength } from 'class-validator';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../webhook-events';
import type { WebhookEndpoint } from '../schemas/webhook-endpoint.schema';
import { DELIVERY_STATUSES, type DeliveryStatus, type WebhookDelivery } from '../schemas/webhook-delivery.schema';

export const WEBHOOK_URL_MAX = 2048;

export class CreateWebhookDto {
  /** `http(s)://…`; in production a target resolving to a loopback, private or link-local address is refused when sending. */
  @IsString()
  @MaxLength(WEBHOOK_URL_MAX)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  url!: string;

  /** The events this endpoint gets. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events!: WebhookEventType[];

  /** False pauses the endpoint: no new deliveries. Defaults to true. */
  @IsOmittable()
  @IsBoolean()
  active?: boolean;
}

export class UpdateWebhookDto extends PartialType(CreateWebhookDto, { skipNullProperties: false }) {}

export class WebhookResponseDto {
  id!: string;
  url!: string;
  events!: string[];
  active!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export class WebhookListResponseDto extends PaginatedResponseDto(WebhookResponseDto) {}

/** Creation and rotation answer the secret, once. */
export class WebhookWithSecretResponseDto extends WebhookResponseDto {
  /** `whsec_…`: the HMAC-SHA256 key of the signatures; shown only in this answer. */
  secret!: string;
}

export function toWebhookResponse(endpoint: WebhookEndpoint): WebhookResponseDto {
  return {
    id: endpoint._id.toHexString(),
    url: endpoint.url,
    events: endpoint.events,
    active: endpoint.active,
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

export function toWebhookWithSecretResponse(endpoint: WebhookEndpoint): WebhookWithSecretResponseDto {
  return { ...toWebhookResponse(endpoint), secret: endpoint.secret };
}

export class DeliveryAttemptResponseDto {
  at!: Date;
  /** The receiver's HTTP status, when it answered. */
  statusCode?: number;
  /** Why there was no usable answer (timeout, refused address, connection error). */
  error?: string;
  durationMs!: number;
  /** The first 1 kB of the receiver's answer. */
  responseBody?: string;
}

export class WebhookDeliveryResponseDto {
  id!: string;
  /** The event's id: the body's `id` and the `Shop-Webhook-Id` header, the same on every attempt. */
  eventId!: string;
  type!: string;
  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: DeliveryStatus;
  attempts!: DeliveryAttemptResponseDto[];
  createdAt!: Date;
}

export class WebhookDeliveryListResponseDto extends PaginatedResponseDto(WebhookDeliveryResponseDto) {}

export function toWebhookDeliveryResponse(delivery: WebhookDelivery): WebhookDeliveryResponseDto {
  return {
    id: delivery._id.toHexString(),
    eventId: delivery.eventId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts.map((attempt) => ({
      at: attempt.at,
      ...(attempt.statusCode !== undefined && { statusCode: attempt.statusCode }),
      ...(attempt.error !== undefined && { error: attempt.error }),
      durationMs: attempt.durationMs,
      ...(attempt.responseBody !== undefined && { responseBody: attempt.responseBody }),
    })),
    createdAt: delivery.createdAt,
  };
}
