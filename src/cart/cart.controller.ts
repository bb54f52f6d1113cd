import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CartService } from './cart.service';
import { AddCartItemDto, CartResponseDto, UpdateCartItemDto } from './dto/cart.dto';

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
    return this.cart.addItem(user.id, dto.productId, dto.variantId, dto.quantity);
  }

  /**
   * Sets a line's quantity (0 removes it). The path names the line by its `variantId`, or by the
   * `productId` of a product with one variant. More than is sellable → 409 with `available`,
   * more than the variant's `maxPerOrder` → 409 naming it.
   */
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

  /** Removes the line its `variantId` names, or the `productId` of a product with one variant. */
  @Delete('items/:productId')
  remove(@CurrentUser() user: AuthUser, @Param('productId', ParseObjectIdPipe) productId: string): Promise<CartResponseDto> {
    return this.cart.removeItem(user.id, productId);
  }

  @Delete()
  @HttpCode(204)
  async clear(@CurrentUser() user: AuthUser): Promise<void> {
    await this.cart.clear(user.id);
  }
}
