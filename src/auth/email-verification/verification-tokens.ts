import { Inject, Injectable } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../../config/app-config';
import { REDIS } from '../../redis/redis.module';
import { SingleUseTokens } from '../single-use-tokens';

/** Email-verification tokens: using one voids the user's others (a resend makes earlier links moot). */
@Injectable()
export class VerificationTokens extends SingleUseTokens {
  constructor(@Inject(REDIS) redis: Redis, config: AppConfig) {
    super(redis, 'email-verification', config.get('EMAIL_VERIFICATION_TTL_HOURS') * 3600);
  }
}
