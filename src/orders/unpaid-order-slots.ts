import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomInt } from 'node:crypto';
import { Model, mongo, Types } from 'mongoose';
import { isDuplicateKeyError, TurnBatchedFind, TurnBatchedWrites } from '@app/common';
import { AppConfig } from '../config/app-config';
import { ABANDONED_CHECKOUT_MINUTES } from './order-lifecycle.service';
import type { OrderStatus } from './order-state';
import { TooManyUnpaidOrdersError } from './orders.errors';
import { OrderStore } from './order.store';
import { Order } from './schemas/order.schema';
import { UnpaidOrderSlot } from './schemas/unpaid-order-slot.schema';

/** Statuses in which an order holds stock without having been paid. */
const UNPAID: readonly OrderStatus[] = ['placing', 'pending_payment'];
/** Lost races (another checkout of the same customer took the slot) before giving up with 429. */
const CLAIM_ATTEMPTS = 10;
/** Random probes for a free slot before listing the free ones (only a large cap gets there). */
const RANDOM_PROBES = 32;

type HeldSlot = Pick<UnpaidOrderSlot, '_id' | 'slot' | 'orderId' | 'claimedAt'>;
type SlotOrder = Pick<Order, '_id' | 'status' | 'paymentDueAt'>;

/**
 * MAX_UNPAID_ORDERS per customer (issue 27): a checkout claims one of the customer's slots
 * before it takes any stock, and fails with 429 when every slot holds an unpaid order.
 *
 * A claim is one conditional atomic write: an insert that the unique (userId, slot) index lets
 * only one checkout make, or a takeover of a slot whose order is no longer unpaid, conditioned
 * on the slot still naming that order. Simultaneous checkouts of one customer therefore never
 * exceed the cap (a count followed by an insert would let them all through).
 *
 * Slots are not given back when an order is paid, cancelled or expires: the next claim sees
 * that the order is no longer unpaid and takes the slot over. So nothing in the order
 * lifecycle has to remember the slots, and a crash cannot leak one; a checkout that fails
 * gives its slot back at once (release).
 */
@Injectable()
export class UnpaidOrderSlots {
  /** Every checkout reads the customer's slots and inserts one: those of one turn go together. */
  private readonly slotReads: TurnBatchedFind<HeldSlot & Pick<UnpaidOrderSlot, 'userId'>>;
  private readonly slotInserts: TurnBatchedWrites<UnpaidOrderSlot>;
  /** MAX_UNPAID_ORDERS: slots 0 to max − 1. */
  private readonly max: number;

  constructor(
    @InjectModel(UnpaidOrderSlot.name) private readonly slots: Model<UnpaidOrderSlot>,
    private readonly orders: OrderStore,
    private readonly config: AppConfig,
  ) {
    this.max = config.get('MAX_UNPAID_ORDERS');
    const collection = slots.collection as unknown as mongo.Collection<UnpaidOrderSlot>;
    this.slotReads = new TurnBatchedFind(collection, 'userId', { projection: { userId: 1, slot: 1, orderId: 1, claimedAt: 1 }, also: { slot: { $lt: this.max } }, mostPerValue: this.max });
    this.slotInserts = new TurnBatchedWrites(collection);
  }

  /** Claims a slot for `orderId` (not written yet), or throws TooManyUnpaidOrdersError. */
  async claim(userId: string, orderId: Types.ObjectId): Promise<void> {
    const { max } = this;
    const user = new Types.ObjectId(userId);
    let held: HeldSlot[] = [];
    let holders = new Map<string, SlotOrder>();
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      // The driver's find: typed values, nothing to cast.
      held = await this.slotReads.find([user]);
      const free = freeSlot(max, new Set(held.map((slot) => slot.slot)));
      if (free !== undefined) {
        try {
          // Through the driver: four typed fields, no document to build and validate on every checkout.
          await this.slotInserts.insert({ userId: user, slot: free, orderId, claimedAt: new Date() });
          return;
        } catch (error) {
          if (isDuplicateKeyError(error)) continue;
          throw error;
        }
      }
      holders = await this.holdersOf(held);
      const stale = held.find((slot) => !holdsUnpaid(slot, holders.get(slot.orderId.toHexString())));
      if (!stale) break;
      const taken = await this.slots.updateOne({ _id: stale._id, orderId: stale.orderId }, { $set: { orderId, claimedAt: new Date() } });
      if (taken.modifiedCount === 1) return;
    }
    throw new TooManyUnpaidOrdersError(max, this.secondsUntilOneFrees(held, holders));
  }

  /** Gives back the slot of a checkout that placed no order. */
  async release(userId: string, orderId: Types.ObjectId): Promise<void> {
    await this.slots.deleteOne({ userId: new Types.ObjectId(userId), orderId });
  }

  private async holdersOf(held: HeldSlot[]): Promise<Map<string, SlotOrder>> {
    const orders = await this.orders.deadlinesOf(held.map((slot) => slot.orderId));
    return new Map(orders.map((order) => [order._id.toHexString(), order]));
  }

  /** When the first unpaid order reaches its payment deadline (it is then cancelled by expiry). */
  private secondsUntilOneFrees(held: HeldSlot[], holders: Map<string, SlotOrder>): number {
    const fallback = Date.now() + this.config.get('ORDER_PAYMENT_TTL_MINUTES') * 60_000;
    const frees = held.map((slot) => holders.get(slot.orderId.toHexString())?.paymentDueAt?.getTime() ?? fallback);
    const soonest = frees.length > 0 ? Math.min(...frees) : Date.now();
    return Math.max(1, Math.ceil((soonest - Date.now()) / 1000));
  }
}

/**
 * Whether the slot still holds an unpaid order. An order not written yet belongs to a checkout
 * in progress; once that is older than a checkout can take, the checkout died before writing it.
 */
function holdsUnpaid(slot: HeldSlot, order: SlotOrder | undefined): boolean {
  if (order) return UNPAID.includes(order.status);
  return Date.now() - slot.claimedAt.getTime() < ABANDONED_CHECKOUT_MINUTES * 60_000;
}

/** A random free slot number (simultaneous checkouts then rarely race for the same one), if any. */
function freeSlot(max: number, taken: Set<number>): number | undefined {
  if (taken.size >= max) return undefined;
  for (let probe = 0; probe < RANDOM_PROBES; probe += 1) {
    const slot = randomInt(max);
    if (!taken.has(slot)) return slot;
  }
  const free = Array.from({ length: max }, (_, slot) => slot).filter((slot) => !taken.has(slot));
  return free[randomInt(free.length)];
}
