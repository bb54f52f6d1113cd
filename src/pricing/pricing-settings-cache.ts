import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import type { default as Redis } from 'ioredis';
import { Model, Types } from 'mongoose';
import { REDIS } from '../redis/redis.module';
import { turnPipelineOf } from '../redis/turn-pipeline';
import { bumpCounters, startCounters } from '../redis/version-counter';
import { Promotion } from './schemas/promotion.schema';
import { ShippingMethod } from './schemas/shipping-method.schema';
import { TaxRate } from './schemas/tax-rate.schema';

/** Bumped after every admin write of a tax rate, shipping method or promotion; under the deployment's key prefix. */
export const PRICING_VERSION_KEY = 'pricing:version';
/** The most held settings are used, whatever the version says (see PricingSettingsCache). */
const HELD_AT_MOST_MS = 60_000;

/**
 * What every quote and checkout reads besides the cart and the codes in it: all tax rates, the
 * active shipping methods and the active automatic promotions, split once here by whether they
 * have a usageLimit. The promotions come without `used` (it moves with every checkout: a quote
 * reads a limited one fresh, by id) and without the legacy `holders`.
 */
export interface PricingSettings {
  taxRates: TaxRate[];
  shippingMethods: ShippingMethod[];
  /** Automatic promotions without a usageLimit: applied as held. */
  unlimitedPromotions: Promotion[];
  /** The ids of those with one. */
  limitedPromotionIds: Types.ObjectId[];
}

/**
 * The pricing settings, held in the process under a version that every admin write of them bumps
 * (a Redis counter, like the catalog's): a quote or checkout asks Redis for the version, one
 * round trip of a few bytes, instead of sending three finds to MongoDB. A write is seen by the
 * very next quote in every process: its bump is done before its answer is sent, and every quote
 * reads the version after it was asked.
 *
 * A settings read that loses a race with a write is harmless: the settings are read after the
 * version, so what is held under a version is at least as new as that version.
 *
 * Held settings are used only under exactly the version they were read after (a counter that went
 * back, Redis restored from a snapshot, is a change like any other), never after this process
 * lost its connection to Redis (a bump may have been missed meanwhile), and never longer than
 * HELD_AT_MOST_MS: should a writer fail to bump (Redis unreachable from it alone, then the writer
 * gone before its owed bump), no process answers from what it held for longer than that.
 */
@Injectable()
export class PricingSettingsCache {
  private readonly logger = new Logger(PricingSettingsCache.name);
  /** The settings as read (or being read) after seeing `version`. */
  private held?: { version: string; settings: Promise<PricingSettings>; readAt: number };
  /**
   * A write whose bump failed (Redis unreachable): until the bump is made, this process reads the
   * settings uncached, and it is retried as soon as the connection is back, so that no process
   * keeps using what it held before the write.
   */
  private bumpOwed = false;

  constructor(
    @InjectModel(TaxRate.name) private readonly taxRates: Model<TaxRate>,
    @InjectModel(ShippingMethod.name) private readonly shippingMethods: Model<ShippingMethod>,
    @InjectModel(Promotion.name) private readonly promotions: Model<Promotion>,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    redis.on('ready', () => {
      if (this.bumpOwed) void this.bump();
    });
    redis.on('close', () => (this.held = undefined));
  }

  /** The settings as of now: held ones when no write came since they were read, else read again. */
  async current(): Promise<PricingSettings> {
    const version = await this.version();
    if (version === null) {
      this.held = undefined;
      return this.read();
    }
    if (this.held?.version === version && Date.now() - this.held.readAt < HELD_AT_MOST_MS) return this.held.settings;
    const settings = this.read();
    const held = { version, settings, readAt: Date.now() };
    this.held = held;
    // A failed read is not kept: the next quote tries again.
    settings.catch(() => {
      if (this.held === held) this.held = undefined;
    });
    return settings;
  }

  /** Called after every admin write of the settings. Never throws: the write has happened either way. */
  async bump(): Promise<void> {
    try {
      await bumpCounters(this.redis, [PRICING_VERSION_KEY]);
      this.bumpOwed = false;
    } catch (error) {
      if (!this.bumpOwed) this.logger.warn(`Pricing settings version not bumped, reading them uncached until Redis is back: ${(error as Error).message}`);
      this.bumpOwed = true;
    }
  }

  /** The version now; null when Redis cannot tell (the caller then reads uncached). */
  private async version(): Promise<string | null> {
    if (this.bumpOwed) {
      await this.bump();
      if (this.bumpOwed) return null;
    }
    try {
      // With the other commands of its turn (the request's throttle count and session read).
      let value = await turnPipelineOf(this.redis).send<string | null>((pipeline) => pipeline.get(PRICING_VERSION_KEY));
      if (value === null) [value] = await startCounters(this.redis, [PRICING_VERSION_KEY]);
      return value;
    } catch {
      return null;
    }
  }

  /** The driver's finds: plain filters, nothing to cast. */
  private async read(): Promise<PricingSettings> {
    const [taxRates, shippingMethods, automaticPromotions] = await Promise.all([
      this.taxRates.collection.find<TaxRate>({}).toArray(),
      this.shippingMethods.collection.find<ShippingMethod>({ active: true }).toArray(),
      this.promotions.collection.find<Promotion>({ active: true, codeKey: /^auto:/ }, { projection: { used: 0, holders: 0 } }).toArray(),
    ]);
    return {
      taxRates,
      shippingMethods,
      unlimitedPromotions: automaticPromotions.filter((promotion) => promotion.usageLimit == null),
      limitedPromotionIds: automaticPromotions.filter((promotion) => promotion.usageLimit != null).map((promotion) => promotion._id),
    };
  }
}
