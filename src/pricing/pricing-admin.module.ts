import { Module } from '@nestjs/common';
import { AdminPromotionsController } from './admin-promotions.controller';
import { AdminShippingMethodsController } from './admin-shipping-methods.controller';
import { AdminTaxRatesController } from './admin-tax-rates.controller';
import { PricingModule } from './pricing.module';

/** The admin routes of tax rates, shipping methods and promotions (API only). */
@Module({
  imports: [PricingModule],
  controllers: [AdminTaxRatesController, AdminShippingMethodsController, AdminPromotionsController],
})
export class PricingAdminModule {}
