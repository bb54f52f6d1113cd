import { Module } from '@nestjs/common';
import { CoreModule } from '../core/core.module';
import { BackupsModule } from './backups.module';

@Module({ imports: [CoreModule.forRoot('cli'), BackupsModule] })
export class BackupCommandModule {}
