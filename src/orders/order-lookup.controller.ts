import { Controller, Get, Ip, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@app/common';
import { AlsoAnswers } from '../core/openapi-errors';
import { OrderLookupQueryDto, OrderLookupResponseDto, toOrderLookupResponse } from './dto/order.dto';
import { OrdersService } from './orders.service';

/**
 * The one order route without login (guests). Its own controller, without the bearer lock of the
 * others; registered before OrdersController so that `orders/lookup` is not read as `orders/:id`.
 */
@ApiTags('orders')
@Controller()
export class OrderLookupController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * An order by its number and the email it was placed with, without logging in; no payment
   * secrets. A wrong email answers exactly like an unknown number (404).
   */
  @Public()
  @Get('orders/lookup')
  @AlsoAnswers({
    404: 'No order with this number and email (a wrong email and an unknown number answer alike)',
    429: 'Ten failed lookups from this client within the hour; retry after `Retry-After` seconds',
  })
  async lookup(@Query() query: OrderLookupQueryDto, @Ip() ip: string): Promise<OrderLookupResponseDto> {
    return toOrderLookupResponse(await this.orders.lookup(query.number, query.email, ip));
  }
}
