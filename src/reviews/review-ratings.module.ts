import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ProductStoreModule } from '../products/product-store.module';
import { ReviewRatings } from './review-ratings';
import { Review, ReviewSchema } from './schemas/review.schema';

/**
 * The review model and the product ratings it adds up to, without HTTP: the API's ReviewsModule
 * builds on it, and the `reviews:recompute` command runs it alone (no orders, no payments).
 */
@Module({
  imports: [MongooseModule.forFeature([{ name: Review.name, schema: ReviewSchema }]), ProductStoreModule],
  providers: [ReviewRatings],
  exports: [ReviewRatings, MongooseModule, ProductStoreModule],
})
export class ReviewRatingsModule {}
