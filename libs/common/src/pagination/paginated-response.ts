import { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Paginated } from './pagination';

/**
 * The one response shape of every list (API.md, Conventions): `{ items, total, page, limit }`.
 * `class UserListResponseDto extends PaginatedResponseDto(UserResponseDto) {}` gives each list
 * its own named schema in the OpenAPI document without a copy of the four fields per domain.
 */
export function PaginatedResponseDto<T>(item: Type<T>) {
  class PaginatedResponse implements Paginated<T> {
    @ApiProperty({ type: item, isArray: true })
    items!: T[];

    /** Matching items over all pages. */
    @ApiProperty()
    total!: number;

    @ApiProperty()
    page!: number;

    @ApiProperty()
    limit!: number;
  }
  return PaginatedResponse;
}

/** Maps the items of a page (documents to response DTOs), keeping the counts. */
export function mapPage<T, R>(page: Paginated<T>, map: (item: T) => R): Paginated<R> {
  return { ...page, items: page.items.map(map) };
}
