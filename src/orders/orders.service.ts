import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter } from 'mongoose';
import { NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AdminOrderListQueryDto, UpdateOrderStatusDto } from './dto/order.dto';
import { OrderLifecycle, OrderRecord } from './order-lifecycle.service';
import { Order } from './schemas/order.schema';

/** Orders still being placed by a checkout are nobody's business yet. */
const PLACED = { status: { $ne: 'placing' } } as const;

/** Reading orders, and the customer's and the admin's ways to change one. */
@Injectable()
export class OrdersService {
  constructor(
    @InjectModel(Order.name) private readonly orders: Model<Order>,
    private readonly lifecycle: OrderLifecycle,
  ) {}

  /** The caller's orders, newest first. */
  listOwn(userId: string, query: PaginationQueryDto): Promise<Paginated<OrderRecord>> {
    return this.page({ userId, ...PLACED }, query);
  }

  /** Someone else's order is as good as missing (404). */
  async getOwn(userId: string, orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findOne({ _id: orderId, userId, ...PLACED }).lean();
    if (!order) throw new NotFoundError('Order not found');
    return order;
  }

  /** Customers cancel before processing starts; a paid order is refunded (OrderLifecycle). */
  async cancelOwn(userId: string, orderId: string): Promise<OrderRecord> {
    await this.getOwn(userId, orderId);
    return this.lifecycle.transition(orderId, 'cancelled', 'customer', { note: 'Cancelled by the customer' });
  }

  listAll(query: AdminOrderListQueryDto): Promise<Paginated<OrderRecord>> {
    const createdAt = {
      ...(query.from && { $gte: new Date(query.from) }),
      ...(query.to && { $lt: new Date(query.to) }),
    };
    const filter: QueryFilter<Order> = {
      ...(query.status ? { status: query.status } : PLACED),
      ...(query.userId && { userId: query.userId }),
      ...(Object.keys(createdAt).length > 0 && { createdAt }),
    };
    return this.page(filter, query);
  }

  async get(orderId: string): Promise<OrderRecord> {
    const order = await this.orders.findOne({ _id: orderId, ...PLACED }).lean();
    if (!order) throw new NotFoundError('Order not found');
    return order;
  }

  async setStatus(orderId: string, dto: UpdateOrderStatusDto): Promise<OrderRecord> {
    await this.get(orderId);
    return this.lifecycle.transition(orderId, dto.status, 'admin', {
      ...(dto.trackingNumber && { set: { trackingNumber: dto.trackingNumber } }),
    });
  }

  private async page(filter: QueryFilter<Order>, query: PaginationQueryDto): Promise<Paginated<OrderRecord>> {
    const [items, total] = await Promise.all([
      this.orders.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean(),
      this.orders.countDocuments(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }
}
