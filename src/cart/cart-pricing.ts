import type { ProductForSale, StockLine } from '../products/inventory.service';
import type { PricingLine } from '../pricing/quote';

/** Cart lines as pricing sees them, at the products' current prices; lines of products not for sale are left out. */
export function pricingLinesOf(lines: StockLine[], products: Map<string, ProductForSale>): PricingLine[] {
  return lines.flatMap((line) => {
    const product = products.get(line.productId);
    if (!product?.active) return [];
    return [{ productId: line.productId, category: product.category, taxClass: product.taxClass, unitPrice: product.price, quantity: line.quantity }];
  });
}
