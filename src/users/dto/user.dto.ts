import { IsIn } from 'class-validator';
import { PaginatedResponseDto } from '@app/common';
import { ROLES, type Role } from '../../access/roles';
import { User } from '../schemas/user.schema';

export class UserResponseDto {
  id!: string;
  email!: string;
  name!: string;
  /** `customer` or `admin`. */
  role!: Role;
  /** Whether the owner confirmed the address with the emailed token (POST /auth/email/verify). */
  emailVerified!: boolean;
  createdAt!: Date;
}

export function toUserResponse(user: Pick<User, '_id' | 'email' | 'name' | 'role' | 'emailVerified' | 'createdAt'>): UserResponseDto {
  return {
    id: user._id.toString(),
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerified === true,
    createdAt: user.createdAt,
  };
}

export class UpdateUserRoleDto {
  /** The new role; changing it signs the user out everywhere. */
  @IsIn(ROLES)
  role!: Role;
}

export class UserListResponseDto extends PaginatedResponseDto(UserResponseDto) {}
