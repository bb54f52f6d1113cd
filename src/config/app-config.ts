import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EnvironmentVariables } from './env.schema';

/**
 * Typed, read-only access to the validated environment. The only place that reads
 * configuration: modules inject this instead of touching `process.env`.
 */
@Injectable()
export class AppConfig {
  constructor(private readonly config: ConfigService<EnvironmentVariables, true>) {}

  get<K extends keyof EnvironmentVariables>(key: K): EnvironmentVariables[K] {
    return this.config.get(key, { infer: true });
  }

  /** TRUST_PROXY in the form Express's `trust proxy` setting takes. */
  get trustProxy(): boolean | number | string {
    const value = this.get('TRUST_PROXY');
    if (value === 'false') return false;
    return /^\d+$/.test(value) ? Number(value) : value;
  }
}
