import { Inject, Injectable, Logger } from '@nestjs/common';
import { formatMoney, NotFoundError } from '@app/common';
import Redis from 'ioredis';
import { sha256 } from '../access/sessions.service';
import { AppConfig } from '../config/app-config';
import { withinHourlyAllowance } from '../redis/hourly-limits';
import { REDIS } from '../redis/redis.module';
import { OnJob } from '../jobs/on-job.decorator';
import { type OrderEventJob, type OrderEventType, orderEventJobId } from '../orders/events/order-events';
import { OrderLifecycle, type OrderRecord } from '../orders/order-lifecycle.service';
import { UsersService } from '../users/users.service';
import type { EmailMessage } from '../notifications/mail.types';
import { inertUserText, MailTemplates, type OrderEmailContext } from '../notifications/mail-templates';
import { MailerService } from '../notifications/mailer.service';
import { describeOptions } from '../products/variants';
import type { OrderLine } from '../orders/schemas/order.schema';

export type OrderEmailOutcome = 'sent' | 'already-sent' | 'skipped' | 'no-order' | 'no-customer' | 'no-email';

/** Who an order's emails go to, and whether the address is proven to be theirs. */
interface Recipient {
  email: string;
  name: string;
  verified: boolean;
}

/**
 * Turns an order event into its email, once per (order, event). The order is read when the job
 * runs (it is the source of truth: a retry renders what the order says then), and the email is
 * keyed by the event's deterministic job id rather than the Bull job's, so the same event queued
 * under any id, retried, or held by two workers sends one email.
 */
@Injectable()
export class OrderEmailsProcessor {
  private readonly logger = new Logger(OrderEmailsProcessor.name);
  private readonly unverifiedPerHour: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    config: AppConfig,
    private readonly orders: OrderLifecycle,
    private readonly users: UsersService,
    private readonly templates: MailTemplates,
    private readonly mailer: MailerService,
  ) {
    this.unverifiedPerHour = config.get('UNVERIFIED_ORDER_EMAILS_PER_HOUR');
  }

  @OnJob('order-event')
  async handle({ orderId, eventId, type }: OrderEventJob): Promise<OrderEmailOutcome> {
    // Never queued for email (EVENTS_WITH_EMAIL): the cancellation email already says it.
    if (type === 'OrderRefunded') return 'no-email';
    const order = await this.orders.read(orderId);
    // Nothing to tell anyone (deleted, or a hand-made job): retrying would not change that.
    if (!order) {
      this.logger.warn(`Order ${orderId} of event ${eventId} (${type}) not found; no email`);
      return 'no-order';
    }
    const recipient = await this.recipientOf(order);
    if (!recipient) {
      this.logger.warn(`Customer of order ${order.number} not found; no ${type} email`);
      return 'no-customer';
    }
    const key = orderEventJobId(orderId, eventId);
    if (!recipient.verified && !(await this.withinUnverifiedAllowance(recipient.email, key))) {
      this.logger.warn(`Order emails to an unverified address over UNVERIFIED_ORDER_EMAILS_PER_HOUR; ${type} email of ${order.number} skipped`);
      return this.mailer.skip(key, 'unverified-address-limit');
    }
    return this.mailer.sendOnce(key, () => this.render(type, order, recipient));
  }

  /** An account's order mails the account; a guest's mails the address given at checkout (never proven). */
  private async recipientOf(order: OrderRecord): Promise<Recipient | null> {
    if (!order.userId) return order.email ? { email: order.email, name: order.shippingAddress.fullName, verified: false } : null;
    const customer = await this.users.getById(order.userId.toHexString()).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    return customer && { email: customer.email, name: customer.name, verified: customer.emailVerified === true };
  }

  /**
   * Whether this email is among the first UNVERIFIED_ORDER_EMAILS_PER_HOUR to the address this
   * hour. Counted per address, not per account: guests and unverified accounts can name anyone's
   * address, and a checkout-and-cancel loop must not turn the shop into a mail cannon. Counted per
   * email key, so a retried job keeps its place.
   */
  private withinUnverifiedAllowance(email: string, key: string): Promise<boolean> {
    return withinHourlyAllowance(this.redis, `unverified-order-emails:${sha256(email.toLowerCase())}`, key, this.unverifiedPerHour);
  }

  private render(type: Exclude<OrderEventType, 'OrderRefunded'>, order: OrderRecord, customer: { email: string; name: string }): EmailMessage {
    const money = (minor: number) => formatMoney(minor, order.currency);
    const base: OrderEmailContext = { number: order.number, customerName: inertUserText(customer.name), total: money(order.total) };
    const to = customer.email;
    switch (type) {
      case 'OrderPlaced':
        return this.templates.render(
          'order-placed',
          {
            ...base,
            lines: order.items.map((line) => ({ title: lineTitle(line), quantity: line.quantity, unitPrice: money(line.price), lineTotal: money(line.lineTotal) })),
            subtotal: money(order.subtotal),
            ...(order.discountTotal && { discount: money(order.discountTotal) }),
            shipping: money(order.shippingTotal),
            ...(order.taxTotal && { tax: money(order.taxTotal), taxIncluded: order.pricesIncludeTax === true }),
          },
          to,
        );
      case 'OrderPaid':
        return this.templates.render('order-paid', base, to);
      case 'OrderShipped':
        return this.templates.render('order-shipped', { ...base, trackingNumber: order.trackingNumber ?? null }, to);
      case 'OrderDelivered':
        return this.templates.render('order-delivered', base, to);
      case 'OrderCancelled':
        return this.templates.render('order-cancelled', { ...base, refund: refundOf(order, money) }, to);
    }
  }
}

/**
 * What the cancellation email says about money. The job may run before the lifecycle has claimed
 * the refund (the event is handed over right after the cancelling write): a payment that still
 * stands as `succeeded` on a cancelled order is about to be refunded in full.
 */
function refundOf(order: OrderRecord, money: (minor: number) => string): { amount: string; completed: boolean } | null {
  const { refund, status } = order.payment;
  if (refund) return { amount: money(refund.amount), completed: refund.state === 'succeeded' };
  if (status === 'succeeded') return { amount: money(order.total), completed: false };
  return null;
}

/** The title with the variant's option values, e.g. `T-Shirt (Size: M, Color: Red)`. */
function lineTitle(line: Pick<OrderLine, 'title' | 'options'>): string {
  const options = describeOptions(line.options);
  return options ? `${line.title} (${options})` : line.title;
}
