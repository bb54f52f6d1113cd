import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { InvalidInputError, isDuplicateKeyError, StateConflictError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { AuditedRecords, givenFields } from './audited-records';
import { PricingSettingsCache } from './pricing-settings-cache';
import { CreatePromotionDto, UpdatePromotionDto } from './dto/promotion.dto';
import { CreateShippingMethodDto, UpdateShippingMethodDto } from './dto/shipping-method.dto';
import { CreateTaxRateDto, UpdateTaxRateDto } from './dto/tax-rate.dto';
import { BASIS_POINTS, normalizeCode, STANDARD_TAX_CLASS } from './quote';
import { Promotion } from './schemas/promotion.schema';
import { ShippingMethod } from './schemas/shipping-method.schema';
import { TaxRate } from './schemas/tax-rate.schema';

/** The admin's tax rates (API.md, "Money"). */
@Injectable()
export class TaxRates extends AuditedRecords<TaxRate> {
  constructor(@InjectModel(TaxRate.name) model: Model<TaxRate>, audit: AuditLog, settings: PricingSettingsCache) {
    super(model, audit, 'taxRate', 'Tax rate', () => settings.bump());
  }

  add(dto: CreateTaxRateDto, actor: AuditActor): Promise<TaxRate> {
    return this.create({ ...givenFields(dto), taxClass: dto.taxClass ?? STANDARD_TAX_CLASS }, actor);
  }

  change(id: string, dto: UpdateTaxRateDto, actor: AuditActor): Promise<TaxRate> {
    return this.update(id, givenFields(dto), actor);
  }
}

/** The admin's shipping methods; a range whose maximum is below its minimum is refused (400). */
@Injectable()
export class ShippingMethods extends AuditedRecords<ShippingMethod> {
  constructor(@InjectModel(ShippingMethod.name) model: Model<ShippingMethod>, audit: AuditLog, settings: PricingSettingsCache) {
    super(model, audit, 'shippingMethod', 'Shipping method', () => settings.bump());
  }

  add(dto: CreateShippingMethodDto, actor: AuditActor): Promise<ShippingMethod> {
    assertSubtotalRange(dto);
    return this.create({ ...givenFields(dto), active: dto.active ?? true }, actor);
  }

  change(id: string, dto: UpdateShippingMethodDto, actor: AuditActor): Promise<ShippingMethod> {
    return this.update(id, givenFields(dto), actor, { reads: ['minSubtotal', 'maxSubtotal'], assert: assertSubtotalRange });
  }
}

function assertSubtotalRange(method: { minSubtotal?: number; maxSubtotal?: number }): void {
  if (method.minSubtotal !== undefined && method.maxSubtotal !== undefined && method.maxSubtotal < method.minSubtotal) {
    throw new InvalidInputError('maxSubtotal must not be below minSubtotal');
  }
}

/**
 * The admin's promotions. Codes are unique compared case-insensitively (a taken one → 409);
 * the rules that tie fields together are checked on the promotion as it would be after the write
 * (400), so a PATCH of one field cannot make a valid promotion invalid. `used` is never written here.
 */
@Injectable()
export class Promotions extends AuditedRecords<Promotion> {
  constructor(@InjectModel(Promotion.name) model: Model<Promotion>, audit: AuditLog, settings: PricingSettingsCache) {
    super(model, audit, 'promotion', 'Promotion', () => settings.bump());
  }

  async add(dto: CreatePromotionDto, actor: AuditActor): Promise<Promotion> {
    const _id = new Types.ObjectId();
    const fields = { ...promotionFields(dto), _id, codeKey: dto.code ? normalizeCode(dto.code) : `auto:${_id.toHexString()}` };
    fields.value ??= 0;
    assertPromotionRules(fields as Promotion);
    return this.taken(() => this.create({ combinable: false, active: true, ...fields }, actor));
  }

  async change(id: string, dto: UpdatePromotionDto, actor: AuditActor): Promise<Promotion> {
    const fields = { ...promotionFields(dto), ...(dto.code && { codeKey: normalizeCode(dto.code) }) };
    return this.taken(() => this.update(id, fields, actor, { reads: ['type', 'value', 'startsAt', 'endsAt'], assert: assertPromotionRules }));
  }

  private async taken(write: () => Promise<Promotion>): Promise<Promotion> {
    try {
      return await write();
    } catch (error) {
      if (isDuplicateKeyError(error)) throw new StateConflictError('This promotion code is taken (codes compare case-insensitively)');
      throw error;
    }
  }
}

function promotionFields(dto: UpdatePromotionDto): Partial<Promotion> {
  const { startsAt, endsAt, ...rest } = givenFields(dto);
  return { ...rest, ...(startsAt && { startsAt: new Date(startsAt) }), ...(endsAt && { endsAt: new Date(endsAt) }) };
}

function assertPromotionRules(promotion: Pick<Promotion, 'type' | 'value' | 'startsAt' | 'endsAt'>): void {
  if (promotion.type === 'percentage' && (promotion.value < 1 || promotion.value > BASIS_POINTS)) {
    throw new InvalidInputError('A percentage is 1–10000 basis points (10000 = 100 %)');
  }
  if (promotion.type === 'fixed' && promotion.value < 1) throw new InvalidInputError('A fixed discount is at least 1 minor unit');
  if (promotion.type === 'free_shipping' && promotion.value !== 0) throw new InvalidInputError('A free_shipping promotion has no value (0 or omitted)');
  if (promotion.startsAt && promotion.endsAt && promotion.endsAt <= promotion.startsAt) throw new InvalidInputError('endsAt must be after startsAt');
}
