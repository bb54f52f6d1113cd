import { Body, Controller, Delete, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { CategoriesService } from './categories.service';
import { CategoryResponseDto, CreateCategoryDto, toCategoryResponse, UpdateCategoryDto } from './dto/category.dto';

@ApiTags('admin: catalog')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/categories')
export class AdminCategoriesController {
  constructor(private readonly categories: CategoriesService) {}

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateCategoryDto): Promise<CategoryResponseDto> {
    return toCategoryResponse(await this.categories.create(dto, user));
  }

  @Patch(':id')
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateCategoryDto,
  ): Promise<CategoryResponseDto> {
    return toCategoryResponse(await this.categories.update(id, dto, user));
  }

  /** Refused (409) while non-archived products use the category. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.categories.remove(id, user);
  }
}
