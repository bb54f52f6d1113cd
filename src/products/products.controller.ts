import { Controller, Get, Param, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { AppConfig } from '../config/app-config';
import { CatalogCacheInterceptor } from './catalog-cache.interceptor';
import { CategoriesService } from './categories.service';
import { CategoryResponseDto, toCategoryResponse } from './dto/category.dto';
import { ProductResponseDto, toProductResponse } from './dto/product.dto';
import { ProductsService } from './products.service';

@ApiTags('catalog')
@Public()
@UseInterceptors(CatalogCacheInterceptor)
@Controller()
export class ProductsController {
  constructor(
    private readonly products: ProductsService,
    private readonly categories: CategoriesService,
    private readonly config: AppConfig,
  ) {}

  /** An active product by id or slug; drafts and archived products are 404. */
  @Get('products/:idOrSlug')
  async get(@Param('idOrSlug') idOrSlug: string): Promise<ProductResponseDto> {
    return toProductResponse(await this.products.getPublic(idOrSlug), this.config.get('STORE_CURRENCY'));
  }

  @Get('categories')
  async categoriesList(): Promise<CategoryResponseDto[]> {
    return (await this.categories.list()).map(toCategoryResponse);
  }
}
