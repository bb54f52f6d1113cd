import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { mapPage, PaginationQueryDto, ParseObjectIdPipe } from '@app/common';
import { type AuthUser, CurrentUser } from '../access/current-user.decorator';
import { Roles } from '../access/roles.decorator';
import { toUserResponse, UpdateUserRoleDto, UserListResponseDto, UserResponseDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('admin: users')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list(@Query() query: PaginationQueryDto): Promise<UserListResponseDto> {
    return mapPage(await this.users.list(query), toUserResponse);
  }

  @Patch(':id')
  async changeRole(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseObjectIdPipe) id: string,
    @Body() dto: UpdateUserRoleDto,
  ): Promise<UserResponseDto> {
    return toUserResponse(await this.users.changeRole(id, dto.role, user));
  }
}
