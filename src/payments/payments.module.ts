import { Module } from '@nestjs/common';
import { PAYMENT_PROVIDERS } from './payment-provider';
import { PaymentProviders } from './payment-providers';
import { StripePaymentProvider } from './stripe-payment.provider';

/** Payment providers behind one interface; adding PayPal means one class and one line here. */
@Module({
  providers: [
    StripePaymentProvider,
    { provide: PAYMENT_PROVIDERS, inject: [StripePaymentProvider], useFactory: (stripe: StripePaymentProvider) => [stripe] },
    PaymentProviders,
  ],
  exports: [PaymentProviders],
})
export class PaymentsModule {}
