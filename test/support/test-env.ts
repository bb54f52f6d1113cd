import { randomBytes } from 'node:crypto';

/** Webhook signing secret of every test app; tests sign Stripe events with it. */
export const TEST_WEBHOOK_SECRET = 'whsec_shop_backend_tests';

/**
 * Environment for one test file's app: its own database and Redis key prefix on the shared
 * local stack, so suites never see each other's data. `TEST_MONGODB_URI` / `TEST_REDIS_URL`
 * point the whole suite at another server (a real MongoDB, for instance).
 */
export function testEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const minioPort = process.env.MINIO_PORT ?? '9000';
  const bucket = process.env.S3_BUCKET ?? 'shop-media';
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018', `test_${runId}`),
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `test_${runId}`,
    JWT_ACCESS_SECRET: randomBytes(32).toString('hex'),
    THROTTLE_LIMIT_PER_MINUTE: '100000',
    // Suites register and log in many users from one address; the suites of the limits lower these.
    THROTTLE_REGISTER_PER_HOUR: '100000',
    THROTTLE_LOGIN_PER_MINUTE: '100000',
    THROTTLE_PASSWORD_FORGOT_PER_HOUR: '100000',
    THROTTLE_PASSWORD_RESET_PER_HOUR: '100000',
    THROTTLE_PAYMENT_WEBHOOK_PER_MINUTE: '100000',
    // Suites place many unpaid orders per customer; the suite of the hoarding limits lowers it.
    MAX_UNPAID_ORDERS: '100000',
    S3_ENDPOINT: `http://127.0.0.1:${minioPort}`,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: process.env.MINIO_ROOT_USER ?? 'minioadmin',
    S3_SECRET_ACCESS_KEY: process.env.MINIO_ROOT_PASSWORD ?? 'minioadmin',
    S3_PUBLIC_URL: `http://127.0.0.1:${minioPort}/${bucket}`,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: process.env.MAILDEV_SMTP_PORT ?? '1025',
    BACKUP_BUCKET: process.env.BACKUP_BUCKET ?? 'shop-backups',
    // Backups of this test file stay under their own prefix; no worker takes one unless a test asks.
    BACKUP_PREFIX: `test_${runId}/`,
    BACKUP_CRON: 'off',
    STRIPE_SECRET_KEY: 'sk_test_shopbackend',
    STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    STRIPE_API_URL: `http://127.0.0.1:${process.env.STRIPE_MOCK_PORT ?? '12111'}`,
    ...overrides,
  };
}

/** Replaces (or adds) the database name of a MongoDB URI, keeping its query options. */
export function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  url.pathname = `/${database}`;
  return url.toString();
}
