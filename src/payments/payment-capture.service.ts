import { Injectable } from '@nestjs/common';
import { InvalidInputError, StateConflictError } from '@app/common';
import { OrderLifecycle, OrderRecord } from '../orders/order-lifecycle.service';
import { OrdersService } from '../orders/orders.service';
import { PaymentProviders } from '../payment-providers/payment-providers';

/**
 * Collecting a payment the buyer approved on the provider's site (PayPal). The capture's result
 * goes through the same OrderLifecycle.applyPaymentEvent as a webhook: the order's conditional
 * transition makes a capture reported by this call and by the webhook one `paid`, one OrderPaid.
 */
@Injectable()
export class PaymentCaptureService {
  constructor(
    private readonly orders: OrdersService,
    private readonly payments: PaymentProviders,
    private readonly lifecycle: OrderLifecycle,
  ) {}

  /**
   * Idempotent: an order already paid (or further along) is returned as it is, and the provider
   * call carries a key derived from the order, so a retried capture is PayPal's first one again.
   */
  async capture(providerName: string, userId: string, orderId: string): Promise<OrderRecord> {
    const provider = this.payments.get(providerName);
    const order = await this.orders.getOwn(userId, orderId);
    if (order.payment.provider !== provider.name || !provider.capture || !order.payment.intentId) {
      throw new InvalidInputError(`Order ${order.number} is not paid through ${provider.name}`);
    }
    if (order.status === 'cancelled') throw new StateConflictError(`Order ${order.number} is cancelled; its payment is not captured`);
    if (order.status !== 'pending_payment') return order;

    const event = await provider.capture({ intentId: order.payment.intentId, idempotencyKey: `order:${orderId}:capture` });
    await this.lifecycle.applyPaymentEvent(event);
    return this.orders.getOwn(userId, orderId);
  }
}
