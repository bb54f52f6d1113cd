import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { GuestAllowed, mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { ApiCartToken, ApiGuestAccess, CartToken } from '../cart/cart-caller.decorator';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CheckoutService } from './checkout.service';
import {
  CheckoutDto,
  ClaimOrderDto,
  OrderListResponseDto,
  OrderResponseDto,
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
  @GuestAllowed()
  @ApiGuestAccess()
  @ApiCartToken('A guest checkout: the cart this token names, with `email` and `shippingAddress` in the body; ignored when Authorization is sent')
  @AlsoAnswers({
    409: 'Short stock (`lines` names them, with `available`), a line above its product\'s units per order (`lines` with `maxPerOrder`), ' +
      'more than MAX_CART_LINES lines, the same Idempotency-Key still being placed, or a promotion with no use left (`code` names it); nothing taken',
    422: 'The Idempotency-Key was used before with a different cart, the payment provider refused the payment, ' +
      'the shipping method asked for is not available for this cart and address, or shipping methods are defined but none is',
    429: 'The customer already holds MAX_UNPAID_ORDERS (default 3) unpaid orders: pay or cancel one, or retry after `Retry-After` ' +
      'seconds (when the first reaches its payment deadline); nothing taken. Or the per-client rate limit.',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Same key from the same user (a guest: the same cart token) → the same order, stock taken once',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  })
  async checkout(
    @CurrentUser() user: AuthUser | undefined,
    @CartToken() cartToken: string | undefined,
    @Body() dto: CheckoutDto,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<OrderResponseDto> {
    return toOrderResponse(await this.checkoutService.checkout({ user, cartToken }, dto, idempotencyKey));
  }

  /** The caller's orders, newest first. */
  @Get('orders')
  async list(@CurrentUser() user: AuthUser, @Query() query: PaginationQueryDto): Promise<OrderListResponseDto> {
    return mapPage(await this.orders.listOwn(user.id, query), toOrderResponse);
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
