import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { AdminOrderListQueryDto, OrderListResponseDto, OrderResponseDto, toOrderResponse, UpdateOrderStatusDto } from './dto/order.dto';
import { OrdersService } from './orders.service';

@ApiTags('admin: orders')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/orders')
export class AdminOrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** Every order, newest first; filter by `status`, `userId` and creation time (`from` ≤ t < `to`). */
  @Get()
  async list(@Query() query: AdminOrderListQueryDto): Promise<OrderListResponseDto> {
    return mapPage(await this.orders.listAll(query), toOrderResponse);
  }

  @Get(':id')
  async get(@Param('id', ParseObjectIdPipe) id: string): Promise<OrderResponseDto> {
    return toOrderResponse(await this.orders.get(id));
  }

  /** Moves the order along its lifecycle; a step the state table does not allow → 409. */
  @Patch(':id/status')
  async setStatus(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateOrderStatusDto,
  ): Promise<OrderResponseDto> {
    return toOrderResponse(await this.orders.setStatus(id, dto, user));
  }
}
