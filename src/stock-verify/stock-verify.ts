import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { CoreModule } from '../core/core.module';
import { OrderStore } from '../orders/order.store';
import { Order, OrderSchema } from '../orders/schemas/order.schema';
import { ProductStoreModule } from '../products/product-store.module';
import { StockMovementsModule } from '../products/stock-movements/stock-movements.module';
import { StockDrift, StockVerifier } from './stock-verifier';

/**
 * `npm run stock:verify`: prints every stock drift it finds, one a line, then a summary. Exit
 * code 0 only when there is none. Reads only (the order lifecycle's jobs and providers are not
 * loaded: only the stores' reads).
 */
@Module({
  imports: [CoreModule.forRoot('cli'), ProductStoreModule, StockMovementsModule, MongooseModule.forFeature([{ name: Order.name, schema: OrderSchema }])],
  providers: [OrderStore, StockVerifier],
})
class StockVerifyCommandModule {}

function formatDrift({ productId, variantId, what, stored, expected }: StockDrift): string {
  return `drift product ${productId}${variantId ? ` variant ${variantId}` : ''}: ${what} is ${stored}, expected ${expected}`;
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(StockVerifyCommandModule, { logger: ['error', 'warn'] });
  try {
    const report = await app.get(StockVerifier).verify();
    for (const drift of report.drifts) console.log(formatDrift(drift));
    console.log(`stock:verify: ${report.checked} products checked, ${report.drifts.length} drift${report.drifts.length === 1 ? '' : 's'}`);
    if (report.drifts.length > 0) process.exitCode = 1;
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
});
