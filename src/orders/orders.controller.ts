import { Body, Controller, Get, HttpCode, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe, Public } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CheckoutService } from './checkout.service';
import {
  CheckoutDto,
  ClaimOrderDto,
  OrderListResponseDto,
  OrderLookupQueryDto,
  OrderLookupResponseDto,
  OrderResponseDto,
  toOrderLookupResponse,
  toOrderResponse,
} from './dto/order.dto';
import { IDEMPOTENCY_KEY_PATTERN, IdempotencyKey } from './idempotency-key.decorator';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@ApiBearerAuth()
@Controller()
export class OrdersController {
  constructor(
    private readonly checkoutService: CheckoutService,
    private readonly orders: OrdersService,
  ) {}

  /**
   * Places an order from the cart: stock allocated, Stripe PaymentIntent created, order returned
   * in `pending_payment` with the `clientSecret`. Short stock or a line above its product's
   * `maxPerOrder` → 409 naming the lines; MAX_UNPAID_ORDERS unpaid orders already → 429 with
   * `Retry-After`; nothing taken either way.
   */
  @Post('checkout')
  @AlsoAnswers({
    409: 'Short stock (`lines` names them, with `available`), a line above its product\'s units per order (`lines` with `maxPerOrder`), ' +
      'more than MAX_CART_LINES lines, or the same Idempotency-Key still being placed; nothing taken',
    422: 'The Idempotency-Key was used before with a different cart, or the payment provider refused the payment',
    429: 'The customer already holds MAX_UNPAID_ORDERS (default 3) unpaid orders: pay or cancel one, or retry after `Retry-After` ' +
      'seconds (when the first reaches its payment deadline); nothing taken. Or the per-client rate limit.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key from the same user → the same order, stock taken once',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  })
  async checkout(
    @CurrentUser() user: AuthUser,
    @Body() dto: CheckoutDto,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<OrderResponseDto> {
    return toOrderResponse(await this.checkoutService.checkout({ userId: user.id, email: user.email }, dto, idempotencyKey));
  }

  /** The caller's orders, newest first. */
  @Get('orders')
  async list(@CurrentUser() user: AuthUser, @Query() query: PaginationQueryDto): Promise<OrderListResponseDto> {
    return mapPage(await this.orders.listOwn(user.id, query), toOrderResponse);
  }

  /**
   * An order by its number and the email it was placed with, without logging in; no payment
   * secrets. A wrong email answers exactly like an unknown number (404).
   */
  @Public()
  @Get('orders/lookup')
  @AlsoAnswers({
    404: 'No order with this number and email (a wrong email and an unknown number answer alike)',
    429: 'Ten failed lookups from this client within the hour; retry after `Retry-After` seconds',
  })
  async lookup(@Query() query: OrderLookupQueryDto, @Ip() ip: string): Promise<OrderLookupResponseDto> {
    return toOrderLookupResponse(await this.orders.lookup(query.number, query.email, ip));
  }

  /** Takes a guest order placed with the account's email into the account; the email must be verified (else 404). */
  @Post('me/orders/claim')
  @HttpCode(200)
  @AlsoAnswers({ 404: 'No guest order with this number and the account\'s email, or the account\'s email is not verified' })
  async claim(@CurrentUser() user: AuthUser, @Body() dto: ClaimOrderDto): Promise<OrderResponseDto> {
    return toOrderResponse(await this.orders.claimGuestOrder(user.id, dto.number));
  }

  @Get('orders/:id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<OrderResponseDto> {
    return toOrderResponse(await this.orders.getOwn(user.id, id));
  }

  /** Only from `pending_payment` or `paid` (else 409); stock given back once, a paid order refunded. */
  @Post('orders/:id/cancel')
  @HttpCode(200)
  async cancel(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<OrderResponseDto> {
    return toOrderResponse(await this.orders.cancelOwn(user.id, id));
  }
}
