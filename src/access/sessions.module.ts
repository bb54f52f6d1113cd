import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { SessionRotation, SessionRotationSchema } from './schemas/session-rotation.schema';
import { SessionsService } from './sessions.service';

@Module({
  imports: [MongooseModule.forFeature([{ name: SessionRotation.name, schema: SessionRotationSchema }])],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
