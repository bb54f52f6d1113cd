import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { AlsoAnswers } from '../core/openapi-errors';
import { CreatePromotionDto, PromotionListResponseDto, PromotionResponseDto, toPromotionResponse, UpdatePromotionDto } from './dto/promotion.dto';
import { Promotions } from './pricing-settings.service';

@ApiTags('admin: pricing')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/promotions')
export class AdminPromotionsController {
  constructor(private readonly promotions: Promotions) {}

  /** Newest first, each with `used`: the orders holding a use now. */
  @Get()
  async list(@Query() query: PaginationQueryDto): Promise<PromotionListResponseDto> {
    return mapPage(await this.promotions.list(query), toPromotionResponse);
  }

  @Get(':id')
  async get(@Param('id', ParseObjectIdPipe) id: string): Promise<PromotionResponseDto> {
    return toPromotionResponse(await this.promotions.get(id));
  }

  @Post()
  @AlsoAnswers({ 409: 'The code is taken (codes compare case-insensitively)' })
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreatePromotionDto): Promise<PromotionResponseDto> {
    return toPromotionResponse(await this.promotions.add(dto, user));
  }

  @Patch(':id')
  @AlsoAnswers({ 409: 'The code is taken (codes compare case-insensitively)' })
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @Body() dto: UpdatePromotionDto): Promise<PromotionResponseDto> {
    return toPromotionResponse(await this.promotions.change(id, dto, user));
  }

  /** Orders that used it keep their copy of it. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.promotions.remove(id, user);
  }
}
