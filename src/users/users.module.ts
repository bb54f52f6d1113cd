import { Module } from '@nestjs/common';
import { AuditLogModule } from '../audit/audit-log.module';
import { MongooseModule } from '@nestjs/mongoose';
import { SessionsModule } from '../access/sessions.module';
import { AddressesController } from './addresses.controller';
import { AddressesService } from './addresses.service';
import { AdminUsersController } from './admin-users.controller';
import { User, UserSchema } from './schemas/user.schema';
import { UsersService } from './users.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: User.name, schema: UserSchema }]), SessionsModule, AuditLogModule],
  controllers: [AddressesController, AdminUsersController],
  providers: [UsersService, AddressesService],
  exports: [UsersService, AddressesService],
})
export class UsersModule {}
