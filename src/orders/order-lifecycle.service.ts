import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { StateConflictError, isObjectIdString, NotFoundError } from '@app/common';
import { InventoryService, StockLine } from '../products/inventory.service';
import { PaymentEvent } from '../payments/payment-provider';
import { PaymentProviders } from '../payments/payment-providers';
import { findTransition, OrderActor, OrderStatus, PAID_STATUSES } from './order-state';
import { IllegalTransitionError } from './orders.errors';
import { OutboxRelay } from './outbox/outbox-relay';
import { Order } from './schemas/order.schema';

/** An order as read (a plain object: `_id` is an ObjectId, the rest as stored). */
export type OrderRecord = Order;

export interface TransitionChange {
  /** Fields set in the same write as the status (tracking number, payment details). */
  set?: Record<string, unknown>;
  /** Kept in the history entry. */
  note?: string;
}

/** How often a transition re-reads after losing a race before giving up with 409. */
const TRANSITION_ATTEMPTS = 5;
/** A checkout this old that never placed its order died mid-way: its allocation is given back. */
export const ABANDONED_CHECKOUT_MINUTES = 10;

export type PaymentOutcome = 'paid' | 'refunded' | 'duplicate' | 'rejected' | 'recorded' | 'unknown-order' | 'ignored';

/**
 * The order lifecycle: every status change goes through `transition()`, and the effects of a
 * change (stock released or shipped, money refunded) follow from the status it reached. Each
 * effect is idempotent and recorded on the order once done (`inventory`, `payment.refund`), so
 * the sweeper (`finishInterrupted`) completes what a crash between the write and the effect left.
 */
@Injectable()
export class OrderLifecycle {
  private readonly logger = new Logger(OrderLifecycle.name);

  constructor(
    @InjectModel(Order.name) private readonly orders: Model<Order>,
    private readonly relay: OutboxRelay,
    private readonly inventory: InventoryService,
    private readonly payments: PaymentProviders,
  ) {}

  /** The order as stored, for readers outside the orders module (the order emails); never writes. */
  async read(orderId: string | Types.ObjectId): Promise<OrderRecord | null> {
    if (typeof orderId === 'string' && !isObjectIdString(orderId)) return null;
    return this.orders.findById(orderId).lean();
  }

  /**
   * Moves the order to `to` if the state table lets `actor` take that step from its current
   * status. One conditional update on the status sets it, appends to `history` and records the
   * step's event in the outbox: no event without the write, no write without its event. Of two
   * racing transitions only one matches the status it read; the other reads again and is judged
   * against the new status (cancel racing expiry: one cancels, the other gets 409).
   */
  async transition(orderId: string | Types.ObjectId, to: OrderStatus, actor: OrderActor, change: TransitionChange = {}): Promise<OrderRecord> {
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt += 1) {
      const current = await this.orders.findById(orderId).lean();
      if (!current) throw new NotFoundError('Order not found');
      const step = findTransition(current.status, to, actor);
      if (!step) throw new IllegalTransitionError(current.status, to);

      const at = new Date();
      const push: Record<string, unknown> = { history: { status: to, at, by: actor, ...(change.note && { note: change.note }) } };
      if (step.event) push.outbox = { eventId: new Types.ObjectId().toHexString(), type: step.event.type, at };
      // Only one caller can match the status it read, so the document returned is this write's.
      const updated = await this.orders
        .findOneAndUpdate({ _id: current._id, status: current.status }, { $set: { status: to, ...change.set }, $push: push }, { returnDocument: 'after' })
        .lean();
      if (!updated) continue;

      await this.relay.afterWrite(updated);
      if (!(await this.applyEffects(updated, current.status))) return updated;
      return (await this.orders.findById(current._id).lean()) ?? updated;
    }
    throw new StateConflictError('The order kept changing; try again');
  }

  /**
   * What reaching a status entails beyond the write; says whether there was any (the order then
   * changed again). Failures are finished by the sweeper.
   */
  private async applyEffects(order: OrderRecord, from: OrderStatus): Promise<boolean> {
    try {
      if (order.status === 'cancelled') {
        await this.releaseStock(order);
        if (PAID_STATUSES.includes(from)) await this.refund(order, 'Order cancelled');
        return true;
      }
      if (order.status === 'shipped') {
        await this.shipStock(order);
        return true;
      }
    } catch (error) {
      this.logger.warn(`Effects of order ${order._id.toHexString()} reaching ${order.status} left for the sweeper: ${(error as Error).message}`);
      return true;
    }
    return false;
  }

  /** Gives the order's units back to the shelf once: the product side ignores a second release. */
  async releaseStock(order: OrderRecord): Promise<void> {
    if (order.inventory !== 'held') return;
    await this.inventory.release(order._id.toHexString(), stockLinesOf(order));
    await this.orders.updateOne({ _id: order._id, inventory: 'held' }, { $set: { inventory: 'released' } });
  }

  /** Takes the order's units off the shelf and out of the allocation, once. */
  async shipStock(order: OrderRecord): Promise<void> {
    if (order.inventory !== 'held') return;
    await this.inventory.ship(order._id.toHexString(), stockLinesOf(order));
    await this.orders.updateOne({ _id: order._id, inventory: 'held' }, { $set: { inventory: 'shipped' } });
  }

  /**
   * Refunds the order's payment once. The refund is claimed on the order before the provider is
   * called (only one caller wins the claim), and the provider call carries an idempotency key
   * derived from the order, so a retry after a crash cannot refund twice either.
   */
  async refund(order: OrderRecord, reason: string): Promise<void> {
    if (!order.payment.intentId) return;
    const claimed = await this.orders.updateOne(
      { _id: order._id, 'payment.refund': { $exists: false } },
      {
        $set: {
          'payment.refund': { state: 'requested', amount: order.total, reason, requestedAt: new Date() },
          'payment.status': 'refund_pending',
        },
      },
    );
    if (claimed.modifiedCount === 1) await this.completeRefund(order._id);
  }

  /** Asks the provider for a claimed refund and records it, with a history entry saying so. */
  async completeRefund(orderId: Types.ObjectId): Promise<void> {
    const order = await this.orders.findById(orderId).lean();
    const refund = order?.payment.refund;
    if (!order || !refund || refund.state !== 'requested' || !order.payment.intentId) return;
    const { refundId } = await this.payments.get(order.payment.provider).refund({
      intentId: order.payment.intentId,
      amount: refund.amount,
      idempotencyKey: `refund:${order._id.toHexString()}`,
    });
    const at = new Date();
    await this.orders.updateOne(
      { _id: order._id, 'payment.refund.state': 'requested' },
      {
        $set: { 'payment.refund.state': 'succeeded', 'payment.refund.refundId': refundId, 'payment.refund.completedAt': at, 'payment.status': 'refunded' },
        $push: { history: { status: order.status, at, by: 'system', note: `Refunded ${refund.amount} ${order.currency} (${refundId}): ${refund.reason}` } },
      },
    );
  }

  /**
   * A verified payment event. A success moves a pending order to `paid` only when it matches the
   * order (intent, amount, currency); a success for an order that was cancelled meanwhile (by the
   * customer or by expiry) is refunded at once: money is never kept for an order that will not ship.
   */
  async applyPaymentEvent(event: PaymentEvent): Promise<PaymentOutcome> {
    if (event.kind === 'ignored') return 'ignored';
    let order = await this.findForPayment(event);
    if (!order) {
      this.logger.warn(`Payment event ${event.eventId} names no known order; ignored`);
      return 'unknown-order';
    }
    if (event.kind === 'failed') return this.recordFailure(order, event);

    if (event.intentId !== order.payment.intentId || event.amount !== order.total || event.currency !== order.currency) {
      await this.orders.updateOne({ _id: order._id }, { $addToSet: { 'payment.rejectedEvents': event.eventId } });
      this.logger.warn(
        `Payment ${event.eventId} does not match order ${order.number} (${event.amount} ${event.currency} for ${order.total} ${order.currency}); not marked paid`,
      );
      return 'rejected';
    }
    if (order.status === 'pending_payment') {
      try {
        await this.transition(order._id, 'paid', 'payment', { set: { 'payment.status': 'succeeded' } });
        return 'paid';
      } catch (error) {
        if (!(error instanceof IllegalTransitionError)) throw error;
        order = (await this.orders.findById(order._id).lean())!;
      }
    }
    if (order.status === 'cancelled') {
      await this.refund(order, 'Payment received after the order was cancelled');
      return 'refunded';
    }
    return 'duplicate';
  }

  private async recordFailure(order: OrderRecord, event: Extract<PaymentEvent, { kind: 'failed' }>): Promise<PaymentOutcome> {
    if (event.intentId !== order.payment.intentId) return 'rejected';
    await this.orders.updateOne(
      { _id: order._id, status: 'pending_payment', 'payment.failures.eventId': { $ne: event.eventId } },
      {
        $set: { 'payment.status': 'failed' },
        $push: { 'payment.failures': { at: new Date(), eventId: event.eventId, code: event.code, message: event.message } },
      },
    );
    return 'recorded';
  }

  /** By the order id in the intent's metadata, else by the intent id. */
  private async findForPayment(event: Exclude<PaymentEvent, { kind: 'ignored' }>): Promise<OrderRecord | null> {
    if (isObjectIdString(event.orderId)) {
      const order = await this.orders.findById(event.orderId).lean();
      if (order && order.status !== 'placing') return order;
    }
    return this.orders.findOne({ 'payment.intentId': event.intentId, status: { $ne: 'placing' } }).lean();
  }

  /** Cancels unpaid orders whose payment deadline passed; returns how many. */
  async expireOverdue(now: Date): Promise<number> {
    const due = await this.orders.find({ status: 'pending_payment', paymentDueAt: { $lte: now } }, { _id: 1 }).limit(500).lean();
    let expired = 0;
    for (const { _id } of due) {
      try {
        await this.transition(_id, 'cancelled', 'expiry', { note: 'Payment not received in time' });
        expired += 1;
      } catch (error) {
        // Paid or cancelled in the meantime: nothing to expire.
        if (!(error instanceof IllegalTransitionError)) throw error;
      }
    }
    return expired;
  }

  /** Finishes effects a crash interrupted, and gives back the stock of checkouts that died. */
  async finishInterrupted(cutoff: Date): Promise<void> {
    const unreleased = await this.orders.find({ status: 'cancelled', inventory: 'held', updatedAt: { $lt: cutoff } }).limit(500).lean();
    for (const order of unreleased) await this.releaseStock(order);
    const unshipped = await this.orders.find({ status: { $in: ['shipped', 'delivered'] }, inventory: 'held', updatedAt: { $lt: cutoff } }).limit(500).lean();
    for (const order of unshipped) await this.shipStock(order);
    const refunds = await this.orders.find({ 'payment.refund.state': 'requested', 'payment.refund.requestedAt': { $lt: cutoff } }, { _id: 1 }).limit(500).lean();
    for (const { _id } of refunds) await this.completeRefund(_id);
    const abandoned = await this.orders
      .find({ status: 'placing', createdAt: { $lt: new Date(cutoff.getTime() - ABANDONED_CHECKOUT_MINUTES * 60_000) } })
      .limit(500)
      .lean();
    for (const order of abandoned) await this.abandonPlacing(order);
  }

  /**
   * A checkout that failed (or died) before placing its order: give back what it took, forget
   * it. Does nothing once the order was placed after all (the transition's write went through).
   */
  async abandonPlacing(order: OrderRecord): Promise<void> {
    const current = await this.orders.findById(order._id, { status: 1 }).lean();
    if (current && current.status !== 'placing') return;
    await this.inventory.release(order._id.toHexString(), stockLinesOf(order));
    await this.orders.deleteOne({ _id: order._id, status: 'placing' });
  }
}

function stockLinesOf(order: OrderRecord): StockLine[] {
  return order.items.map((line) => ({ productId: line.productId.toHexString(), quantity: line.quantity }));
}
