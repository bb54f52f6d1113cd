import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateBy, type ValidationArguments } from 'class-validator';

const MAX_LIMIT = 100;
/**
 * Lists go at most this many items deep (API.md, Abuse limits): each page is its own cache entry
 * and a deep `$skip` walks every item before it, so deep pages are cheap to ask for and dear to
 * answer. Narrowing the filter reaches the same items.
 */
export const MAX_LIST_DEPTH = 10000;

/** `page × limit ≤ MAX_LIST_DEPTH`; a malformed limit is reported by its own checks. */
function WithinListDepth(): PropertyDecorator {
  return ValidateBy({
    name: 'withinListDepth',
    validator: {
      validate: (page: unknown, args?: ValidationArguments) => {
        const limit = (args?.object as PaginationQueryDto | undefined)?.limit;
        return typeof page !== 'number' || typeof limit !== 'number' || page * limit <= MAX_LIST_DEPTH;
      },
      defaultMessage: () => `page × limit must not exceed ${MAX_LIST_DEPTH}: narrow the filter to reach deeper items`,
    },
  });
}

/**
 * `?page=1&limit=20` on every list route (API.md, Conventions). Documented by hand: the Swagger
 * compiler plugin reads only `*.dto.ts` files, so it never sees this one.
 */
export class PaginationQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIST_DEPTH,
    default: 1,
    description: `1-based page number; \`page × limit\` must not exceed ${MAX_LIST_DEPTH} (400 otherwise).`,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIST_DEPTH)
  @WithinListDepth()
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: 20, description: 'Items per page.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit: number = 20;
}

export interface Paginated<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
}

export function skipFor({ page, limit }: PaginationQueryDto): number {
  return (page - 1) * limit;
}
