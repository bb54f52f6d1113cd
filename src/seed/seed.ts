import { NestFactory } from '@nestjs/core';
import { progressPrinter } from '../core/progress';
import { SeedModule } from './seed.module';
import { DEFAULT_BULK_VARIANTS, MAX_BULK_VARIANTS, SeedService } from './seed.service';

const USAGE = `usage: seed demo               the small demo catalog (once; skipped when products exist)
       seed bulk [--count N] [--variants V]
                                N synthetic products for benchmarks (default 100000), each sold in V
                                Size × Color variants (default ${DEFAULT_BULK_VARIANTS}, 1–${MAX_BULK_VARIANTS}; 1: no options)`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'demo' && command !== 'bulk') {
    console.error(USAGE);
    process.exit(2);
  }
  const app = await NestFactory.createApplicationContext(SeedModule, { logger: ['error', 'warn'] });
  try {
    const seed = app.get(SeedService);
    if (command === 'demo') {
      const { created, skipped } = await seed.seedDemo();
      console.log(skipped ? 'demo catalog: products exist already, nothing seeded' : `demo catalog: ${created} products seeded`);
    } else {
      const flag = (name: string, fallback: number) => (rest.includes(name) ? Number(rest[rest.indexOf(name) + 1]) : fallback);
      const count = flag('--count', 100_000);
      if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
      const variants = flag('--variants', DEFAULT_BULK_VARIANTS);
      if (!Number.isInteger(variants) || variants < 1 || variants > MAX_BULK_VARIANTS) throw new Error(`--variants must be an integer from 1 to ${MAX_BULK_VARIANTS}`);
      const started = Date.now();
      await seed.seedBulk(count, progressPrinter(), variants);
      console.log(`bulk catalog: ${count} products with ${variants} variant(s) each in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
