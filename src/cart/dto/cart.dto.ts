import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsMongoId, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable, Trim } from '@app/common';
import { MAX_UNITS_PER_ORDER_LINE } from '../../products/dto/product.dto';

/** The ceiling of any line; MAX_UNITS_PER_LINE and a product's `maxPerOrder` may set a lower one (409). */
export const MAX_LINE_QUANTITY = MAX_UNITS_PER_ORDER_LINE;

export class AddCartItemDto {
  @IsMongoId()
  productId!: string;

  /** Which variant; required when the product has more than one (400 otherwise). */
  @IsOmittable()
  @IsMongoId()
  variantId?: string;

  /** Units to add to the line (1–999 in the line overall). */
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class UpdateCartItemDto {
  /** The line's new quantity; 0 removes it. */
  @IsInt()
  @Min(0)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

/** Why a line cannot be checked out as it is. */
export type CartLineIssue = 'unavailable' | 'out_of_stock' | 'insufficient_stock';

export class CartItemResponseDto {
  productId!: string;
  /** The variant this line holds. */
  variantId!: string;
  /** The variant's sku (absent when it no longer exists). */
  sku?: string;
  /** The variant's option values, e.g. `{"Size": "M"}`; `{}` for a product sold as one thing. */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  options!: Record<string, string>;
  title!: string;
  /** Current unit price, minor units. */
  price!: number;
  quantity!: number;
  lineTotal!: number;
  image?: string;
  /** Sellable units right now. */
  available!: number;
  /**
   * Set when the line blocks checkout: `unavailable` (the product or its variant was archived or removed),
   * `out_of_stock`, or `insufficient_stock` (fewer units than the line asks for).
   */
  issue?: CartLineIssue;
  /** True when merging a guest cart wanted more units than were sellable: the line holds what was. */
  cappedAtMerge?: boolean;
}

export class CartResponseDto {
  items!: CartItemResponseDto[];
  /** Sum of the line totals at current prices, minor units. */
  subtotal!: number;
  currency!: string;
  /** False while any line has an `issue`. */
  checkoutReady!: boolean;
  /**
   * Only on the answer that opened an anonymous cart (also in the `X-Cart-Token` header): send it
   * as `X-Cart-Token` with every cart request, checkout, and the login or registration that should
   * take the cart over.
   */
  cartToken?: string;
  /** Promotion codes entered (upper case); GET /cart/quote shows which apply and what they take off. */
  promotionCodes!: string[];
}

export class ApplyPromotionDto {
  /** Compared case-insensitively. */
  @Trim()
  @IsString()
  @Length(1, 40)
  @Matches(/\S/, { message: 'code must not be blank' })
  code!: string;
}
