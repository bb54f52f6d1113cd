import { PartialType } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsMongoId, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { PaginatedResponseDto, PaginationQueryDto, QueryBoolean, Trim } from '@app/common';
import { RATING_MAX, RATING_MIN, Review, REVIEW_BODY_MAX, REVIEW_TITLE_MAX } from '../schemas/review.schema';

export class CreateReviewDto {
  /** A whole number of stars, 1 to 5 (a string such as "5" is refused). */
  @IsInt()
  @Min(RATING_MIN)
  @Max(RATING_MAX)
  rating!: number;

  @IsOptional()
  @Trim()
  @IsString()
  @Length(1, REVIEW_TITLE_MAX)
  @Matches(/\S/, { message: 'title must not be blank' })
  title?: string;

  /** Plain text, stored and returned exactly as sent; markup is not interpreted. */
  @IsString()
  @Length(1, REVIEW_BODY_MAX)
  @Matches(/\S/, { message: 'body must not be blank' })
  body!: string;
}

/** The author's edit: any subset of the fields (null is refused, not taken as "leave as is"). */
export class UpdateReviewDto extends PartialType(CreateReviewDto, { skipNullProperties: false }) {}

export class ModerateReviewDto {
  /** true hides the review from the public list and the product's rating; false shows it again. */
  @IsBoolean()
  hidden!: boolean;
}

export class AdminReviewListQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsMongoId()
  productId?: string;

  /** `true` for hidden reviews only, `false` for visible ones only. */
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  hidden?: boolean;
}

export class ReviewResponseDto {
  id!: string;
  productId!: string;
  /** The author's id: in the author's own answers and the admin's, never in the public list. */
  userId?: string;
  /** The author's display name, as shown publicly. */
  authorName!: string;
  rating!: number;
  title?: string;
  body!: string;
  /** Always false in the public list. */
  hidden!: boolean;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ReviewListResponseDto extends PaginatedResponseDto(ReviewResponseDto) {}

/** A review as anyone may read it: the author by display name only, never by account id. */
export function toPublicReviewResponse(review: Review): ReviewResponseDto {
  const { userId: _author, ...shown } = toReviewResponse(review);
  return shown;
}

export function toReviewResponse(review: Review): ReviewResponseDto {
  return {
    id: review._id.toString(),
    productId: review.productId.toString(),
    userId: review.userId.toString(),
    authorName: review.authorName,
    rating: review.rating,
    ...(review.title !== undefined && { title: review.title }),
    body: review.body,
    hidden: review.hidden,
    createdAt: review.createdAt,
    updatedAt: review.updatedAt,
  };
}
