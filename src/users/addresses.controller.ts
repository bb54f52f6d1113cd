import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { AddressesService } from './addresses.service';
import { AddressResponseDto, CreateAddressDto, toAddressResponse, UpdateAddressDto } from './dto/address.dto';

@ApiTags('account')
@ApiBearerAuth()
@Controller('me/addresses')
export class AddressesController {
  constructor(private readonly addresses: AddressesService) {}

  @Get()
  async list(@CurrentUser() user: AuthUser): Promise<AddressResponseDto[]> {
    return (await this.addresses.list(user.id)).map(toAddressResponse);
  }

  @Post()
  async create(@CurrentUser() user: AuthUser, @Body() dto: CreateAddressDto): Promise<AddressResponseDto> {
    return toAddressResponse(await this.addresses.add(user.id, dto));
  }

  @Get(':id')
  async get(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<AddressResponseDto> {
    return toAddressResponse(await this.addresses.get(user.id, id));
  }

  @Patch(':id')
  async update(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateAddressDto,
  ): Promise<AddressResponseDto> {
    return toAddressResponse(await this.addresses.update(user.id, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@CurrentUser() user: AuthUser, @Param('id', ParseObjectIdPipe) id: string): Promise<void> {
    await this.addresses.remove(user.id, id);
  }
}
