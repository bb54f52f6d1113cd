import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe, Public } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CreateReviewDto, ReviewListResponseDto, ReviewResponseDto, toPublicReviewResponse, toReviewResponse, UpdateReviewDto } from './dto/review.dto';
import { ReviewsService } from './reviews.service';

@ApiTags('reviews')
@Controller()
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  /** The product's visible reviews, newest first. */
  @Public()
  @Get('products/:id/reviews')
  async list(@Param('id', ParseObjectIdPipe) productId: string, @Query() query: PaginationQueryDto): Promise<ReviewListResponseDto> {
    return mapPage(await this.reviews.listPublic(productId, query), toPublicReviewResponse);
  }

  /** Only after a delivered order with the product (403); one review per customer and product (409). */
  @ApiBearerAuth()
  @AlsoAnswers({ 403: 'Only customers with a delivered order containing this product may review it' })
  @Post('products/:id/reviews')
  async create(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) productId: string,
    @Body() dto: CreateReviewDto,
  ): Promise<ReviewResponseDto> {
    return toReviewResponse(await this.reviews.create(user.id, productId, dto));
  }

  /** The author only; someone else's review → 404. */
  @ApiBearerAuth()
  @Patch('reviews/:id')
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @Body() dto: UpdateReviewDto): Promise<ReviewResponseDto> {
    return toReviewResponse(await this.reviews.update(user.id, id, dto));
  }

  /** The author only; someone else's review → 404. */
  @ApiBearerAuth()
  @Delete('reviews/:id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.reviews.remove(user.id, id);
  }
}
