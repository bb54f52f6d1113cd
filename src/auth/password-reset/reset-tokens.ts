import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { REDIS } from '../../redis/redis.module';
import { SingleUseTokens } from '../single-use-tokens';

/** Password-reset tokens: a completed reset voids every other reset token of the user. */
@Injectable()
export class ResetTokens extends SingleUseTokens {
  constructor(@Inject(REDIS) redis: Redis, config: AppConfig) {
    super(redis, 'password-reset', config.get('PASSWORD_RESET_TTL_MINUTES') * 60);
  }
}
