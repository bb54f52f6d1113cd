import type { ProductForSale, StockLine } from '../products/inventory.service';
import type { PricingLine } from '../pricing/quote';

/** Cart lines as pricing sees them, at the products' current prices; lines of products not for sale are left out. */
export function pricingLinesOf(lines: StockLine[], products: Map<string, ProductForSale>): PricingLine[] {
  return lines.flatMap((line) => {
    const product = products.get(line.productId);
    const variant = product?.variants.find((candidate) => candidate.id === line.variantId);
    if (!product?.active || !variant?.active) return [];
    return [{ productId: line.productId, variantId: line.variantId, category: product.category, taxClass: product.taxClass, unitPrice: variant.price, quantity: line.quantity }];
  });
}
