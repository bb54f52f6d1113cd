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

  /**
   * Address the API listens on. Loopback unless told otherwise, so a process started by hand is
   * not reachable from the network by accident; the container image sets 0.0.0.0.
   */
  @Matches(/^[A-Za-z0-9.:-]{1,253}$/, { message: 'HOST must be an IP address or a host name, e.g. 127.0.0.1 or 0.0.0.0' })
  HOST: string = '127.0.0.1';

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

  /** Up to ten million: a load test on loopback sends more than 100,000 a minute from one address. */
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  THROTTLE_LIMIT_PER_MINUTE: number = 300;

  /** Registrations per client (IPv6 /64, IPv4 address) per hour; each costs a password hash. */
  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_REGISTER_PER_HOUR: number = 10;

  /** Login requests (failed or not) per client per minute; each costs a password hash. */
  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_LOGIN_PER_MINUTE: number = 20;

  /** Password-reset emails asked for per client per hour. */
  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_PASSWORD_FORGOT_PER_HOUR: number = 10;

  /** Password-reset redemptions per client per hour; each costs a password hash. */
  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_PASSWORD_RESET_PER_HOUR: number = 20;

  /**
   * Deliveries per client per minute to each payment webhook (Stripe, PayPal). Its own limit, not
   * the global one (the providers send bursts, and raising the global limit must not remove this):
   * each PayPal delivery costs a call to PayPal's verify API.
   */
  @IsInt()
  @Min(1)
  @Max(100000)
  THROTTLE_PAYMENT_WEBHOOK_PER_MINUTE: number = 600;

  /** The limits above also hold per IPv6 /48, at this many times the per-client number. */
  @IsInt()
  @Min(1)
  @Max(1000)
  THROTTLE_NETWORK_MULTIPLIER: number = 4;

  /** Password hashes (argon2id, about 19 MiB each) computed at once by one API process. */
  @IsInt()
  @Min(1)
  @Max(64)
  PASSWORD_HASH_CONCURRENCY: number = 4;

  /** Hashes allowed to wait for a slot; past that, requests needing one get 503 with Retry-After. */
  @IsInt()
  @Min(0)
  @Max(10000)
  PASSWORD_HASH_QUEUE: number = 32;

  /** Failed logins allowed per email from one client (IPv6 /64, IPv4 address) within the window before 429. */
  @IsInt()
  @Min(1)
  @Max(1000)
  LOGIN_MAX_FAILURES_PER_EMAIL: number = 5;

  /** Failed logins allowed per email from all clients together within the window before 429: a much higher ceiling. */
  @IsInt()
  @Min(1)
  @Max(100000)
  LOGIN_MAX_FAILURES_PER_EMAIL_TOTAL: number = 50;

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

  @IsInt()
  @Min(1)
  @Max(720)
  EMAIL_VERIFICATION_TTL_HOURS: number = 48;

  /**
   * Order emails per hour to one address no verified account owns; the rest are skipped (and
   * recorded as skipped). Without it a checkout-and-cancel loop mails a stranger from the shop.
   */
  @IsInt()
  @Min(0)
  @Max(10000)
  UNVERIFIED_ORDER_EMAILS_PER_HOUR: number = 5;

  /** Days an anonymous cart (X-Cart-Token) lives after its last use. */
  @IsInt()
  @Min(1)
  @Max(365)
  GUEST_CART_TTL_DAYS: number = 30;

  /** How long browsers and shared caches may reuse an anonymous catalog read (Cache-Control max-age). */
  @IsInt()
  @Min(0)
  @Max(86400)
  CATALOG_MAX_AGE_SECONDS: number = 30;

  /** Emits the MongoDB driver's command events (diagnostics; the tests count round trips with it). */
  @Transform(toBoolean)
  @IsBoolean()
  MONGODB_MONITOR_COMMANDS: boolean = false;

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

  /**
   * After this long a "sending" claim in the email ledger belongs to a worker that died mid-send
   * and another worker takes it over. Must exceed the longest possible send (about 50 s with the
   * SMTP timeouts used), or a slow send could be repeated.
   */
  @IsInt()
  @Min(5)
  @Max(86400)
  MAIL_CLAIM_STALE_SECONDS: number = 300;

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

  /**
   * Production refuses test-mode payments (an `sk_test_` key, the PayPal sandbox, a Stripe or
   * PayPal URL on a mock or loopback) unless this says so on purpose: a shop taking test payments
   * ships goods nobody paid for.
   */
  @Transform(toBoolean)
  @IsBoolean()
  ALLOW_TEST_PAYMENTS: boolean = false;

  /** Minutes an order may wait for its payment before it is cancelled and its stock released. */
  @IsInt()
  @Min(1)
  @Max(10080)
  ORDER_PAYMENT_TTL_MINUTES: number = 30;

  /**
   * Orders one customer may leave unpaid at once (each holds its stock until it is paid or
   * expires); one checkout more is refused with 429. Without it one account could hold the
   * whole catalog's stock by checking out and never paying, again after every expiry.
   */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  MAX_UNPAID_ORDERS: number = 3;

  /** Lines one cart may hold; adding a new line beyond it is refused with 409. */
  @IsInt()
  @Min(1)
  @Max(1000)
  MAX_CART_LINES: number = 100;

  /** Units of one product an order (and a cart line) may hold, unless the product sets its own `maxPerOrder`. */
  @IsInt()
  @Min(1)
  @Max(999)
  MAX_UNITS_PER_LINE: number = 999;

  /**
   * True: catalog prices include tax (the quote shows the tax they contain); false (default): tax
   * is added on top. Tax rates are set by admins per destination and tax class.
   */
  @Transform(toBoolean)
  @IsBoolean()
  PRICES_INCLUDE_TAX: boolean = false;

  /** Flat shipping fee in minor units, charged while no shipping method is defined. */
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

  /** Attempts per outgoing webhook delivery (the first included) before it is `failed`. */
  @IsInt()
  @Min(1)
  @Max(20)
  WEBHOOK_MAX_ATTEMPTS: number = 8;

  /** First retry delay of a webhook delivery; each further retry waits twice as long (8 attempts ≈ 4 hours). */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  WEBHOOK_BACKOFF_MS: number = 120_000;

  /** Days a webhook delivery (with its attempts) stays in the delivery log before the hourly prune deletes it. */
  @IsInt()
  @Min(1)
  @Max(3650)
  WEBHOOK_LOG_DAYS: number = 30;

  /** A variant whose sellable stock falls to or below this sends one `stock.low` webhook per crossing. */
  @IsInt()
  @Min(0)
  LOW_STOCK_THRESHOLD: number = 5;

  /**
   * How often the worker moves the stock movements buffered in product documents to the
   * `stock_movements` collection (README, "Stock movements"): a product document holds at most
   * about this long's movements.
   */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  STOCK_MOVEMENTS_SWEEP_MS: number = 5000;
  /**
   * Private bucket of the database backups. Never the image bucket: that one is publicly
   * readable, and a backup holds every customer's data.
   */
  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'BACKUP_BUCKET must be a valid bucket name' })
  BACKUP_BUCKET: string = 'shop-backups';

  /**
   * The backups' own object storage access, read only by the worker and the command line (the
   * internet-facing API process is given none, so its key cannot read, overwrite or delete
   * backups). The endpoint defaults to S3_ENDPOINT. Outside production the keys default to
   * S3_*'s (one local MinIO user); production refuses to back up without them.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true })
  BACKUP_S3_ENDPOINT?: string;

  @IsOptional()
  @IsString()
  BACKUP_S3_ACCESS_KEY_ID?: string;

  @IsOptional()
  @IsString()
  BACKUP_S3_SECRET_ACCESS_KEY?: string;

  /** Key prefix of the backups inside their bucket (empty, or folders ending with "/"). */
  @Matches(/^([A-Za-z0-9._-]+\/)*$/, { message: 'BACKUP_PREFIX must be empty or folder names each ending with /' })
  BACKUP_PREFIX: string = '';

  /** Complete backups kept; older ones are deleted after a new one is complete. */
  @IsInt()
  @Min(1)
  @Max(1000)
  BACKUP_KEEP: number = 7;

  /**
   * When the worker takes the scheduled backup: a cron expression (5 fields, or 6 with seconds
   * first) in the worker's time zone, or `off`.
   */
  @Matches(/^(off|\S+( \S+){4,5})$/, { message: 'BACKUP_CRON must be a cron expression of 5 or 6 fields, or off' })
  BACKUP_CRON: string = '0 3 * * *';

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

/**
 * Variables whose value is a secret: in production none may be a value anyone can look up.
 * Every variable whose name ends like a secret's (SECRET_NAME) must be listed here; a unit test
 * walks the schema and `.env.example` so that a new secret cannot be forgotten.
 */
export const SECRET_VARIABLES = [
  'JWT_ACCESS_SECRET',
  'ADMIN_PASSWORD',
  'S3_SECRET_ACCESS_KEY',
  'BACKUP_S3_SECRET_ACCESS_KEY',
  'SMTP_PASSWORD',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'PAYPAL_CLIENT_SECRET',
] as const;

/** How a secret's variable name ends. */
export const SECRET_NAME = /(SECRET|PASSWORD|_KEY|TOKEN)$/;

/**
 * Published secrets: the values `.env.example` and earlier versions of docker-compose.yml and
 * the local scripts carried. A unit test keeps this list in step with `.env.example`; anything
 * that reads "change me" (whatever the separators: `whsec_change-me`, `sk_test_changeme`) is
 * refused as well, as is a provider prefix followed by nothing but such a value.
 */
export const PLACEHOLDER_SECRETS: readonly string[] = [
  'change-me-to-a-long-random-secret-of-48-bytes',
  'change-me-admin-password',
  'change-me-please-a-long-random-secret-for-compose',
  'minioadmin',
  'admin12345',
  'sk_test_changeme',
  'whsec_change-me',
];

/** Words of a value nobody chose as a secret, compared without case and separators. */
const PLACEHOLDER_WORDS = ['changeme', 'replaceme', 'placeholder', 'yoursecret', 'secrethere'];
/** Provider prefixes of secrets (Stripe keys and webhook secrets): the rest is the secret. */
const SECRET_PREFIX = /^((sk|rk)_(test|live)_|whsec_)/;

export function isPlaceholderSecret(value: string): boolean {
  const rest = value.replace(SECRET_PREFIX, '');
  const folded = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  return PLACEHOLDER_SECRETS.includes(value) || PLACEHOLDER_SECRETS.includes(rest) || PLACEHOLDER_WORDS.some((word) => folded.includes(word));
}

/** Substrings that make an admin password guessable whatever its length. */
const GUESSABLE_PARTS = ['password', 'passwort', 'admin', 'qwerty', 'letmein', 'welcome', '123456', 'abcdef'];
export const MIN_PRODUCTION_ADMIN_PASSWORD_LENGTH = 12;

/**
 * Checks that only matter where the app is exposed: a production process refuses secrets that
 * are published (placeholders, defaults) and an admin password that is easy to guess, naming the
 * variable. Development and tests keep their convenient values.
 */
function productionProblems(env: EnvironmentVariables): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const value = env[name];
    if (value === undefined) continue;
    if (isPlaceholderSecret(value)) {
      problems.push(`${name} is a published placeholder value; set a secret of your own in production`);
    }
  }
  if (!env.ALLOW_TEST_PAYMENTS) problems.push(...testPaymentProblems(env));
  const admin = env.ADMIN_PASSWORD;
  if (admin !== undefined && !isPlaceholderSecret(admin) && isWeakPassword(admin, env.ADMIN_EMAIL)) {
    problems.push(
      `ADMIN_PASSWORD is too weak for production: use at least ${MIN_PRODUCTION_ADMIN_PASSWORD_LENGTH} characters, ` +
        'not a common word or sequence, nor the admin email',
    );
  }
  return problems;
}

const ON_PURPOSE = 'set ALLOW_TEST_PAYMENTS=true only to run production against test payments on purpose';

/**
 * Payment settings that take no real money: with them an order is "paid" by a test card, a
 * sandbox account or a mock anyone can script, and the shop ships it.
 */
function testPaymentProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  if (/^(sk|rk)_test_/.test(env.STRIPE_SECRET_KEY)) {
    problems.push(`STRIPE_SECRET_KEY is a test-mode key (sk_test_…); use a live key (sk_live_…) in production, or ${ON_PURPOSE}`);
  }
  if (env.STRIPE_API_URL !== undefined && isMockUrl(env.STRIPE_API_URL)) {
    problems.push(`STRIPE_API_URL points at a mock or this machine (${env.STRIPE_API_URL}); leave it empty for Stripe itself, or ${ON_PURPOSE}`);
  }
  if (paypalConfigured(env) && (isMockUrl(env.PAYPAL_API_BASE) || hostOf(env.PAYPAL_API_BASE).endsWith('sandbox.paypal.com'))) {
    problems.push(`PAYPAL_API_BASE is PayPal's sandbox or a mock (${env.PAYPAL_API_BASE}); use https://api-m.paypal.com in production, or ${ON_PURPOSE}`);
  }
  return problems;
}

/** Plain HTTP, a loopback address or a host named like a mock (stripe-mock, paypal-mock): no provider's real API. */
function isMockUrl(url: string): boolean {
  const host = hostOf(url);
  return (
    !url.toLowerCase().startsWith('https:') ||
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\./.test(host) ||
    host === '[::1]' ||
    host === '0.0.0.0' ||
    host.includes('mock')
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

function isWeakPassword(password: string, email: string | undefined): boolean {
  const lower = password.toLowerCase();
  const emailName = email?.split('@')[0]?.toLowerCase();
  return (
    password.length < MIN_PRODUCTION_ADMIN_PASSWORD_LENGTH ||
    // Long but made of a handful of characters: "aaaaaaaaaaaa", "121212121212".
    new Set(password).size < 6 ||
    GUESSABLE_PARTS.some((part) => lower.includes(part)) ||
    (emailName !== undefined && emailName.length >= 3 && lower.includes(emailName))
  );
}

/** Validates raw environment values; throws one error listing every bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  // Empty strings mean "unset" so that `FOO=` in a .env file falls back to the default.
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(EnvironmentVariables, present, { enableImplicitConversion: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  const problems = errors.flatMap((error) => Object.values(error.constraints ?? { invalid: `${error.property} is invalid` }));
  problems.push(...productionProblems(env));
  if (env.BACKUP_BUCKET === env.S3_BUCKET) {
    problems.push('BACKUP_BUCKET must not be S3_BUCKET: the image bucket is publicly readable');
  }
  if (problems.length > 0) throw new InvalidEnvironmentError(problems);
  return env;
}
