import { IsOmittable, Trim } from '@app/common';
import { IsString, Length, Matches } from 'class-validator';
import { Category } from '../schemas/category.schema';


export class CreateCategoryDto {
  @Trim()
  @IsString()
  @Length(1, 80)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  /** Lower-case words joined by hyphens; generated from the name when left out. */
  @IsOmittable()
  @IsString()
  @Length(1, 80)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'slug must be lower-case words joined by hyphens' })
  slug?: string;
}

export class UpdateCategoryDto {
  @IsOmittable()
  @Trim()
  @IsString()
  @Length(1, 80)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  /** Renaming the slug moves every product of the category along with it. */
  @IsOmittable()
  @IsString()
  @Length(1, 80)
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'slug must be lower-case words joined by hyphens' })
  slug?: string;
}

export class CategoryResponseDto {
  id!: string;
  name!: string;
  slug!: string;
}

export function toCategoryResponse(category: Pick<Category, '_id' | 'name' | 'slug'>): CategoryResponseDto {
  return { id: category._id.toString(), name: category.name, slug: category.slug };
}
