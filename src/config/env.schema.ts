import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

// Read the raw value: implicit conversion would already have turned "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  if (typeof raw !== 'string') return raw;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  return raw;
};

/**
 * Every environment variable the API and the worker read. `.env.example` documents each one;
 * validation runs before any module starts, so a bad deployment fails at boot with a message
 * naming every bad variable instead of failing later on the first request that needs it.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number = 3000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: string = 'info';

  /**
   * Which proxies in front of the API to believe about the client address (X-Forwarded-For):
   * `false` (none, the default), a hop count such as `1`, or addresses / CIDRs / Express's
   * `loopback`, `linklocal`, `uniquelocal`, comma-separated. Rate limits key on that address.
   */
  @Matches(/^(false|\d{1,2}|[\w.:/, -]+)$/, { message: 'TRUST_PROXY must be false, a hop count, or addresses/CIDRs' })
  TRUST_PROXY: string = 'false';

  @Matches(/^mongodb(\+srv)?:\/\/[^\s/]+(\/[^\s?]*)?(\?\S*)?$/, {
    message: 'MONGODB_URI must be a mongodb:// or mongodb+srv:// connection string',
  })
  MONGODB_URI!: string;

  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL!: string;

  /** Prefix of every Redis key this deployment writes (cache, sessions, queues). */
  @Matches(/^[a-zA-Z0-9_-]{1,40}$/, { message: 'REDIS_KEY_PREFIX must be 1-40 letters, digits, _ or -' })
  REDIS_KEY_PREFIX: string = 'shop';

  @IsString()
  @MinLength(32, { message: 'JWT_ACCESS_SECRET must be at least 32 characters' })
  JWT_ACCESS_SECRET!: string;

  @IsInt()
  @Min(60)
  @Max(86400)
  JWT_ACCESS_TTL_SECONDS: number = 900;

  @IsInt()
  @Min(1)
  @Max(365)
  REFRESH_TOKEN_TTL_DAYS: number = 30;

  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_LIMIT_PER_MINUTE: number = 300;

  /** Failed logins allowed per email within the window before 429. */
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_MAX_FAILURES_PER_EMAIL: number = 5;

  /** Failed logins allowed per client IP within the window; loose, so one NAT cannot lock others out. */
  @IsInt()
  @Min(1)
  @Max(100000)
  LOGIN_MAX_FAILURES_PER_IP: number = 100;

  @IsInt()
  @Min(1)
  @Max(1440)
  LOGIN_FAILURE_WINDOW_MINUTES: number = 15;

  @IsInt()
  @Min(5)
  @Max(1440)
  PASSWORD_RESET_TTL_MINUTES: number = 30;

  @Matches(/^[a-z]{3}$/, { message: 'STORE_CURRENCY must be a lower-case ISO 4217 code, e.g. usd' })
  STORE_CURRENCY: string = 'usd';

  @IsOptional()
  @IsEmail()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'ADMIN_PASSWORD must be at least 8 characters' })
  ADMIN_PASSWORD?: string;

  /** Base URL of the shop front end; password-reset links point there. */
  @IsUrl({ require_tld: false, require_protocol: true })
  APP_PUBLIC_URL: string = 'http://localhost:3000';

  @IsString()
  SMTP_HOST: string = '127.0.0.1';

  @IsInt()
  @Min(1)
  @Max(65535)
  SMTP_PORT: number = 1025;

  @Transform(toBoolean)
  @IsBoolean()
  SMTP_SECURE: boolean = false;

  @IsOptional()
  @IsString()
  SMTP_USER?: string;

  @IsOptional()
  @IsString()
  SMTP_PASSWORD?: string;

  @IsString()
  MAIL_FROM: string = 'Shop <no-reply@shop.local>';

  /** S3 API endpoint; empty for AWS itself, the MinIO URL locally. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;

  @IsString()
  S3_REGION: string = 'us-east-1';

  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'S3_BUCKET must be a valid bucket name' })
  S3_BUCKET!: string;

  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  /** MinIO and most S3-compatible servers want path-style URLs (endpoint/bucket/key). */
  @Transform(toBoolean)
  @IsBoolean()
  S3_FORCE_PATH_STYLE: boolean = true;

  /** Public base URL of the bucket's objects (a CDN or the bucket's URL); image URLs start with it. */
  @IsUrl({ require_tld: false, require_protocol: true })
  S3_PUBLIC_URL!: string;

  /** Stripe secret API key (`sk_test_…` / `sk_live_…`); stripe-mock accepts any `sk_test_` key. */
  @Matches(/^(sk|rk)_(test|live)_\S+$/, { message: 'STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_… or sk_live_…)' })
  STRIPE_SECRET_KEY!: string;

  /** Signing secret of the webhook endpoint (`whsec_…`); events with another signature are refused. */
  @Matches(/^whsec_\S+$/, { message: 'STRIPE_WEBHOOK_SECRET must be a webhook signing secret (whsec_…)' })
  STRIPE_WEBHOOK_SECRET!: string;

  /** Base URL of the Stripe API; empty for Stripe itself, stripe-mock's URL locally. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  STRIPE_API_URL?: string;

  /**
   * PayPal is offered at checkout only when its client id, secret and webhook id are all set;
   * one or two of them set is a configuration mistake and refuses start-up.
   */
  @ValidateIf(paypalConfigured)
  @IsString({ message: 'PAYPAL_CLIENT_ID is required when PAYPAL_CLIENT_SECRET or PAYPAL_WEBHOOK_ID is set' })
  PAYPAL_CLIENT_ID?: string;

  @ValidateIf(paypalConfigured)
  @IsString({ message: 'PAYPAL_CLIENT_SECRET is required when PAYPAL_CLIENT_ID or PAYPAL_WEBHOOK_ID is set' })
  PAYPAL_CLIENT_SECRET?: string;

  /** Id of the webhook registered with PayPal; every delivery is verified against it. */
  @ValidateIf(paypalConfigured)
  @IsString({ message: 'PAYPAL_WEBHOOK_ID is required when PAYPAL_CLIENT_ID or PAYPAL_CLIENT_SECRET is set' })
  PAYPAL_WEBHOOK_ID?: string;

  /** PayPal's REST API: the sandbox by default, https://api-m.paypal.com live, the test double locally. */
  @IsUrl({ require_tld: false, require_protocol: true })
  PAYPAL_API_BASE: string = 'https://api-m.sandbox.paypal.com';

  /** Minutes an order may wait for its payment before it is cancelled and its stock released. */
  @IsInt()
  @Min(1)
  @Max(10080)
  ORDER_PAYMENT_TTL_MINUTES: number = 30;

  /** Flat shipping fee in minor units. */
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  SHIPPING_FLAT_RATE: number = 499;

  /** Subtotal (minor units) from which shipping is free; 0 means never free. */
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  FREE_SHIPPING_THRESHOLD: number = 5000;

  /** Attempts per queue job (the first run included) before it is kept as failed. */
  @IsInt()
  @Min(1)
  @Max(50)
  JOB_ATTEMPTS: number = 5;

  /** First retry delay of a failed job; each further retry waits twice as long. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  JOB_BACKOFF_MS: number = 2000;

  /**
   * How long a running job's lock lasts without renewal (a live worker renews it): a job whose
   * worker died is handed to another worker after at most about twice this.
   */
  @IsInt()
  @Min(2)
  @Max(600)
  JOB_LOCK_SECONDS: number = 30;

  /** When true the API process also runs the queue processors (one-command local run). */
  @Transform(toBoolean)
  @IsBoolean()
  RUN_WORKER_IN_API: boolean = false;
}

function paypalConfigured(env: EnvironmentVariables): boolean {
  return [env.PAYPAL_CLIENT_ID, env.PAYPAL_CLIENT_SECRET, env.PAYPAL_WEBHOOK_ID].some((value) => value !== undefined);
}

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Validates raw environment values; throws one error listing every bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  // Empty strings mean "unset" so that `FOO=` in a .env file falls back to the default.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(EnvironmentVariables, present, { enableImplicitConversion: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const problems = errors.flatMap((error) =>
      Object.values(error.constraints ?? { invalid: `${error.property} is invalid` }),
    );
    throw new InvalidEnvironmentError(problems);
  }
  return env;
}
