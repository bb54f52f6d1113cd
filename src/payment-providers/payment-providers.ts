import { Inject, Injectable } from '@nestjs/common';
import { PAYMENT_PROVIDERS, PaymentProvider } from './payment-provider';
import { UnknownPaymentProviderError } from './payment-providers.errors';

export const DEFAULT_PAYMENT_PROVIDER = 'stripe';

/** The configured providers by name. */
@Injectable()
export class PaymentProviders {
  private readonly byName: Map<string, PaymentProvider>;

  constructor(@Inject(PAYMENT_PROVIDERS) providers: PaymentProvider[]) {
    this.byName = new Map(providers.map((provider) => [provider.name, provider]));
  }

  get(name: string = DEFAULT_PAYMENT_PROVIDER): PaymentProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new UnknownPaymentProviderError(name);
    return provider;
  }
}
