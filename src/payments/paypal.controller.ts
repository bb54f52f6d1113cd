import { Body, Controller, Headers, HttpCode, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import { Public } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { RateLimited } from '../core/rate-limits';
import { OrderResponseDto, toOrderResponse } from '../orders/dto/order.dto';
import { PaymentCaptureService } from './payment-capture.service';
import { PaypalCaptureDto } from './dto/paypal-capture.dto';
import { WebhookAckDto } from './dto/webhook-ack.dto';
import { PaymentWebhooksService } from './payment-webhooks.service';

/** PayPal's two routes; both answer 400 where PayPal is not configured. */
@ApiTags('payments')
@Controller('payments/paypal')
export class PaypalController {
  constructor(
    private readonly captures: PaymentCaptureService,
    private readonly webhooks: PaymentWebhooksService,
  ) {}

  /**
   * The shop front calls this when the buyer comes back from PayPal's approval page: captures
   * the approved payment and answers the order (`paid`). Idempotent; not yet approved → 422.
   */
  @Post('capture')
  @HttpCode(200)
  @AlsoAnswers({ 422: 'The buyer has not approved the PayPal payment yet, or PayPal refused the capture' })
  @ApiBearerAuth()
  async capture(@CurrentUser() user: AuthUser, @Body() dto: PaypalCaptureDto): Promise<OrderResponseDto> {
    return toOrderResponse(await this.captures.capture('paypal', user.id, dto.orderId));
  }

  /**
   * PayPal events, verified through PayPal's verify-webhook-signature call with
   * PAYPAL_WEBHOOK_ID (not verified → 400, nothing changed). Each event id is applied once.
   */
  @Post('webhook')
  @Public()
  // Deliveries come from PayPal's servers, many at a time: not under the global limit, but under
  // their own, as each one costs a call to PayPal's verify API; the signature is the gate.
  @SkipThrottle()
  @RateLimited('paypal-webhook')
  @HttpCode(200)
  @ApiBody({ schema: { type: 'object', description: 'A PayPal webhook event, exactly as PayPal sent it' } })
  async webhook(@Req() request: RawBodyRequest<Request>, @Headers() headers: Record<string, string | string[] | undefined>): Promise<WebhookAckDto> {
    return { received: true, outcome: await this.webhooks.handle('paypal', request.rawBody, headers) };
  }
}
