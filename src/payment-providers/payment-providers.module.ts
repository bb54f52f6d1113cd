import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PAYMENT_PROVIDERS } from './payment-provider';
import { PaymentProviders } from './payment-providers';
import { PaypalPaymentProvider } from './paypal-payment.provider';
import { StripePaymentProvider } from './stripe-payment.provider';

/**
 * Payment providers behind one interface: Stripe always, PayPal when its settings are all given.
 * Adding another means one class and one entry here.
 */
@Module({
  providers: [
    StripePaymentProvider,
    {
      provide: PAYMENT_PROVIDERS,
      inject: [StripePaymentProvider, AppConfig],
      useFactory: (stripe: StripePaymentProvider, config: AppConfig) => [stripe, PaypalPaymentProvider.fromConfig(config)].filter((provider) => provider !== undefined),
    },
    PaymentProviders,
  ],
  exports: [PaymentProviders],
})
export class PaymentProvidersModule {}
