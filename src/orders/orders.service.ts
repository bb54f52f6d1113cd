import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { normalizeCode } from '../pricing/quote';
import { QueryFilter } from 'mongoose';
import { LimitReachedError, NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { clientKeyOf } from '../core/client-key';
import { giveHourlyUseBack, takeHourlyUse } from '../redis/hourly-limits';
import { REDIS } from '../redis/redis.module';
import { normalizeEmail, UsersService } from '../users/users.service';
import { AdminOrderListQueryDto, UpdateOrderStatusDto } from './dto/order.dto';
import { OrderLifecycle } from './order-lifecycle.service';
import { OrderRecord, OrderStore, PLACED } from './order.store';
import { Order } from './schemas/order.schema';

/** Failed order lookups one client may make per hour (API.md), then 429: numbers are short and guessable. */
export const MAX_FAILED_LOOKUPS_PER_HOUR = 10;

/** The outbox is delivery machinery, not the order's state. */
const ORDER_AUDIT_OMIT = ['outbox'] as const;

/** Reading orders, and the customer's and the admin's ways to change one. */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrderStore,
    private readonly lifecycle: OrderLifecycle,
    private readonly audit: AuditLog,
    private readonly users: UsersService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** The caller's orders, newest first. */
  listOwn(userId: string, query: PaginationQueryDto): Promise<Paginated<OrderRecord>> {
    return this.page({ userId, ...PLACED }, query);
  }

  /** Someone else's order is as good as missing (404). */
  async getOwn(userId: string, orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findPlaced(orderId, userId);
    if (!order) throw new NotFoundError('Order not found');
    return order;
  }

  /**
   * An order by its number and the email it was placed with, for someone without an account (or
   * not logged in). A wrong email is the same NotFoundError as an unknown number, so a lookup
   * never tells whether a number exists. Every lookup is counted as failed before it is made and
   * given back when it succeeds: a burst of guesses cannot slip past MAX_FAILED_LOOKUPS_PER_HOUR.
   */
  async lookup(number: string, email: string, ip: string): Promise<OrderRecord> {
    const failures = `order-lookup-failures:${clientKeyOf(ip)}`;
    const retryAfter = await takeHourlyUse(this.redis, failures, MAX_FAILED_LOOKUPS_PER_HOUR);
    if (retryAfter > 0) throw new LimitReachedError('Too many failed order lookups; try again later', retryAfter);
    const order = await this.orders.findPlacedByNumber(number);
    if (!order?.email || order.email !== normalizeEmail(email)) throw new NotFoundError('Order not found');
    await giveHourlyUseBack(this.redis, failures);
    return order;
  }

  /**
   * A guest order placed with the account's email joins the account, once the account proved the
   * address is its own; anything else (unverified, another email, not a guest order) is a 404.
   */
  async claimGuestOrder(userId: string, number: string): Promise<OrderRecord> {
    const user = await this.users.getById(userId);
    const claimed = user.emailVerified ? await this.orders.claimGuestOrder(number, user.email, userId) : null;
    if (!claimed) throw new NotFoundError('Order not found');
    return claimed;
  }

  /** Customers cancel before processing starts; a paid order is refunded (OrderLifecycle). */
  async cancelOwn(userId: string, orderId: string): Promise<OrderRecord> {
    const order = await this.getOwn(userId, orderId);
    return this.lifecycle.transition(orderId, 'cancelled', 'customer', { note: 'Cancelled by the customer' }, order);
  }

  listAll(query: AdminOrderListQueryDto): Promise<Paginated<OrderRecord>> {
    const createdAt = {
      ...(query.from && { $gte: new Date(query.from) }),
      ...(query.to && { $lt: new Date(query.to) }),
    };
    const filter: QueryFilter<Order> = {
      ...(query.status ? { status: query.status } : PLACED),
      ...(query.userId && { userId: query.userId }),
      ...(query.promotionCode && { promotionCodes: normalizeCode(query.promotionCode) }),
      ...(Object.keys(createdAt).length > 0 && { createdAt }),
    };
    return this.page(filter, query);
  }

  async get(orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findPlaced(orderId);
    if (!order) throw new NotFoundError('Order not found');
    return order;
  }

  /**
   * The admin's step (ship, deliver, cancel — a paid order's cancel refunds it). The audit
   * entry's before and after are the order just before and just after the transition's write
   * (OrderStore.transition); the answer shows the order with the step's effects done.
   */
  async setStatus(orderId: string, dto: UpdateOrderStatusDto, actor: AuditActor): Promise<OrderRecord> {
    const order = await this.get(orderId); // an order still being placed is as good as missing (404), as in every admin read
    const { before, after, shown } = await this.lifecycle.step(
      orderId,
      dto.status,
      'admin',
      { ...(dto.trackingNumber && { set: { trackingNumber: dto.trackingNumber } }) },
      order,
    );
    await this.audit.record(actor, { action: 'order.statusChanged', entity: 'order', entityId: after._id, before, after, omit: ORDER_AUDIT_OMIT });
    return shown;
  }

  /** Whether the user has received the product: a `delivered` order of theirs contains it (reviews). */
  async hasDelivered(userId: string, productId: string): Promise<boolean> {
    return this.orders.hasDelivered(userId, productId);
  }

  private async page(filter: QueryFilter<Order>, query: PaginationQueryDto): Promise<Paginated<OrderRecord>> {
    const { items, total } = await this.orders.page(filter, skipFor(query), query.limit);
    return { items, total, page: query.page, limit: query.limit };
  }
}
