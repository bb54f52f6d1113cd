import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter, Types } from 'mongoose';
import { StateConflictError, isDuplicateKeyError, NotFoundError, Paginated, PaginationQueryDto, skipFor } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { setReturningBoth } from '../audit/audited-set';
import { OrdersService } from '../orders/orders.service';
import { ProductStore } from '../products/products.store';
import { UsersService } from '../users/users.service';
import { AdminReviewListQueryDto, CreateReviewDto, UpdateReviewDto } from './dto/review.dto';
import { contributionOf, ReviewRatings } from './review-ratings';
import { NotVerifiedBuyerError, ReviewExistsError } from './reviews.errors';
import { Review } from './schemas/review.schema';

/** What a change does to a review: fields to set, or delete it. */
type ReviewChange = Partial<Pick<Review, 'rating' | 'title' | 'body' | 'hidden'>> | 'delete';

/** How often a change re-reads a review that changed under it before giving up with 409. */
const CHANGE_ATTEMPTS = 5;

/**
 * Reviews by verified buyers, and the product ratings they add up to. The only writer of the
 * `reviews` collection. Every change of a review's rating or visibility is one write conditioned
 * on the rating and visibility it read, followed by one `$inc` of the difference on the product
 * (ReviewRatings.move): whatever order racing changes land in, the increments add up to the
 * visible reviews. A crash between the two writes is repaired by `npm run reviews:recompute`.
 */
@Injectable()
export class ReviewsService {
  constructor(
    @InjectModel(Review.name) private readonly reviews: Model<Review>,
    private readonly ratings: ReviewRatings,
    private readonly products: ProductStore,
    private readonly orders: OrdersService,
    private readonly users: UsersService,
    private readonly audit: AuditLog,
  ) {}

  /** The visible reviews of a public product, newest first. */
  async listPublic(productId: string, query: PaginationQueryDto): Promise<Paginated<Review>> {
    await this.requirePublicProduct(productId);
    return this.page({ productId, hidden: false }, query);
  }

  async create(userId: string, productId: string, dto: CreateReviewDto): Promise<Review> {
    await this.requirePublicProduct(productId);
    if (!(await this.orders.hasDelivered(userId, productId))) throw new NotVerifiedBuyerError();
    const author = await this.users.getById(userId);
    let review: Review;
    try {
      review = (await this.reviews.create({ productId, userId, authorName: author.name, rating: dto.rating, title: dto.title, body: dto.body })).toObject();
    } catch (error) {
      // The unique (product, author) index decides between simultaneous first reviews.
      if (isDuplicateKeyError(error)) throw new ReviewExistsError();
      throw error;
    }
    await this.ratings.move(review.productId, contributionOf(null), contributionOf(review));
    return review;
  }

  /** The author's edit; someone else's review is as good as missing (404). */
  async update(userId: string, reviewId: string, dto: UpdateReviewDto): Promise<Review> {
    const set = Object.fromEntries(Object.entries({ rating: dto.rating, title: dto.title, body: dto.body }).filter(([, value]) => value !== undefined));
    return (await this.change({ _id: reviewId, userId }, () => set)).after!;
  }

  async remove(userId: string, reviewId: string): Promise<void> {
    await this.change({ _id: reviewId, userId }, () => 'delete');
  }

  /** Hides or shows a review again; the product's rating follows at once. No change, no entry. */
  async moderate(reviewId: string, hidden: boolean, actor: AuditActor): Promise<Review> {
    const { before, after } = await this.change({ _id: reviewId }, (current) => (current.hidden === hidden ? {} : { hidden }));
    if (before.hidden !== after!.hidden) await this.audit.record(actor, { action: hidden ? 'review.hidden' : 'review.shown', entity: 'review', entityId: after!._id, before, after });
    return after!;
  }

  listAll(query: AdminReviewListQueryDto): Promise<Paginated<Review>> {
    const filter: QueryFilter<Review> = {
      ...(query.productId && { productId: query.productId }),
      ...(query.hidden !== undefined && { hidden: query.hidden }),
    };
    return this.page(filter, query);
  }

  /**
   * Applies `decide(current)` with one write conditioned on the rating and visibility as read,
   * then moves the product's rating by the difference. A concurrent change of either makes the
   * write match nothing: the review is read again and the change judged anew. Returns the review
   * just before and just after the write (null after a delete), exact (setReturningBoth): what
   * the moderator's audit entry records.
   */
  private async change(filter: QueryFilter<Review>, decide: (current: Review) => ReviewChange): Promise<{ before: Review; after: Review | null }> {
    for (let attempt = 0; attempt < CHANGE_ATTEMPTS; attempt += 1) {
      const current = await this.reviews.findOne(filter).lean<Review>();
      if (!current) throw new NotFoundError('Review not found');
      const change = decide(current);
      if (change !== 'delete' && Object.keys(change).length === 0) return { before: current, after: current };
      const condition = { _id: current._id, rating: current.rating, hidden: current.hidden };
      const written =
        change === 'delete'
          ? await this.reviews.findOneAndDelete(condition).lean<Review>().then((before) => before && { before, after: null })
          : await setReturningBoth<Review>(this.reviews, condition, change);
      if (!written) continue;
      await this.ratings.move(current.productId, contributionOf(written.before), contributionOf(written.after));
      return written;
    }
    throw new StateConflictError('The review kept changing; try again');
  }

  private async requirePublicProduct(productId: string): Promise<void> {
    if (!(await this.products.exists({ _id: new Types.ObjectId(productId), status: 'active' }))) throw new NotFoundError('Product not found');
  }

  private async page(filter: QueryFilter<Review>, query: PaginationQueryDto): Promise<Paginated<Review>> {
    const [items, total] = await Promise.all([
      this.reviews.find(filter).sort({ createdAt: -1, _id: -1 }).skip(skipFor(query)).limit(query.limit).lean<Review[]>(),
      this.reviews.countDocuments(filter),
    ]);
    return { items, total, page: query.page, limit: query.limit };
  }
}
