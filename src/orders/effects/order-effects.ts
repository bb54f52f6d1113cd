import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Claims } from '@app/common';
import { OnJob } from '../../jobs/on-job.decorator';
import { PaymentProviders } from '../../payment-providers/payment-providers';
import { InventoryService } from '../../products/inventory.service';
import type { OrderEventJob, OrderEventType } from '../events/order-events';
import { PromotionUses } from '../../pricing/promotion-uses';
import { OrderRecord, OrderStore, promotionsHeldBy, stockLinesOf } from '../order.store';
import { OutboxRelay } from '../outbox/outbox-relay';
import { MONEY_HELD } from '../payment-state';
import { OrderEffectRecord } from '../schemas/order-effect-record.schema';

export type OrderEffect = 'release-stock' | 'release-promotions' | 'ship-stock' | 'refund' | 'cancel-intent';
export type EffectOutcome = 'done' | 'already-done' | 'in-progress';

/**
 * A claim this old belonged to a process that died mid-effect (every effect is one provider call
 * with a 10 s timeout and a few writes): it is taken over.
 */
const STALE_EFFECT_MS = 60_000;
const IN_PROGRESS_POLL_MS = 500;

/**
 * Whether the effects of an event change what the order itself shows: only a refund does (the
 * payment, a history entry). Stock and the provider's payment show on the products and at the
 * provider; the order's own mark of its stock (`inventory`) is not shown and leaves `updatedAt`.
 * `order` is as the event's write left it: a cancel refunds exactly when it holds money then
 * (see `apply`).
 */
export function effectsShowOnOrder(type: OrderEventType, order: OrderRecord): boolean {
  return type === 'OrderCancelled' && MONEY_HELD.includes(order.payment.status);
}

/** Who runs the effects: the queued job, or the request that recorded the event (see `runNow`). */
type Runner = 'job' | 'request';

/**
 * What order events entail beyond the order (ARCHITECTURE.md: effects driven by events). The
 * transition records its event in the order's outbox; the relay hands it to the `orders` queue
 * as an `order-effects` job, and this handler does the effects:
 *
 * - OrderCancelled: the stock goes back to the shelf and the promotion uses to their promotions
 *   (PromotionUses is idempotent per order, as the stock is); money held is refunded, an unpaid payment
 *   is cancelled with the provider (a payment arriving anyway is refunded by the payment path);
 * - OrderShipped: the units leave the shelf and the allocation; the promotion uses become final.
 *
 * Each effect is claimed per (order, effect) through the claim helper before it starts and
 * marked done after, so the job retried, run twice, or racing the request's own run does each
 * effect once; a crash mid-effect leaves a claim that goes stale and is taken over, and the
 * provider calls carry idempotency keys derived from the order, so a repeated call is the same.
 */
@Injectable()
export class OrderEffects {
  private readonly logger = new Logger(OrderEffects.name);
  private readonly claims: Claims;

  constructor(
    @InjectModel(OrderEffectRecord.name) records: Model<OrderEffectRecord>,
    private readonly orders: OrderStore,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentProviders,
    private readonly relay: OutboxRelay,
    private readonly promotionUses: PromotionUses,
  ) {
    // The effects of one event are claimed in the same turn: their claims go in one insert.
    this.claims = new Claims(records, { key: '_id', state: 'state', claimed: 'running', done: 'done' }, { batchInserts: true });
  }

  @OnJob('order-effects')
  handle(job: OrderEventJob): Promise<Partial<Record<OrderEffect, EffectOutcome>>> {
    return this.apply(job, 'job');
  }

  /**
   * Runs the event's effects at once in the request that recorded it, so that its answer shows
   * them (API.md: a cancel answers the cancelled order, its stock back and its refund made). The
   * queued job is the guarantee: whatever fails here, or dies with the process, the job does.
   * `written` is the order as the event's own write left it (OrderStore.transition's after): no
   * need to read it again.
   */
  async runNow(job: OrderEventJob, written?: OrderRecord): Promise<void> {
    try {
      await this.apply(job, 'request', written);
    } catch (error) {
      this.logger.warn(`Effects of ${job.type} for order ${job.orderId} left to its job: ${(error as Error).message}`);
    }
  }

  /** Money that arrived for an order already cancelled goes back at once (a payment event's path). */
  refundLatePayment(order: OrderRecord): Promise<EffectOutcome> {
    return this.refund(order, 'Payment received after the order was cancelled', 'request');
  }

  private async apply({ orderId, type }: OrderEventJob, by: Runner, written?: OrderRecord): Promise<Partial<Record<OrderEffect, EffectOutcome>>> {
    const order = written ?? (await this.orders.findById(orderId));
    if (!order) return {};
    if (type === 'OrderShipped') {
      return {
        'ship-stock': await this.once(order, 'ship-stock', by, async () => {
          await this.moveStock(order, 'shipped');
          // Shipped orders are never cancelled: their promotion uses are final.
          if (order.promotions?.length) await this.promotionUses.settle(order._id, promotionsHeldBy(order), order.promotionCustomer ?? '');
        }),
      };
    }
    if (type !== 'OrderCancelled') return {};
    // The order's payment as read (or as the cancel wrote it) decides between refund and
    // cancelling the provider's payment: once an order is cancelled its payment can come to hold
    // money only through a refund's own claim (requestRefund; a payment arriving late is refunded
    // by the payment path under the same 'refund' claim, and the provider then refuses the
    // cancel of a paid intent, 'not-cancellable'). So no later read is needed.
    const { payment } = order;
    // Each effect has its own claim and touches its own things (the products' allocations, the
    // promotions' uses, the provider's payment and the order's refund fields), so they run at
    // once; each is tried even when another fails, and the first failure fails the job (retried:
    // what was done is 'already-done' then).
    const effects: [OrderEffect, () => Promise<EffectOutcome>][] = [
      ['release-stock', () => this.once(order, 'release-stock', by, () => this.moveStock(order, 'released'))],
    ];
    if (order.promotions?.length) {
      effects.push(['release-promotions', () => this.once(order, 'release-promotions', by, () => this.promotionUses.giveBack(order._id, promotionsHeldBy(order), order.promotionCustomer ?? ''))]);
    }
    if (MONEY_HELD.includes(payment.status)) effects.push(['refund', () => this.refund(order, 'Order cancelled', by)]);
    else if (payment.intentId && payment.status !== 'refunded') effects.push(['cancel-intent', () => this.once(order, 'cancel-intent', by, () => this.cancelIntent(order))]);
    const settled = await Promise.allSettled(effects.map(([, run]) => run()));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return Object.fromEntries(effects.map(([effect], index) => [effect, (settled[index] as PromiseFulfilledResult<EffectOutcome>).value]));
  }

  /** The product side is idempotent per order as well; the order records where its stock went. */
  private async moveStock(order: OrderRecord, to: 'released' | 'shipped'): Promise<void> {
    const id = order._id.toHexString();
    if (to === 'released') await this.inventory.release(id, stockLinesOf(order));
    else await this.inventory.ship(id, stockLinesOf(order));
    await this.orders.markStock(order._id, to);
  }

  /**
   * Claims the refund on the order (its payment moves to `refund_pending`), asks the provider with
   * a key derived from the order, then records it: `refunded`, a history entry, OrderRefunded.
   */
  private refund(order: OrderRecord, reason: string, by: Runner): Promise<EffectOutcome> {
    return this.once(order, 'refund', by, async () => {
      if (!order.payment.intentId) return;
      await this.orders.requestRefund(order._id, order.total, reason);
      const current = await this.orders.findById(order._id);
      const refund = current?.payment.refund;
      if (!current?.payment.intentId || refund?.state !== 'requested') return;
      const { refundId } = await this.payments.get(current.payment.provider).refund({
        intentId: current.payment.intentId,
        amount: refund.amount,
        idempotencyKey: `refund:${current._id.toHexString()}`,
      });
      const refunded = await this.orders.markRefunded(current, refundId, `Refunded ${refund.amount} ${current.currency} (${refundId}): ${refund.reason}`);
      if (refunded) await this.relay.afterWrite(refunded);
    });
  }

  private async cancelIntent(order: OrderRecord): Promise<void> {
    const outcome = await this.payments.get(order.payment.provider).cancelIntent({
      intentId: order.payment.intentId!,
      idempotencyKey: `order:${order._id.toHexString()}:cancel-intent`,
    });
    if (outcome === 'not-cancellable') this.logger.log(`Payment of cancelled order ${order.number} was no longer cancellable (paid or closed)`);
  }

  /**
   * Does `work` once per (order, effect). A fresh claim held by someone else: the request leaves
   * the effect to its holder; the job waits for the holder to finish or for its claim to go stale
   * (a crash), instead of spending its retries.
   */
  private async once(order: OrderRecord, effect: OrderEffect, by: Runner, work: () => Promise<void>): Promise<EffectOutcome> {
    const key = `${order._id.toHexString()}:${effect}`;
    for (;;) {
      const claim = await this.claims.claim(key, STALE_EFFECT_MS);
      if (claim.outcome === 'done') return 'already-done';
      if (claim.outcome === 'in-progress') {
        if (by === 'request') return 'in-progress';
        await new Promise((resolve) => setTimeout(resolve, Math.min(IN_PROGRESS_POLL_MS, Math.max(claim.staleAt.getTime() - Date.now(), 0) + 10)));
        continue;
      }
      try {
        await work();
      } catch (error) {
        await this.claims.release(key, claim.claimId).catch(() => undefined);
        throw error;
      }
      if (!(await this.claims.finish(key, claim.claimId, { doneAt: new Date() }))) {
        this.logger.warn(`Effect ${key} finished after its claim was taken over; its writes are idempotent`);
      }
      return 'done';
    }
  }
}
