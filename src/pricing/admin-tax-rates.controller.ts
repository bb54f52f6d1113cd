import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { CreateTaxRateDto, TaxRateListResponseDto, TaxRateResponseDto, toTaxRateResponse, UpdateTaxRateDto } from './dto/tax-rate.dto';
import { TaxRates } from './pricing-settings.service';

@ApiTags('admin: pricing')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/tax-rates')
export class AdminTaxRatesController {
  constructor(private readonly rates: TaxRates) {}

  /** Newest first. A destination's rate: country + region first, then country; a class without a rate there falls back to `standard`. */
  @Get()
  async list(@Query() query: PaginationQueryDto): Promise<TaxRateListResponseDto> {
    return mapPage(await this.rates.list(query), toTaxRateResponse);
  }

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateTaxRateDto): Promise<TaxRateResponseDto> {
    return toTaxRateResponse(await this.rates.add(dto, user));
  }

  @Patch(':id')
  async update(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string, @Body() dto: UpdateTaxRateDto): Promise<TaxRateResponseDto> {
    return toTaxRateResponse(await this.rates.change(id, dto, user));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.rates.remove(id, user);
  }
}
