import { Injectable, Logger } from '@nestjs/common';
import { Types } from 'mongoose';
import { StateConflictError, isObjectIdString, NotFoundError } from '@app/common';
import { InventoryService } from '../products/inventory.service';
import { PaymentEvent } from '../payment-providers/payment-provider';
import { PromotionUses } from '../pricing/promotion-uses';
import { effectsShowOnOrder, OrderEffects } from './effects/order-effects';
import { findTransition, OrderActor, OrderStatus } from './order-state';
import { OrderRecord, OrderStore, promotionsHeldBy, stockLinesOf, Transitioned, TransitionChange } from './order.store';
import { EVENTS_WITH_EFFECTS } from './events/order-events';
import { IllegalTransitionError } from './orders.errors';
import { OutboxRelay } from './outbox/outbox-relay';

export type { OrderRecord, TransitionChange } from './order.store';

/** How often a transition re-reads after losing a race before giving up with 409. */
const TRANSITION_ATTEMPTS = 5;
/** A checkout this old that never placed its order died mid-way: its allocation is given back. */
export const ABANDONED_CHECKOUT_MINUTES = 10;
/** How many orders one sweep step handles; the next sweep takes the rest. */
const SWEEP_BATCH = 500;

export type PaymentOutcome = 'paid' | 'refunded' | 'duplicate' | 'rejected' | 'recorded' | 'unknown-order' | 'ignored';

/**
 * The order lifecycle: every status change goes through `transition()`, which records the change
 * and its event. What a change entails (stock released or shipped, money refunded, the
 * provider's payment cancelled) is done by the event's handler, OrderEffects, once per (order,
 * effect), whatever crashes in between. Orders are written only through the OrderStore.
 */
@Injectable()
export class OrderLifecycle {
  private readonly logger = new Logger(OrderLifecycle.name);

  constructor(
    private readonly orders: OrderStore,
    private readonly relay: OutboxRelay,
    private readonly inventory: InventoryService,
    private readonly effects: OrderEffects,
    private readonly promotionUses: PromotionUses,
  ) {}

  /** The order as stored, for readers outside the orders module (the order emails); never writes. */
  async read(orderId: string | Types.ObjectId): Promise<OrderRecord | null> {
    if (typeof orderId === 'string' && !isObjectIdString(orderId)) return null;
    return this.orders.findById(orderId);
  }

  /**
   * Moves the order to `to` if the state table lets `actor` take that step from its current
   * status. One conditional update on the status sets it, appends to `history` and records the
   * step's event in the outbox (OrderStore.transition): no event without the write, no write
   * without its event. Of two racing transitions only one matches the status it read; the other
   * reads again and is judged against the new status (cancel racing expiry: one cancels, the
   * other gets 409).
   *
   * The event's effects are then run at once by their handler (OrderEffects.runNow), so that the
   * answer shows them; the queued `order-effects` job is what guarantees them.
   *
   * `asRead` is the order as the caller just read it (an ownership or visibility check): it
   * stands in for the first read (see `step`).
   */
  async transition(orderId: string | Types.ObjectId, to: OrderStatus, actor: OrderActor, change: TransitionChange = {}, asRead?: OrderRecord): Promise<OrderRecord> {
    return (await this.step(orderId, to, actor, change, asRead)).shown;
  }

  /**
   * `transition`, also telling the order just before and just after the transition's own write
   * (what the admin's audit entry records): `shown` is the order as answered, with the effects
   * run at once.
   *
   * The order the caller read (`asRead`) is stepped from without reading it again: the write is
   * conditioned on the status (and event count) as read, so a copy that is no longer current
   * only loses the write, and the order is read again as after any lost race. A step that copy
   * does not allow is judged again from a fresh read (a later status may allow it), so the
   * outcome is the one a fresh read would give.
   */
  async step(
    orderId: string | Types.ObjectId,
    to: OrderStatus,
    actor: OrderActor,
    change: TransitionChange = {},
    asRead?: OrderRecord,
  ): Promise<Transitioned & { shown: OrderRecord }> {
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt += 1) {
      const current = attempt === 0 && asRead && findTransition(asRead.status, to, actor) ? asRead : await this.orders.findById(orderId);
      if (!current) throw new NotFoundError('Order not found');
      const done = await this.stepFrom(current, to, actor, change);
      if (done) return done;
    }
    throw new StateConflictError('The order kept changing; try again');
  }

  /**
   * Checkout's last step: the order it wrote in `placing` becomes `pending_payment`. The write is
   * conditioned on the order being exactly as the checkout wrote it (status, no event yet), so
   * the checkout's own copy stands in for a re-read; only when something else wrote to the order
   * meanwhile (the sweeper abandoning it) is it read again, as by `transition`. OrderPlaced has no
   * effects, and its relay is not awaited: the answer does not wait for the queue, and an event
   * the relay never hands over (a crash) is handed over by the sweeper (OutboxRelay.sweep).
   */
  async placeOrder(placing: OrderRecord, change: TransitionChange): Promise<OrderRecord> {
    const step = findTransition(placing.status, 'pending_payment', 'checkout');
    if (!step) throw new IllegalTransitionError(placing.status, 'pending_payment');
    const written = await this.orders.transition(placing, step, 'checkout', change);
    if (!written) return this.transition(placing._id, 'pending_payment', 'checkout', change);
    this.relay.inBackground(written.after);
    return written.after;
  }

  /**
   * Takes the step to `to` from the order as read, if the state table lets `actor` take it; null
   * when another write changed the order first (the caller reads again).
   */
  private async stepFrom(current: OrderRecord, to: OrderStatus, actor: OrderActor, change: TransitionChange): Promise<(Transitioned & { shown: OrderRecord }) | null> {
    const step = findTransition(current.status, to, actor);
    if (!step) throw new IllegalTransitionError(current.status, to);

    // Only one caller can match the status it read, so the documents returned are this write's.
    const written = await this.orders.transition(current, step, actor, change);
    if (!written) return null;
    const updated = written.after;

    // The entry this write pushed is the outbox's last.
    const event = step.event && updated.outbox.at(-1);
    const withEffects = event && EVENTS_WITH_EFFECTS.includes(event.type);
    // The relay's queue adds and the effects run at once. Neither throws (each leaves what fails
    // to the sweeper or the job). The effects are claimed per (order, effect), so the job the
    // relay queues, were it picked up before runNow is done, does each effect once with it (as
    // when the relay went first). Their writes to the order are separate atomic updates of
    // separate fields (the outbox; stock and refund state); an event a refund records meanwhile
    // is relayed by the refund, and an entry handed over twice is one job (deterministic ids).
    await Promise.all([
      this.relay.afterWrite(updated),
      withEffects && this.effects.runNow({ orderId: updated._id.toHexString(), eventId: event.eventId, type: event.type }, updated),
    ]);
    // Effects that change only what the order does not show (stock, the provider's payment)
    // leave it as written: it is answered as such. A refund is read back (its payment and history).
    if (!withEffects || !effectsShowOnOrder(event.type, updated)) return { ...written, shown: updated };
    return { ...written, shown: (await this.orders.findById(current._id)) ?? updated };
  }

  /**
   * A verified payment event. A success moves a pending order to `paid` only when it matches the
   * order (intent, amount, currency); a success for an order that was cancelled meanwhile (by the
   * customer or by expiry) is refunded at once: money is never kept for an order that will not ship.
   */
  async applyPaymentEvent(event: PaymentEvent): Promise<PaymentOutcome> {
    if (event.kind === 'ignored') return 'ignored';
    let order = await this.orders.findForPayment(event.orderId, event.intentId);
    if (!order) {
      this.logger.warn(`Payment event ${event.eventId} names no known order; ignored`);
      return 'unknown-order';
    }
    if (event.kind === 'failed') return this.recordFailure(order, event);

    if (event.intentId !== order.payment.intentId || event.amount !== order.total || event.currency !== order.currency) {
      await this.orders.rejectPaymentEvent(order._id, event.eventId);
      this.logger.warn(
        `Payment ${event.eventId} does not match order ${order.number} (${event.amount} ${event.currency} for ${order.total} ${order.currency}); not marked paid`,
      );
      return 'rejected';
    }
    if (order.status === 'pending_payment') {
      try {
        await this.transition(order._id, 'paid', 'payment', { set: { payment: { status: 'succeeded' } } });
        return 'paid';
      } catch (error) {
        if (!(error instanceof IllegalTransitionError)) throw error;
        order = (await this.orders.findById(order._id))!;
      }
    }
    if (order.status === 'cancelled') {
      await this.effects.refundLatePayment(order);
      return 'refunded';
    }
    return 'duplicate';
  }

  private async recordFailure(order: OrderRecord, event: Extract<PaymentEvent, { kind: 'failed' }>): Promise<PaymentOutcome> {
    if (event.intentId !== order.payment.intentId) return 'rejected';
    await this.orders.recordPaymentFailure(order._id, { at: new Date(), eventId: event.eventId, code: event.code, message: event.message });
    return 'recorded';
  }

  /** Cancels unpaid orders whose payment deadline passed; returns how many. */
  async expireOverdue(now: Date): Promise<number> {
    let expired = 0;
    for (const orderId of await this.orders.dueForExpiry(now, SWEEP_BATCH)) {
      try {
        await this.transition(orderId, 'cancelled', 'expiry', { note: 'Payment not received in time' });
        expired += 1;
      } catch (error) {
        // Paid or cancelled in the meantime: nothing to expire.
        if (!(error instanceof IllegalTransitionError)) throw error;
      }
    }
    return expired;
  }

  /** Gives back the stock of checkouts that died before placing their order (no event exists for them). */
  async abandonDeadCheckouts(cutoff: Date): Promise<void> {
    const abandonedBefore = new Date(cutoff.getTime() - ABANDONED_CHECKOUT_MINUTES * 60_000);
    for (const order of await this.orders.abandonedPlacing(abandonedBefore, SWEEP_BATCH)) await this.abandonPlacing(order);
  }

  /**
   * A checkout that failed (or died) before placing its order: give back what it took, forget
   * it. Does nothing once the order was placed after all (the transition's write went through):
   * false then.
   */
  async abandonPlacing(order: OrderRecord): Promise<boolean> {
    const current = await this.orders.findById(order._id);
    if (current && current.status !== 'placing') return false;
    await this.inventory.release(order._id.toHexString(), stockLinesOf(order));
    await this.promotionUses.giveBack(order._id, promotionsHeldBy(order), order.promotionCustomer ?? '');
    await this.orders.discardPlacing(order._id);
    return true;
  }
}
