import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, QueryFilter, Types } from 'mongoose';
import { isObjectIdString, StateConflictError, TurnBatchedWrites } from '@app/common';
import type { StockLine } from '../products/inventory.service';
import type { OrderEventType } from './events/order-events';
import type { OrderActor, OrderStatus, OrderTransition } from './order-state';
import { paymentStepTo } from './payment-state';
import { HistoryEntry, Order, OutboxEntry, Payment, PaymentFailure, PaymentStatus } from './schemas/order.schema';

/** An order as read (a plain object: `_id` is an ObjectId, the rest as stored). */
export type OrderRecord = Order;

/** An order just before and just after one write (OrderStore.transition). */
export interface Transitioned {
  before: OrderRecord;
  after: OrderRecord;
}

/** What checkout writes to open an order in `placing`; the store adds status and the empty lists. */
export type NewOrder = Pick<
  Order,
  '_id' | 'number' | 'userId' | 'email' | 'items' | 'subtotal' | 'shippingTotal' | 'total' | 'currency' | 'shippingAddress' | 'idempotencyScope' | 'requestHash'
> &
  Partial<Pick<Order, 'discountTotal' | 'shippingDiscount' | 'shippingTax' | 'taxTotal' | 'pricesIncludeTax' | 'shippingMethod' | 'promotions' | 'promotionCodes' | 'promotionCustomer'>> & {
    payment: Pick<Payment, 'provider'>;
  };

/** Fields a transition may set in the same write as the status. */
export interface TransitionFields {
  trackingNumber?: string;
  paymentDueAt?: Date;
  payment?: Partial<Pick<Payment, 'status' | 'intentId' | 'clientSecret' | 'approvalUrl'>>;
}

export interface TransitionChange {
  set?: TransitionFields;
  /** Kept in the history entry. */
  note?: string;
}

/** Orders still being placed by a checkout are nobody's business yet: every reader's filter. */
export const PLACED = { status: { $ne: 'placing' } } as const;
/** Statuses in which an order's units are allocated (until shipped, cancelled or expired). */
const HOLDING_STATUSES: OrderStatus[] = ['pending_payment', 'paid', 'processing'];

/**
 * The only writer of the `orders` collection (ARCHITECTURE.md: one owner per collection). Writes
 * are verbs that own their filter: the status only ever changes through `transition`, one
 * conditional write that also appends the history entry and records the step's event in the
 * outbox, so an event exists exactly when its transition happened. `payment.status` moves only
 * along the payment table (payment-state.ts): each payment write is conditioned on a state the
 * table allows it from.
 */
@Injectable()
export class OrderStore {
  /**
   * Every checkout opens its order, every relayed event leaves its outbox and every cancel marks
   * its stock released: those of one turn go together (each refused alone, as a duplicate
   * idempotency scope is).
   */
  private readonly batchedWrites: TurnBatchedWrites<Order>;

  constructor(@InjectModel(Order.name) private readonly model: Model<Order>) {
    this.batchedWrites = new TurnBatchedWrites(this.collection(), { ignoreUndefined: true });
  }

  /** The driver's collection, typed: for the hot writes that build their filter and update from typed values (nothing to cast). */
  private collection(): mongo.Collection<Order> {
    return this.model.collection as unknown as mongo.Collection<Order>;
  }

  // ---- reads ----

  findById(orderId: string | Types.ObjectId): Promise<OrderRecord | null> {
    return this.model.findById(orderId).lean<OrderRecord>().exec();
  }

  /** A placed order (not one a checkout is still placing), optionally only if it is the user's. */
  findPlaced(orderId: string, userId?: string): Promise<OrderRecord | null> {
    return this.model.findOne({ _id: orderId, ...(userId && { userId }), ...PLACED }).lean<OrderRecord>().exec();
  }

  /** A placed order by its number (order lookup). */
  findPlacedByNumber(number: string): Promise<OrderRecord | null> {
    return this.model.findOne({ number, ...PLACED }).lean<OrderRecord>().exec();
  }

  findByIdempotencyScope(scope: string): Promise<OrderRecord | null> {
    return this.model.findOne({ idempotencyScope: scope }).lean<OrderRecord>().exec();
  }

  /** The placed order a payment names: by its id, else by the provider's intent id. */
  async findForPayment(orderId: string | undefined, intentId: string): Promise<OrderRecord | null> {
    if (isObjectIdString(orderId)) {
      const order = await this.model.findOne({ _id: orderId, ...PLACED }).lean<OrderRecord>().exec();
      if (order) return order;
    }
    return this.model.findOne({ 'payment.intentId': intentId, ...PLACED }).lean<OrderRecord>().exec();
  }

  async page(filter: QueryFilter<Order>, skip: number, limit: number): Promise<{ items: OrderRecord[]; total: number }> {
    const [items, total] = await Promise.all([
      this.model.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skip).limit(limit).lean<OrderRecord[]>().exec(),
      this.model.countDocuments(filter).exec(),
    ]);
    return { items, total };
  }

  /** Placed orders not yet paid, shipped, cancelled or expired whose stock is still held: each of their lines is allocated. */
  async *holdingStock(): AsyncGenerator<Pick<Order, '_id' | 'number' | 'items'>> {
    yield* this.model.find({ inventory: 'held', status: { $in: HOLDING_STATUSES } }, { number: 1, items: 1 }).lean<Pick<Order, '_id' | 'number' | 'items'>>().cursor();
  }

  async hasDelivered(userId: string, productId: string): Promise<boolean> {
    return (await this.model.exists({ userId, status: 'delivered', 'items.productId': productId })) !== null;
  }

  /** Status and payment deadline of each of these orders that exists (the unpaid-order cap reads them). */
  deadlinesOf(orderIds: Types.ObjectId[]): Promise<Pick<Order, '_id' | 'status' | 'paymentDueAt'>[]> {
    return this.model.find({ _id: { $in: orderIds } }, { status: 1, paymentDueAt: 1 }).lean<Pick<Order, '_id' | 'status' | 'paymentDueAt'>[]>().exec();
  }

  /** Ids of unpaid orders whose payment deadline passed. */
  async dueForExpiry(now: Date, limit: number): Promise<Types.ObjectId[]> {
    const due = await this.model.find({ status: 'pending_payment', paymentDueAt: { $lte: now } }, { _id: 1 }).limit(limit).lean().exec();
    return due.map((order) => order._id);
  }

  /** Orders a checkout began before `cutoff` and never placed (it died or failed mid-way). */
  abandonedPlacing(cutoff: Date, limit: number): Promise<OrderRecord[]> {
    return this.model.find({ status: 'placing', createdAt: { $lt: cutoff } }).limit(limit).lean<OrderRecord[]>().exec();
  }

  /** Ids of orders holding events recorded before `cutoff` (no relay took them: a crash, an outage). */
  async withStaleOutbox(cutoff: Date, limit: number): Promise<Types.ObjectId[]> {
    const stale = await this.model.find({ 'outbox.at': { $lt: cutoff } }, { _id: 1 }).limit(limit).lean().exec();
    return stale.map((order) => order._id);
  }

  /** The events waiting in the order's outbox (they leave it with `markRelayed`). */
  async takeOutbox(orderId: string | Types.ObjectId): Promise<OutboxEntry[]> {
    const order = await this.model.findById(orderId, { outbox: 1 }).lean<Pick<Order, 'outbox'>>().exec();
    return order?.outbox ?? [];
  }

  // ---- writes ----

  /**
   * Opens the order in the internal status `placing`; a duplicate idempotency scope throws E11000.
   *
   * Written through the driver, not `Model.create`: building and validating a Mongoose document
   * of the whole order was the largest CPU cost of a checkout. The order is typed (NewOrder) and
   * its input checked by the DTOs and checkout (emails and addresses normalised there), so this
   * writes exactly what the schema would have: its defaults, the timestamps and `__v`.
   */
  async place(order: NewOrder): Promise<OrderRecord> {
    const at = new Date();
    const record: OrderRecord = {
      ...order,
      // No empty `options` (a variant without option values), as Mongoose's `minimize` never stored one.
      items: order.items.map(({ options, ...line }) => (options && Object.keys(options).length > 0 ? { ...line, options } : line)),
      status: 'placing',
      promotions: order.promotions ?? [],
      payment: { provider: order.payment.provider, status: 'requires_payment', failures: [], rejectedEvents: [] },
      history: [],
      outbox: [],
      inventory: 'held',
      createdAt: at,
      updatedAt: at,
    };
    await this.batchedWrites.insert({ ...record, __v: 0 } as Order);
    return record;
  }

  /** Forgets an order a checkout never placed; nothing once it was placed after all. */
  async discardPlacing(orderId: Types.ObjectId): Promise<boolean> {
    return (await this.model.deleteOne({ _id: orderId, status: 'placing' }).exec()).deletedCount === 1;
  }

  /**
   * Takes `step` from the status the order was read in: sets the status and `change.set`, appends
   * the history entry and records the step's event in the outbox, in one write conditioned on the
   * status still being `current.status`. Null when another write changed the status first.
   *
   * Returns the order just before and just after this write, both exact: the before is the
   * write's own pre-image (`returnDocument: 'before'`; `current` was read earlier, and the
   * stand-in's 'after' can show a later write, ARCHITECTURE.md), the after is it with this
   * write's sets and pushes applied (and its own `updatedAt`, set here so that it is known).
   * Both are plain objects as stored (lean, like every read here): no documents are built for
   * them, on the path of every cancel and checkout.
   */
  async transition(current: OrderRecord, step: OrderTransition, actor: OrderActor, change: TransitionChange = {}): Promise<Transitioned | null> {
    const at = new Date();
    const history = { status: step.to, at, by: actor, ...(change.note && { note: change.note }) };
    const event = step.event && nextEvent(current, step.event.type, at);
    const push: Record<string, unknown> = { history, ...(event && { outbox: event.entry }) };
    const paymentTo = change.set?.payment?.status;
    const set: Record<string, unknown> = { status: step.to, ...flatten(change.set), ...event?.set, updatedAt: at };
    // Through the driver: the filter and the update are built here from typed values (nothing to
    // cast), and the order is a plain object both ways (no document hydrated, twice, per step).
    const raw = await this.collection().findOneAndUpdate(
      { _id: current._id, status: current.status, ...(paymentTo && paymentFrom(paymentTo)), ...event?.condition },
      { $set: set, $push: push },
      { returnDocument: 'before', ignoreUndefined: true },
    );
    if (!raw) return null;
    const { __v: _version, ...before } = raw as OrderRecord & { __v?: number };
    return { before, after: applied(before, set, push) };
  }

  /**
   * A guest's order placed with `email` becomes the account's. One write conditioned on the order
   * still belonging to no account, so two accounts (or two requests) cannot both take it. The
   * order as written, or null when there is no such guest order.
   */
  claimGuestOrder(number: string, email: string, userId: string): Promise<OrderRecord | null> {
    return this.model
      .findOneAndUpdate({ number, email, userId: { $exists: false }, ...PLACED }, { $set: { userId: new Types.ObjectId(userId) } }, { returnDocument: 'after' })
      .lean<OrderRecord>()
      .exec();
  }

  /**
   * The events were handed to the queue: they leave the outbox. Delivery machinery, not what the
   * order shows: `updatedAt` stays (so a transition's answer stays the order as read after it).
   */
  async markRelayed(orderId: Types.ObjectId, eventIds: string[]): Promise<void> {
    // Through the driver: typed values, nothing to cast (runs after every event).
    await this.batchedWrites.update({ _id: orderId }, { $pull: { outbox: { eventId: { $in: eventIds } } } });
  }

  /**
   * The order's units went back to the shelf (`released`) or left it (`shipped`); once, from `held`.
   * A mark the order's answers do not show: `updatedAt` stays, as for `markRelayed` (and through
   * the driver as it is, which sets nothing it is not given). Nothing depends on whether this
   * call was the one that moved it, so it goes with the turn's other order writes.
   */
  async markStock(orderId: Types.ObjectId, state: 'released' | 'shipped'): Promise<void> {
    await this.batchedWrites.update({ _id: orderId, inventory: 'held' }, { $set: { inventory: state } });
  }

  /** A success that did not match the order (amount, currency or intent), kept for a human. */
  async rejectPaymentEvent(orderId: Types.ObjectId, eventId: string): Promise<void> {
    await this.model.updateOne({ _id: orderId }, { $addToSet: { 'payment.rejectedEvents': eventId } }).exec();
  }

  /** A decline while the order waits for payment; each provider event once. */
  async recordPaymentFailure(orderId: Types.ObjectId, failure: PaymentFailure): Promise<void> {
    await this.model
      .updateOne(
        { _id: orderId, status: 'pending_payment', ...paymentFrom('failed'), 'payment.failures.eventId': { $ne: failure.eventId } },
        { $set: { 'payment.status': 'failed' }, $push: { 'payment.failures': failure } },
      )
      .exec();
  }

  /** Records the order's one refund as asked for, before the provider is; false when it was before. */
  async requestRefund(orderId: Types.ObjectId, amount: number, reason: string): Promise<boolean> {
    const claimed = await this.model
      .updateOne(
        { _id: orderId, 'payment.refund': { $exists: false }, ...paymentFrom('refund_pending') },
        { $set: { 'payment.refund': { state: 'requested', amount, reason, requestedAt: new Date() }, 'payment.status': 'refund_pending' } },
      )
      .exec();
    return claimed.modifiedCount === 1;
  }

  /**
   * The provider refunded: recorded once, with a history entry saying so and the payment step's
   * event (OrderRefunded) in the outbox. The order as written, or null when it was recorded before.
   */
  async markRefunded(order: OrderRecord, refundId: string, note: string): Promise<OrderRecord | null> {
    const step = paymentStepTo('refunded');
    let current: OrderRecord | null = order;
    // Conditioned on the event count as read too (see nextEvent): another event recorded in
    // between means reading again, not a lost refund.
    for (let attempt = 0; current && attempt < EVENT_SEQUENCE_ATTEMPTS; attempt += 1) {
      const at = new Date();
      const event = step.event && nextEvent(current, step.event.type, at);
      const written = await this.model
        .findOneAndUpdate(
          { _id: order._id, 'payment.refund.state': 'requested', ...paymentFrom('refunded'), ...event?.condition },
          {
            $set: { 'payment.refund.state': 'succeeded', 'payment.refund.refundId': refundId, 'payment.refund.completedAt': at, 'payment.status': step.to, ...event?.set },
            $push: { history: { status: current.status, at, by: 'system', note }, ...(event && { outbox: event.entry }) },
          },
          { returnDocument: 'after' },
        )
        .lean<OrderRecord>()
        .exec();
      if (written) return written;
      // Still to record (else it was recorded before: null, as without the sequence condition).
      current = await this.model.findOne({ _id: order._id, 'payment.refund.state': 'requested', ...paymentFrom('refunded') }).lean<OrderRecord>().exec();
    }
    if (current) throw new StateConflictError('The order kept changing while its refund was recorded; try again');
    return null;
  }
}

/** The order's lines as the inventory counts them. */
export function stockLinesOf(order: OrderRecord): StockLine[] {
  return order.items.map((line) => ({
    productId: line.productId.toHexString(),
    // Lines from before variants sold the default variant, whose id is the product's.
    variantId: (line.variantId ?? line.productId).toHexString(),
    quantity: line.quantity,
  }));
}

/** The promotions whose uses the order holds (PromotionUses gives them back). */
export function promotionsHeldBy(order: OrderRecord): { id: string }[] {
  return (order.promotions ?? []).map((promotion) => ({ id: promotion.promotionId }));
}

export function outboxEntry(type: OrderEventType, at: Date, sequence?: number): OutboxEntry {
  return { eventId: new Types.ObjectId().toHexString(), type, at, ...(sequence !== undefined && { sequence }) };
}

/** How often recording a refund re-reads after another event took the next sequence number. */
const EVENT_SEQUENCE_ATTEMPTS = 5;

/**
 * The next event of the order as read: its outbox entry numbered one past the order's count,
 * the count set to that number, and the condition that the count is still what was read. So the
 * events of one order are numbered 1, 2, … in the order their writes happened, whichever process
 * writes them (webhook receivers order by it), and two writes can never take the same number.
 */
function nextEvent(current: Pick<Order, 'eventSequence'>, type: OrderEventType, at: Date) {
  const sequence = (current.eventSequence ?? 0) + 1;
  return {
    entry: outboxEntry(type, at, sequence),
    set: { eventSequence: sequence },
    condition: { eventSequence: current.eventSequence ?? { $exists: false } },
  };
}

/** The condition that the payment is in a state the payment table allows `to` from. */
function paymentFrom(to: PaymentStatus): Record<string, unknown> {
  return { 'payment.status': { $in: paymentStepTo(to).from } };
}

/**
 * `order` with a write's `$set` (top-level or dotted paths) and `$push` applied, as a new object:
 * what is shared with `order` is never changed (it is the write's pre-image, answered too).
 */
function applied(order: OrderRecord, set: Record<string, unknown>, push: Record<string, unknown>): OrderRecord {
  const after: Record<string, unknown> = { ...order };
  for (const [path, value] of Object.entries(set)) {
    const keys = path.split('.');
    let target = after;
    for (const key of keys.slice(0, -1)) target = target[key] = { ...(target[key] as Record<string, unknown>) };
    target[keys.at(-1)!] = value;
  }
  for (const [path, value] of Object.entries(push)) after[path] = [...((after[path] as unknown[]) ?? []), value];
  return after as unknown as OrderRecord;
}

/** `{payment: {status}}` → `{'payment.status': …}`: a transition sets fields, never replaces the payment. */
function flatten(fields: TransitionFields = {}): Record<string, unknown> {
  const { payment, ...top } = fields;
  const flat: Record<string, unknown> = { ...top };
  for (const [key, value] of Object.entries(payment ?? {})) flat[`payment.${key}`] = value;
  return Object.fromEntries(Object.entries(flat).filter(([, value]) => value !== undefined));
}
