import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { AdminReviewListQueryDto, ModerateReviewDto, ReviewListResponseDto, ReviewResponseDto, toReviewResponse } from './dto/review.dto';
import { ReviewsService } from './reviews.service';

@ApiTags('admin: reviews')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/reviews')
export class AdminReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  /** Every review, hidden ones included, newest first; filter by `productId` and `hidden`. */
  @Get()
  async list(@Query() query: AdminReviewListQueryDto): Promise<ReviewListResponseDto> {
    return mapPage(await this.reviews.listAll(query), toReviewResponse);
  }

  /** Hide or unhide: the product's `ratingAverage` and `ratingCount` follow at once. */
  @Patch(':id')
  async moderate(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: ModerateReviewDto,
  ): Promise<ReviewResponseDto> {
    return toReviewResponse(await this.reviews.moderate(id, dto.hidden, user));
  }
}
