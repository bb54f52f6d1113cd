import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { OrdersModule } from '../orders/orders.module';
import { UsersModule } from '../users/users.module';
import { AdminReviewsController } from './admin-reviews.controller';
import { ReviewRatingsModule } from './review-ratings.module';
import { ReviewsController } from './reviews.controller';
import { ReviewsService } from './reviews.service';

@Module({
  imports: [ReviewRatingsModule, OrdersModule, UsersModule, AuditLogModule],
  controllers: [ReviewsController, AdminReviewsController],
  providers: [ReviewsService],
})
export class ReviewsModule {}
