import { Injectable, Logger } from '@nestjs/common';
import { Types } from 'mongoose';
import { OnJob } from '../../jobs/on-job.decorator';
import { ProductStore, type StockMovementBuffer } from '../products.store';
import { StockMovementStore } from './stock-movement.store';

/** Products one batch relays: two reads, one insert and one bulk of pulls for all of them. */
const RELAY_BATCH = 200;
/**
 * Movements one batch holds in memory at most (beyond its first product): in steady state a
 * buffer holds one interval's movements, but one from before the relay can hold a product's
 * whole history (up to ~150,000).
 */
const RELAY_BATCH_MOVEMENTS = 20_000;
/** Batches one run relays at most; a run that stops there leaves the rest to the next run. */
const RELAY_BATCHES_PER_RUN = 20;

/** How much one batch takes: up to `products` products and, beyond the first, `movements` movements. */
export interface RelayBatch {
  products: number;
  movements: number;
}

export interface RelayReport {
  /** Products whose buffer was relayed (or numbered) in this run. */
  products: number;
  /** Movements copied to `stock_movements` that were not there yet. */
  copied: number;
  /** Movements pulled from the buffers (copied now or by an earlier pass). */
  relayed: number;
}

/**
 * Moves stock movements from the products' buffers (`stockMovements`, written by the stock
 * verbs in the same write as the stock change) to the `stock_movements` collection, in batches,
 * every STOCK_MOVEMENTS_SWEEP_MS (`stock-movements-sweep`), off the checkout path: a buffer holds
 * at most the movements of one interval, so no product document grows with its history.
 *
 * Per batch: read the buffers, copy their movements by `_id` (an id already copied is a
 * duplicate, skipped), then pull exactly those ids from each buffer. Safe however many run at
 * once (two workers, a run overlapping the next): copies are idempotent by id, pulls remove only
 * ids that are copied, and each product's sequences come from one consistent document read.
 * A crash between copy and pull leaves copies that the next pass skips and pulls.
 */
@Injectable()
export class StockMovementRelay {
  private readonly logger = new Logger(StockMovementRelay.name);

  constructor(
    private readonly products: ProductStore,
    private readonly movements: StockMovementStore,
  ) {}

  /** `stock-movements-sweep`, every STOCK_MOVEMENTS_SWEEP_MS (its schedule is in the job registry). */
  @OnJob('stock-movements-sweep')
  async run(): Promise<RelayReport> {
    return this.sweep(new Date());
  }

  /** Relays the buffers holding movements written at or before `now`, in batches of `batch` products and movements. */
  async sweep(now: Date, batch: RelayBatch = { products: RELAY_BATCH, movements: RELAY_BATCH_MOVEMENTS }): Promise<RelayReport> {
    const report: RelayReport = { products: 0, copied: 0, relayed: 0 };
    for (let round = 0; round < RELAY_BATCHES_PER_RUN; round += 1) {
      const { buffers, more } = await this.products.withBufferedStockMovements(now, batch.products, batch.movements);
      const numbered = buffers.length > 0 ? await this.relay(buffers, report) : 0;
      // Everything was in this batch, unless some buffers were only numbered: relay those now.
      if (!more && numbered === 0) break;
    }
    if (report.relayed > 0) this.logger.debug(`Relayed ${report.relayed} stock movement(s) of ${report.products} product(s)`);
    return report;
  }

  /** Relays one batch; returns how many buffers were numbered instead (relayed by the next batch). */
  private async relay(buffers: StockMovementBuffer[], report: RelayReport): Promise<number> {
    const ready: StockMovementBuffer[] = [];
    for (const buffer of buffers) {
      report.products += 1;
      // Movements from before ids are numbered first, in their own write; the next batch (or
      // run) reads the buffer again and relays it. A failed numbering lost a race: same.
      if (buffer.movements.some((movement) => !movement._id)) await this.products.numberStockMovements(buffer);
      else ready.push(buffer);
    }
    const copies = ready.flatMap(({ productId, movements }) => movements.map((movement) => ({ ...movement, _id: movement._id!, productId })));
    report.copied += await this.movements.copy(copies);
    // Only after every copy is stored: a movement leaves its buffer once it is in the collection.
    await this.products.dropRelayedStockMovements(ready.map(({ productId, movements }) => ({ productId, ids: movements.map((movement) => movement._id as Types.ObjectId) })));
    report.relayed += copies.length;
    return buffers.length - ready.length;
  }
}
