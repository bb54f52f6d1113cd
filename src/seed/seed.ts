import { NestFactory } from '@nestjs/core';
import { progressPrinter } from '../core/progress';
import { SeedModule } from './seed.module';
import { SeedService } from './seed.service';

const USAGE = `usage: seed demo               the small demo catalog (once; skipped when products exist)
       seed bulk [--count N]    N synthetic products for benchmarks (default 100000)`;

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
      const countFlag = rest.indexOf('--count');
      const count = countFlag >= 0 ? Number(rest[countFlag + 1]) : 100_000;
      if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
      const started = Date.now();
      await seed.seedBulk(count, progressPrinter());
      console.log(`bulk catalog: ${count} products in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
