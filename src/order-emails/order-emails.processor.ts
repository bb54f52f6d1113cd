import { Injectable, Logger } from '@nestjs/common';
import { formatMoney, NotFoundError } from '@app/common';
import { OnJob } from '../jobs/on-job.decorator';
import { type OrderEventJob, type OrderEventType, orderEventJobId } from '../orders/events/order-events';
import { OrderLifecycle, type OrderRecord } from '../orders/order-lifecycle.service';
import { UsersService } from '../users/users.service';
import type { EmailMessage } from '../notifications/mail.types';
import { inertUserText, MailTemplates, type OrderEmailContext } from '../notifications/mail-templates';
import { MailerService } from '../notifications/mailer.service';

export type OrderEmailOutcome = 'sent' | 'already-sent' | 'no-order' | 'no-customer' | 'no-email';

/**
 * Turns an order event into its email, once per (order, event). The order is read when the job
 * runs (it is the source of truth: a retry renders what the order says then), and the email is
 * keyed by the event's deterministic job id rather than the Bull job's, so the same event queued
 * under any id, retried, or held by two workers sends one email.
 */
@Injectable()
export class OrderEmailsProcessor {
  private readonly logger = new Logger(OrderEmailsProcessor.name);

  constructor(
    private readonly orders: OrderLifecycle,
    private readonly users: UsersService,
    private readonly templates: MailTemplates,
    private readonly mailer: MailerService,
  ) {}

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
    const customer = await this.users.getById(order.userId.toHexString()).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!customer) {
      this.logger.warn(`Customer of order ${order.number} not found; no ${type} email`);
      return 'no-customer';
    }
    return this.mailer.sendOnce(orderEventJobId(orderId, eventId), () => this.render(type, order, customer));
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
            lines: order.items.map((line) => ({ title: line.title, quantity: line.quantity, unitPrice: money(line.price), lineTotal: money(line.lineTotal) })),
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
