import { Controller, Headers, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import { Public } from '@app/common';
import { RateLimited } from '../core/rate-limits';
import { WebhookAckDto } from './dto/webhook-ack.dto';
import { PaymentWebhooksService, WebhookOutcome } from './payment-webhooks.service';

@ApiTags('payments')
@Public()
// Deliveries come from the provider's servers, many at a time: not under the global limit, but
// under their own (@RateLimited on each webhook); the signature is the gate.
@SkipThrottle()
@Controller('payments')
export class PaymentWebhooksController {
  constructor(private readonly webhooks: PaymentWebhooksService) {}

  /**
   * Stripe events (raw body, `Stripe-Signature` checked against STRIPE_WEBHOOK_SECRET; bad or
   * missing → 400, nothing changed). Each event id is applied once.
   */
  @Post('webhook')
  @RateLimited('stripe-webhook')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'object', description: 'A Stripe event, exactly as Stripe sent it' } })
  async stripe(@Req() request: RawBodyRequest<Request>, @Headers() headers: Record<string, string | string[] | undefined>): Promise<WebhookAckDto> {
    const outcome: WebhookOutcome = await this.webhooks.handle('stripe', request.rawBody, headers);
    return { received: true, outcome };
  }
}
