import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { GuestAllowed, ParseObjectIdPipe } from '@app/common';
import type { Response } from 'express';
import { AlsoAnswers } from '../core/openapi-errors';
import { ApiCartToken, ApiGuestAccess, ApiOpensGuestCart, CART_TOKEN_HEADER, CartCaller } from './cart-caller.decorator';
import { type CartCaller as Caller, CartService } from './cart.service';
import { QuoteQueryDto, QuoteResponseDto } from '../pricing/dto/quote.dto';
import { AddCartItemDto, ApplyPromotionDto, CartResponseDto, UpdateCartItemDto } from './dto/cart.dto';

const UNKNOWN_TOKEN = 'The X-Cart-Token is unknown, expired, or its cart was merged into an account';

/** Accounts send `Authorization`; guests send the `X-Cart-Token` their first add was answered with. */
@ApiTags('cart')
@ApiGuestAccess()
@ApiBearerAuth()
@ApiCartToken('A guest cart\'s token (routes then need no login); ignored when Authorization is sent')
@GuestAllowed()
@Controller('cart')
export class CartController {
  constructor(private readonly cart: CartService) {}

  /** The caller's cart at current prices; lines that block checkout carry an `issue`. */
  @Get()
  @AlsoAnswers({ 404: UNKNOWN_TOKEN })
  async view(@CartCaller() caller: Caller): Promise<CartResponseDto> {
    return this.cart.view((await this.cart.ownerFor(caller)).ownerId);
  }

  /**
   * Adds units to a line; more than is sellable → 409 with `available`, more than the product's
   * `maxPerOrder` → 409 naming it, a new line beyond MAX_CART_LINES → 409 with `maxCartLines`.
   * Without `Authorization` and `X-Cart-Token`, opens a guest cart: its token comes back in the
   * `X-Cart-Token` header and as `cartToken`.
   */
  @Post('items')
  @ApiOpensGuestCart()
  @HttpCode(200)
  @AlsoAnswers({
    404: `${UNKNOWN_TOKEN}; or no such product`,
    409: 'More than is sellable (`productId`, `available`), more than the product\'s units per order (`lines` with `maxPerOrder`), ' +
      'or a new line beyond MAX_CART_LINES (default 100; `maxCartLines`); the cart is unchanged',
  })
  async add(@CartCaller() caller: Caller, @Body() dto: AddCartItemDto, @Res({ passthrough: true }) res: Response): Promise<CartResponseDto> {
    const { ownerId, newToken } = await this.cart.ownerFor(caller, { open: true });
    const cart = await this.cart.addItem(ownerId, dto.productId, dto.variantId, dto.quantity);
    if (!newToken) return cart;
    res.setHeader(CART_TOKEN_HEADER, newToken);
    return { ...cart, cartToken: newToken };
  }

  /**
   * Sets a line's quantity (0 removes it). The path names the line by its `variantId`, or by the
   * `productId` of a product with one variant. More than is sellable → 409 with `available`,
   * more than the variant's `maxPerOrder` → 409 naming it.
   */
  @Patch('items/:productId')
  @AlsoAnswers({
    404: `${UNKNOWN_TOKEN}; or the line is not in the cart`,
    409: 'More than is sellable (`productId`, `available`) or more than the product\'s units per order (`lines` with `maxPerOrder`); the cart is unchanged',
  })
  async update(
    @CartCaller() caller: Caller,
    @Param('productId', ParseObjectIdPipe) productId: string,
    @Body() dto: UpdateCartItemDto,
  ): Promise<CartResponseDto> {
    return this.cart.setQuantity((await this.cart.ownerFor(caller)).ownerId, productId, dto.quantity);
  }

  /** Removes the line its `variantId` names, or the `productId` of a product with one variant. */
  @Delete('items/:productId')
  @AlsoAnswers({ 404: `${UNKNOWN_TOKEN}; or the line is not in the cart` })
  async remove(@CartCaller() caller: Caller, @Param('productId', ParseObjectIdPipe) productId: string): Promise<CartResponseDto> {
    return this.cart.removeItem((await this.cart.ownerFor(caller)).ownerId, productId);
  }

  /**
   * The cart priced for a destination: each line's discount and tax, every total, the promotions
   * that apply and the shipping methods eligible now; exactly what a checkout of this cart to that
   * address would charge.
   */
  @Get('quote')
  @AlsoAnswers({ 404: UNKNOWN_TOKEN, 422: 'The shipping method asked for is not available for this cart and destination' })
  async quote(@CartCaller() caller: Caller, @Query() query: QuoteQueryDto): Promise<QuoteResponseDto> {
    return this.cart.quote((await this.cart.ownerFor(caller)).ownerId, query);
  }

  /** Enters a promotion code (case-insensitive). */
  @Post('promotions')
  @HttpCode(200)
  @AlsoAnswers({
    404: UNKNOWN_TOKEN,
    422: 'The code cannot apply to this cart now; `reason` says why: unknown, inactive, not_started, expired, used_up, min_subtotal or no_eligible_lines',
  })
  async applyPromotion(@CartCaller() caller: Caller, @Body() dto: ApplyPromotionDto): Promise<CartResponseDto> {
    return this.cart.applyPromotion((await this.cart.ownerFor(caller)).ownerId, dto.code);
  }

  @Delete('promotions/:code')
  @AlsoAnswers({ 404: UNKNOWN_TOKEN })
  async removePromotion(@CartCaller() caller: Caller, @Param('code') code: string): Promise<CartResponseDto> {
    return this.cart.removePromotion((await this.cart.ownerFor(caller)).ownerId, code);
  }

  @Delete()
  @HttpCode(204)
  @AlsoAnswers({ 404: UNKNOWN_TOKEN })
  async clear(@CartCaller() caller: Caller): Promise<void> {
    await this.cart.clear((await this.cart.ownerFor(caller)).ownerId);
  }
}
