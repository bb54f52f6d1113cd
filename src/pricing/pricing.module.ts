import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditLogModule } from '../audit/audit-log.module';
import { Pricing } from './pricing.service';
import { PricingSettingsCache } from './pricing-settings-cache';
import { Promotions, ShippingMethods, TaxRates } from './pricing-settings.service';
import { PromotionUses } from './promotion-uses';
import { Promotion, PromotionCustomerUse, PromotionCustomerUseSchema, PromotionSchema, PromotionUse, PromotionUseSchema } from './schemas/promotion.schema';
import { ShippingMethod, ShippingMethodSchema } from './schemas/shipping-method.schema';
import { TaxRate, TaxRateSchema } from './schemas/tax-rate.schema';

/** Tax rates, shipping methods, promotions and their uses, and the quote (no routes: usable from the worker). */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: TaxRate.name, schema: TaxRateSchema },
      { name: ShippingMethod.name, schema: ShippingMethodSchema },
      { name: Promotion.name, schema: PromotionSchema },
      { name: PromotionCustomerUse.name, schema: PromotionCustomerUseSchema },
      { name: PromotionUse.name, schema: PromotionUseSchema },
    ]),
    AuditLogModule,
  ],
  providers: [PricingSettingsCache, TaxRates, ShippingMethods, Promotions, PromotionUses, Pricing],
  exports: [TaxRates, ShippingMethods, Promotions, PromotionUses, Pricing],
})
export class PricingModule {}
