import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CartService } from './cart.service';
import { QuoteQueryDto, QuoteResponseDto } from '../pricing/dto/quote.dto';
import { AddCartItemDto, ApplyPromotionDto, CartResponseDto, UpdateCartItemDto } from './dto/cart.dto';

@ApiTags('cart')
@ApiBearerAuth()
@Controller('cart')
export class CartController {
  constructor(private readonly cart: CartService) {}

  /** The caller's cart at current prices; lines that block checkout carry an `issue`. */
  @Get()
  view(@CurrentUser() user: AuthUser): Promise<CartResponseDto> {
    return this.cart.view(user.id);
  }

  /**
   * Adds units to a line; more than is sellable → 409 with `available`, more than the product's
   * `maxPerOrder` → 409 naming it, a new line beyond MAX_CART_LINES → 409 with `maxCartLines`.
   */
  @Post('items')
  @HttpCode(200)
  @AlsoAnswers({
    409: 'More than is sellable (`productId`, `available`), more than the product\'s units per order (`lines` with `maxPerOrder`), ' +
      'or a new line beyond MAX_CART_LINES (default 100; `maxCartLines`); the cart is unchanged',
  })
  add(@CurrentUser() user: AuthUser, @Body() dto: AddCartItemDto): Promise<CartResponseDto> {
    return this.cart.addItem(user.id, dto.productId, dto.quantity);
  }

  /** Sets a line's quantity (0 removes it); more than is sellable → 409 with `available`, more than the product's `maxPerOrder` → 409 naming it. */
  @Patch('items/:productId')
  @AlsoAnswers({
    409: 'More than is sellable (`productId`, `available`) or more than the product\'s units per order (`lines` with `maxPerOrder`); the cart is unchanged',
  })
  update(
    @CurrentUser() user: AuthUser,
    @Param('productId', ParseObjectIdPipe) productId: string,
    @Body() dto: UpdateCartItemDto,
  ): Promise<CartResponseDto> {
    return this.cart.setQuantity(user.id, productId, dto.quantity);
  }

  @Delete('items/:productId')
  remove(@CurrentUser() user: AuthUser, @Param('productId', ParseObjectIdPipe) productId: string): Promise<CartResponseDto> {
    return this.cart.removeItem(user.id, productId);
  }

  /**
   * The cart priced for a destination: each line's discount and tax, every total, the promotions
   * that apply and the shipping methods eligible now; exactly what a checkout of this cart to that
   * address would charge.
   */
  @Get('quote')
  @AlsoAnswers({ 422: 'The shipping method asked for is not available for this cart and destination' })
  quote(@CurrentUser() user: AuthUser, @Query() query: QuoteQueryDto): Promise<QuoteResponseDto> {
    return this.cart.quote(user.id, query);
  }

  /** Enters a promotion code (case-insensitive). */
  @Post('promotions')
  @HttpCode(200)
  @AlsoAnswers({
    422: 'The code cannot apply to this cart now; `reason` says why: unknown, inactive, not_started, expired, used_up, min_subtotal or no_eligible_lines',
  })
  applyPromotion(@CurrentUser() user: AuthUser, @Body() dto: ApplyPromotionDto): Promise<CartResponseDto> {
    return this.cart.applyPromotion(user.id, dto.code);
  }

  @Delete('promotions/:code')
  removePromotion(@CurrentUser() user: AuthUser, @Param('code') code: string): Promise<CartResponseDto> {
    return this.cart.removePromotion(user.id, code);
  }

  @Delete()
  @HttpCode(204)
  async clear(@CurrentUser() user: AuthUser): Promise<void> {
    await this.cart.clear(user.id);
  }
}
