import { NestFactory } from '@nestjs/core';
import { SeedModule } from './seed.module';
import { SeedService } from './seed.service';

const USAGE = `usage: seed demo               the small demo catalog (once; skipped when products exist)
       seed bulk [--count N]    N synthetic products for benchmarks (default 100000)`;

/** A progress bar on a terminal; a line every 10 % otherwise (logs, CI). */
function progressPrinter(): (done: number, total: number) => void {
  const started = Date.now();
  let lastDecile = -1;
  return (done, total) => {
    const ratio = done / total;
    const rate = Math.round(done / Math.max((Date.now() - started) / 1000, 0.001));
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(ratio * width);
      process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${done}/${total} ${rate}/s`);
      if (done === total) process.stderr.write('\n');
    } else if (Math.floor(ratio * 10) > lastDecile) {
      lastDecile = Math.floor(ratio * 10);
      process.stderr.write(`${(ratio * 100).toFixed(0)}% ${done}/${total} ${rate}/s\n`);
    }
  };
}

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
