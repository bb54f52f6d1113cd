import { Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { isDuplicateKeyError, NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue';
import { OnJob } from '../jobs/on-job.decorator';
import type { OrderEventType, OrderWebhookJob } from '../orders/events/order-events';
import { OrderLifecycle, type OrderRecord } from '../orders/order-lifecycle.service';
import { toProductResponse } from '../products/dto/product.dto';
import type { ProductWebhookJob } from '../products/outbox/product-webhook-job';
import { ProductStore } from '../products/products.store';
import { WebhookDelivery } from './schemas/webhook-delivery.schema';
import { WebhookEndpoint } from './schemas/webhook-endpoint.schema';
import type { WebhookEventType } from './webhook-events';
import { sendWebhook, webhookSignature } from './webhook-sender';

/** The public name of each order event (API.md). */
const ORDER_EVENT_NAMES: Record<OrderEventType, WebhookEventType> = {
  OrderPlaced: 'order.placed',
  OrderPaid: 'order.paid',
  OrderCancelled: 'order.cancelled',
  OrderRefunded: 'order.refunded',
  OrderShipped: 'order.shipped',
  OrderDelivered: 'order.delivered',
};

/** A delivery whose attempt did not succeed: Bull retries the job with backoff. */
class DeliveryNotAccepted extends Error {}

/**
 * Outgoing webhooks on the worker. `webhook-fanout` turns one recorded order event into one
 * delivery per active endpoint subscribed to it (unique per event and endpoint, so a second
 * fan-out of the event adds nothing) with its body fixed once; `webhook-delivery` makes one
 * attempt, signed afresh, and fails the job for Bull to retry with backoff until
 * WEBHOOK_MAX_ATTEMPTS, after which the delivery is `failed`.
 */
@Injectable()
export class WebhookDeliveries {
  private readonly logger = new Logger(WebhookDeliveries.name);

  constructor(
    @InjectModel(WebhookEndpoint.name) private readonly endpoints: Model<WebhookEndpoint>,
    @InjectModel(WebhookDelivery.name) private readonly deliveries: Model<WebhookDelivery>,
    private readonly orders: OrderLifecycle,
    private readonly products: ProductStore,
    private readonly jobs: JobQueue,
    private readonly config: AppConfig,
  ) {}

  @OnJob('webhook-fanout')
  async fanOut(event: OrderWebhookJob | ProductWebhookJob): Promise<number> {
    const type = 'productId' in event ? event.type : ORDER_EVENT_NAMES[event.type];
    const endpoints = await this.endpoints.find({ active: true, events: type }, { _id: 1 }).lean<Pick<WebhookEndpoint, '_id'>[]>();
    if (endpoints.length === 0) return 0;
    const data = 'productId' in event ? await this.productData(event) : await this.orderData(event);
    if (!data) {
      this.logger.warn(`The ${'productId' in event ? 'product' : 'order'} of event ${event.eventId} is gone; no webhook`);
      return 0;
    }
    const body = JSON.stringify({ id: event.eventId, type, createdAt: event.at, sequence: event.sequence, data });
    for (const endpoint of endpoints) {
      const delivery = await this.deliveryFor(event.eventId, endpoint._id, type, body);
      await this.queueAttempt(delivery._id, `webhook-delivery:${delivery._id.toHexString()}`, this.config.get('WEBHOOK_MAX_ATTEMPTS'));
    }
    return endpoints.length;
  }

  private async orderData(event: OrderWebhookJob): Promise<Record<string, unknown> | null> {
    const order = await this.orders.read(event.orderId);
    return order && orderData(order);
  }

  /**
   * The product as the public catalog shows it now (the body is fixed by the first fan-out), or
   * for `stock.low` the variant with its stock at the crossing; null when the product was taken
   * back (a create undone).
   */
  private async productData(event: ProductWebhookJob): Promise<Record<string, unknown> | null> {
    const product = await this.products.findById(event.productId);
    if (!product) return null;
    if (event.type !== 'stock.low') return { ...toProductResponse(product, this.config.get('STORE_CURRENCY')) };
    const variant = product.variants.find((each) => each._id.toHexString() === event.variantId);
    return { productId: event.productId, variantId: event.variantId, sku: variant?.sku, stock: event.stock, threshold: this.config.get('LOW_STOCK_THRESHOLD') };
  }

  /** The delivery of this event to this endpoint: made by the first fan-out, found by any later one. */
  private async deliveryFor(eventId: string, endpointId: Types.ObjectId, type: string, body: string): Promise<Pick<WebhookDelivery, '_id'>> {
    try {
      return await this.deliveries.create({ eventId, endpointId, type, body });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      return (await this.deliveries.findOne({ eventId, endpointId }, { _id: 1 }).lean<Pick<WebhookDelivery, '_id'>>())!;
    }
  }

  private queueAttempt(deliveryId: Types.ObjectId, jobId: string, attempts: number): Promise<void> {
    return this.jobs.queue(
      'webhook-delivery',
      { deliveryId: deliveryId.toHexString() },
      { jobId, attempts, backoff: { type: 'exponential', delay: this.config.get('WEBHOOK_BACKOFF_MS') }, removeOnComplete: 1000, removeOnFail: 1000 },
    );
  }

  @OnJob('webhook-delivery')
  async attempt({ deliveryId }: { deliveryId: string }): Promise<'delivered' | 'gone' | 'paused' | 'failed'> {
    const delivery = await this.deliveries.findById(deliveryId).lean<WebhookDelivery>();
    if (!delivery) return 'gone';
    const endpoint = await this.endpoints.findById(delivery.endpointId).lean<WebhookEndpoint>();
    if (!endpoint) {
      await this.deliveries.updateOne({ _id: delivery._id, status: 'pending' }, { $set: { status: 'failed' } });
      return 'gone';
    }
    if (!endpoint.active) return 'paused';

    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'Shop-Webhook-Id': delivery.eventId,
      'Shop-Webhook-Timestamp': String(timestamp),
      'Shop-Webhook-Signature': webhookSignature(endpoint.secret, timestamp, delivery.body),
    };
    const at = new Date();
    const outcome = await sendWebhook(endpoint.url, headers, delivery.body, this.config.get('NODE_ENV') === 'production');
    const accepted = outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const attempt = { at, ...outcome };
    const attempts = delivery.attempts.length + 1;
    const status = accepted ? 'delivered' : attempts >= this.config.get('WEBHOOK_MAX_ATTEMPTS') ? 'failed' : 'pending';
    // Delivered stays delivered: a later failed redelivery is logged, not a regression.
    await this.deliveries.updateOne({ _id: delivery._id }, { $push: { attempts: attempt } });
    await this.deliveries.updateOne({ _id: delivery._id, status: { $ne: 'delivered' } }, { $set: { status } });
    if (accepted) return 'delivered';
    throw new DeliveryNotAccepted(`Delivery ${deliveryId} to ${endpoint.url}: ${outcome.error ?? `HTTP ${outcome.statusCode}`}`);
  }

  /** The endpoint's deliveries, newest first. */
  async list(endpointId: string, query: PaginationQueryDto): Promise<Paginated<WebhookDelivery>> {
    await this.requireEndpoint(endpointId);
    const filter = { endpointId: new Types.ObjectId(endpointId) };
    const [items, total] = await Promise.all([
      this.deliveries.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean<WebhookDelivery[]>(),
      this.deliveries.countDocuments(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }

  /** One more attempt with the same event id and body, on the worker (202: queued, not sent). */
  async redeliver(endpointId: string, deliveryId: string): Promise<void> {
    await this.requireEndpoint(endpointId);
    const delivery = await this.deliveries.findOne({ _id: deliveryId, endpointId }, { _id: 1 }).lean<Pick<WebhookDelivery, '_id'>>();
    if (!delivery) throw new NotFoundError('Delivery not found');
    await this.queueAttempt(delivery._id, `webhook-redelivery:${deliveryId}:${new Types.ObjectId().toHexString()}`, 1);
  }

  private async requireEndpoint(endpointId: string): Promise<void> {
    if (!(await this.endpoints.exists({ _id: endpointId }))) throw new NotFoundError('Webhook not found');
  }
}

/** What a receiver learns of the order: no payment secrets, no customer contact data. */
function orderData(order: OrderRecord): Record<string, unknown> {
  return {
    id: order._id.toHexString(),
    number: order.number,
    status: order.status,
    paymentStatus: order.payment.status,
    currency: order.currency,
    subtotal: order.subtotal,
    shippingTotal: order.shippingTotal,
    total: order.total,
    items: order.items.map((line) => ({ productId: line.productId.toHexString(), title: line.title, price: line.price, quantity: line.quantity })),
    ...(order.trackingNumber && { trackingNumber: order.trackingNumber }),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}
