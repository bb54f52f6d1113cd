import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { ProductStore, RatingAggregate, ratingAverageOf, StoredRating } from '../products/products.store';
import { Review } from './schemas/review.schema';

/** What one review adds to its product's rating: nothing while hidden or once deleted. */
export function contributionOf(review: Pick<Review, 'rating' | 'hidden'> | null): RatingAggregate {
  return !review || review.hidden ? { sum: 0, count: 0 } : { sum: review.rating, count: 1 };
}

export interface RatingDrift {
  productId: string;
  stored: { sum: number; count: number; average: number };
  exact: { sum: number; count: number; average: number };
}

export interface RecomputeReport {
  /** Products compared: every product with reviews or with a stored rating. */
  checked: number;
  fixed: RatingDrift[];
  /** Products that have visible reviews but no longer exist (nothing to fix on them). */
  missing: string[];
}

const REPLACE_ATTEMPTS = 5;
const ZERO: Omit<StoredRating, '_id'> = { ratingSum: 0, ratingCount: 0, ratingAverage: 0 };

/**
 * Keeps products' ratings equal to their visible reviews: `move` applies one review change (the
 * difference of its contribution before and after), `recompute` rebuilds every rating from the
 * reviews themselves and repairs what a crash between a review write and its `move` left behind.
 */
@Injectable()
export class ReviewRatings {
  constructor(
    @InjectModel(Review.name) private readonly reviews: Model<Review>,
    private readonly products: ProductStore,
  ) {}

  async move(productId: Types.ObjectId, before: RatingAggregate, after: RatingAggregate): Promise<void> {
    const change = { sum: after.sum - before.sum, count: after.count - before.count };
    if (change.sum === 0 && change.count === 0) return;
    await this.products.applyRatingChange(productId, change);
  }

  /**
   * Compares every product's stored rating with its visible reviews and replaces the ones that
   * differ. Each replacement is conditioned on the stored values it compared; when a review
   * write moved them meanwhile, that product is read and summed again. A review written while
   * its `move` has not landed yet is indistinguishable from a crash, so run this while reviews
   * are quiet (README); a second run is always safe.
   */
  async recompute(): Promise<RecomputeReport> {
    const totals = await this.visibleTotals();
    const stored = new Map((await this.products.ratedProducts()).map((rating) => [rating._id.toHexString(), rating]));
    const ids = new Set([...totals.keys(), ...stored.keys()]);
    const report: RecomputeReport = { checked: ids.size, fixed: [], missing: [] };

    for (const id of ids) {
      let seen: Omit<StoredRating, '_id'> | null = stored.get(id) ?? ZERO;
      let exact = totals.get(id) ?? { sum: 0, count: 0 };
      for (let attempt = 0; seen; attempt += 1) {
        if (matches(seen, exact)) break;
        if (await this.products.replaceRating(new Types.ObjectId(id), seen, exact)) {
          report.fixed.push({ productId: id, stored: describe(seen), exact: { ...exact, average: ratingAverageOf(exact.sum, exact.count) } });
          break;
        }
        if (attempt + 1 >= REPLACE_ATTEMPTS) throw new Error(`product ${id}: its rating kept changing during the recompute; run it again`);
        seen = await this.products.findById(id, { ratingSum: 1, ratingCount: 1, ratingAverage: 1 });
        if (!seen) report.missing.push(id);
        exact = (await this.visibleTotals(new Types.ObjectId(id))).get(id) ?? { sum: 0, count: 0 };
      }
    }
    return report;
  }

  private async visibleTotals(productId?: Types.ObjectId): Promise<Map<string, RatingAggregate>> {
    const groups = await this.reviews
      .aggregate<{ _id: Types.ObjectId; sum: number; count: number }>([
        { $match: { hidden: false, ...(productId && { productId }) } },
        { $group: { _id: '$productId', sum: { $sum: '$rating' }, count: { $sum: 1 } } },
      ])
      .exec();
    return new Map(groups.map((group) => [group._id.toHexString(), { sum: group.sum, count: group.count }]));
  }
}

function matches(seen: Omit<StoredRating, '_id'>, exact: RatingAggregate): boolean {
  return seen.ratingSum === exact.sum && seen.ratingCount === exact.count && seen.ratingAverage === ratingAverageOf(exact.sum, exact.count);
}

function describe(rating: Omit<StoredRating, '_id'>): RatingDrift['stored'] {
  return { sum: rating.ratingSum, count: rating.ratingCount, average: rating.ratingAverage };
}
