import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import {
  CreateShippingMethodDto,
  ShippingMethodListResponseDto,
  ShippingMethodResponseDto,
  toShippingMethodResponse,
  UpdateShippingMethodDto,
} from './dto/shipping-method.dto';
import { ShippingMethods } from './pricing-settings.service';

@ApiTags('admin: pricing')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/shipping-methods')
export class AdminShippingMethodsController {
  constructor(private readonly methods: ShippingMethods) {}

  /** Newest first. With none active, checkout charges the configured flat rate (SHIPPING_FLAT_RATE). */
  @Get()
  async list(@Query() query: PaginationQueryDto): Promise<ShippingMethodListResponseDto> {
    return mapPage(await this.methods.list(query), toShippingMethodResponse);
  }

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateShippingMethodDto): Promise<ShippingMethodResponseDto> {
    return toShippingMethodResponse(await this.methods.add(dto, user));
  }

  @Patch(':id')
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateShippingMethodDto,
  ): Promise<ShippingMethodResponseDto> {
    return toShippingMethodResponse(await this.methods.change(id, dto, user));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.methods.remove(id, user);
  }
}
