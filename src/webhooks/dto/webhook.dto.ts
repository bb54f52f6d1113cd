import { PartialType } from '@nestjs/swagger';
import { IsOmittable, PaginatedResponseDto } from '@app/common';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsString, IsUrl, MaxLength } from 'class-validator';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../webhook-events';
import type { WebhookEndpoint } from '../schemas/webhook-endpoint.schema';

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
