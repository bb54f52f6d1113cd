import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import { FilesInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiTags } from '@nestjs/swagger';
import { mapPage, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { AppConfig } from '../config/app-config';
import {
  AdminProductListQueryDto,
  CreateProductDto,
  AdminProductListResponseDto,
  AdminProductResponseDto,
  CreateVariantDto,
  StockAdjustmentDto,
  StockMovementListQueryDto,
  StockMovementResponseDto,
  toAdminProductResponse,
  toStockMovementResponse,
  UpdateProductDto,
  UpdateVariantDto,
} from './dto/product.dto';
import { MAX_FILES_PER_UPLOAD, ProductImagesService, type StoredImage } from './product-images.service';
import { InventoryService } from './inventory.service';
import { ProductsService } from './products.service';
import type { ProductDocument } from './schemas/product.schema';

@ApiTags('admin: catalog')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/products')
export class AdminProductsController {
  constructor(
    private readonly products: ProductsService,
    private readonly images: ProductImagesService,
    private readonly inventory: InventoryService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateProductDto): Promise<AdminProductResponseDto> {
    return this.respond(await this.products.create(dto, user));
  }

  /** Every product whatever its status, newest first. */
  @Get()
  async list(@Query() query: AdminProductListQueryDto): Promise<AdminProductListResponseDto> {
    return mapPage(await this.products.listAdmin(query), (product) => this.respond(product));
  }

  @Get(':id')
  async get(@Param('id', ParseObjectIdPipe) id: string): Promise<AdminProductResponseDto> {
    return this.respond(await this.products.getAny(id));
  }

  /** Any subset of the fields; `stock` (or `stockOnHand`) is the counted quantity on hand (below what orders hold → 409). */
  @Patch(':id')
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateProductDto,
  ): Promise<AdminProductResponseDto> {
    return this.respond(await this.products.update(id, dto, user));
  }

  /** Receipts (+) and write-offs (−) of units on hand, recorded with who and why; below what orders hold → 409. */
  @Post(':id/stock-adjustments')
  async adjustStock(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: StockAdjustmentDto,
  ): Promise<AdminProductResponseDto> {
    return this.respond(await this.inventory.adjust(id, null, dto.delta, dto.reason, user));
  }

  /** A new variant; an option value the product does not declare → 400, a taken combination or sku → 409. */
  @Post(':id/variants')
  async addVariant(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @Body() dto: CreateVariantDto): Promise<AdminProductResponseDto> {
    return this.respond(await this.products.addVariant(id, dto, user));
  }

  /** Any of sku, price, stock (the counted quantity on hand), imageIds, status, maxPerOrder; a taken sku → 409. */
  @Patch(':id/variants/:variantId')
  async updateVariant(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Param('variantId', ParseObjectIdPipe) variantId: string,
    @Body() dto: UpdateVariantDto,
  ): Promise<AdminProductResponseDto> {
    return this.respond(await this.products.updateVariant(id, variantId, dto, user));
  }

  /** Archives the variant: no longer sold or listed; past orders keep their copies. */
  @Delete(':id/variants/:variantId')
  @HttpCode(204)
  async archiveVariant(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Param('variantId', ParseObjectIdPipe) variantId: string,
  ): Promise<void> {
    await this.products.archiveVariant(id, variantId, user);
  }

  /** Receipts (+) and write-offs (−) of one variant's units on hand; below what orders hold → 409. */
  @Post(':id/variants/:variantId/stock-adjustments')
  async adjustVariantStock(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Param('variantId', ParseObjectIdPipe) variantId: string,
    @Body() dto: StockAdjustmentDto,
  ): Promise<AdminProductResponseDto> {
    return this.respond(await this.inventory.adjust(id, variantId, dto.delta, dto.reason, user));
  }

  /** Every allocation, release, shipment, adjustment and count of the product's variants, newest first; `limit` and `before` page through them. */
  @Get(':id/stock-movements')
  async stockMovements(@Param('id', ParseObjectIdPipe) id: string, @Query() query: StockMovementListQueryDto): Promise<StockMovementResponseDto[]> {
    return (await this.products.stockMovements(id, { limit: query.limit, before: query.before })).map(toStockMovementResponse);
  }

  /** Archives the product: it leaves every public read at once. */
  @Delete(':id')
  @HttpCode(204)
  async archive(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.products.archive(id, user);
  }

  /** JPEG, PNG or WebP judged by content, at most 5 MB each, 1 to 10 per request. */
  @Post(':id/images')
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['images'],
      properties: { images: { type: 'array', items: { type: 'string', format: 'binary' }, minItems: 1, maxItems: MAX_FILES_PER_UPLOAD } },
    },
  })
  @UseInterceptors(FilesInterceptor('images', MAX_FILES_PER_UPLOAD))
  async uploadImages(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @UploadedFiles() files: StoredImage[] | undefined,
  ): Promise<AdminProductResponseDto> {
    return this.respond(await this.images.attach(id, files ?? [], user));
  }

  /** Removes one image and its object in storage. */
  @Delete(':id/images/:imageId')
  @HttpCode(204)
  async removeImage(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Param('imageId', ParseObjectIdPipe) imageId: string,
  ): Promise<void> {
    await this.images.remove(id, imageId, user);
  }

  /** Removes every image of an archived product and its objects in storage (409 unless archived). */
  @Delete(':id/images')
  @HttpCode(204)
  async purgeImages(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.images.purge(id, user);
  }

  private respond(product: ProductDocument): AdminProductResponseDto {
    return toAdminProductResponse(product, this.config.get('STORE_CURRENCY'));
  }
}
