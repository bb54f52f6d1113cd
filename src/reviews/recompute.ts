import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CoreModule } from '../core/core.module';
import { RatingDrift, ReviewRatings } from './review-ratings';
import { ReviewRatingsModule } from './review-ratings.module';

/**
 * `npm run reviews:recompute`: rebuilds every product's rating from its visible reviews and
 * prints each drift it fixed, one a line, then a summary. Exit code 0 only on full success.
 */
@Module({ imports: [CoreModule.forRoot('cli'), ReviewRatingsModule] })
class RecomputeCommandModule {}

function formatDrift({ productId, stored, exact }: RatingDrift): string {
  const parts = (['count', 'sum', 'average'] as const).map((field) => `${field} ${stored[field]} -> ${exact[field]}`);
  return `fixed product ${productId}: ${parts.join(', ')}`;
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(RecomputeCommandModule, { logger: ['error', 'warn'] });
  try {
    const report = await app.get(ReviewRatings).recompute();
    for (const drift of report.fixed) console.log(formatDrift(drift));
    for (const productId of report.missing) console.log(`skipped product ${productId}: it has reviews but no longer exists`);
    console.log(`reviews:recompute: ${report.checked} products checked, ${report.fixed.length} fixed`);
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
