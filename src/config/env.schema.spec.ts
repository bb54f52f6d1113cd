import { readFileSync } from 'node:fs';
import { InvalidEnvironmentError, PLACEHOLDER_SECRETS, SECRET_VARIABLES, validateEnvironment } from './env.schema';

const valid = {
  MONGODB_URI: 'mongodb://127.0.0.1:27017/shop',
  REDIS_URL: 'redis://127.0.0.1:6379',
  JWT_ACCESS_SECRET: 'a'.repeat(32),
  S3_BUCKET: 'shop-media',
  S3_PUBLIC_URL: 'http://127.0.0.1:9000/shop-media',
  STRIPE_SECRET_KEY: 'sk_test_123',
  STRIPE_WEBHOOK_SECRET: 'whsec_123',
};

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateEnvironment(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEnvironmentError);
    return (error as InvalidEnvironmentError).problems;
  }
  throw new Error('expected the environment to be rejected');
}

describe('validateEnvironment', () => {
  it('accepts a minimal environment and fills in typed defaults', () => {
    const env = validateEnvironment({ ...valid, PORT: '8080', SMTP_SECURE: 'false', RUN_WORKER_IN_API: 'true' });
    expect(env.PORT).toBe(8080);
    expect(env.SMTP_SECURE).toBe(false);
    expect(env.RUN_WORKER_IN_API).toBe(true);
    expect(env.JWT_ACCESS_TTL_SECONDS).toBe(900);
    expect(env.STORE_CURRENCY).toBe('usd');
  });

  it('rejects a MONGODB_URI that is not a MongoDB connection string', () => {
    expect(problemsOf({ ...valid, MONGODB_URI: 'postgres://localhost/shop' })).toEqual([
      expect.stringContaining('MONGODB_URI'),
    ]);
    expect(problemsOf({ ...valid, MONGODB_URI: 'not a uri' })).toEqual([expect.stringContaining('MONGODB_URI')]);
  });

  it('rejects a missing or short JWT secret', () => {
    const { JWT_ACCESS_SECRET: _omitted, ...withoutSecret } = valid;
    const problems = problemsOf(withoutSecret);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((problem) => problem.includes('JWT_ACCESS_SECRET'))).toBe(true);
    expect(problemsOf({ ...valid, JWT_ACCESS_SECRET: 'short' })).toEqual([expect.stringContaining('JWT_ACCESS_SECRET')]);
  });

  it('treats an empty value as unset and names every bad variable at once', () => {
    const problems = problemsOf({ ...valid, MONGODB_URI: '', REDIS_URL: 'http://x', PORT: 'abc' });
    expect(problems.join('\n')).toMatch(/MONGODB_URI/);
    expect(problems.join('\n')).toMatch(/REDIS_URL/);
    expect(problems.join('\n')).toMatch(/PORT/);
  });

  it('keeps backups out of the public image bucket and checks the backup settings', () => {
    expect(validateEnvironment(valid)).toMatchObject({ BACKUP_BUCKET: 'shop-backups', BACKUP_KEEP: 7, BACKUP_CRON: '0 3 * * *' });
    expect(problemsOf({ ...valid, BACKUP_BUCKET: 'shop-media' })).toEqual([expect.stringContaining('BACKUP_BUCKET')]);
    expect(problemsOf({ ...valid, BACKUP_KEEP: '0' })).toEqual([expect.stringContaining('BACKUP_KEEP')]);
    expect(problemsOf({ ...valid, BACKUP_CRON: 'daily' })).toEqual([expect.stringContaining('BACKUP_CRON')]);
    expect(problemsOf({ ...valid, BACKUP_PREFIX: 'backups' })).toEqual([expect.stringContaining('BACKUP_PREFIX')]);
    expect(validateEnvironment({ ...valid, BACKUP_CRON: '*/5 * * * * *', BACKUP_PREFIX: 'prod/db/' }).BACKUP_CRON).toBe('*/5 * * * * *');
    expect(validateEnvironment({ ...valid, BACKUP_CRON: 'off' }).BACKUP_CRON).toBe('off');
  });

  it('rejects a boolean it cannot read', () => {
    expect(problemsOf({ ...valid, SMTP_SECURE: 'maybe' })).toEqual([expect.stringContaining('SMTP_SECURE')]);
  });
});

describe('validateEnvironment with NODE_ENV=production', () => {
  const production = {
    ...valid,
    NODE_ENV: 'production',
    JWT_ACCESS_SECRET: 'kP3v9-Qw7xZr2LmN8tYb4HcJ6sDf1GhA',
    ADMIN_EMAIL: 'owner@shop.example',
    ADMIN_PASSWORD: 'violet-harbour-spindle-42',
  };

  it('accepts secrets of its own and a strong admin password', () => {
    expect(validateEnvironment(production).NODE_ENV).toBe('production');
  });

  it.each([
    ['JWT_ACCESS_SECRET', 'change-me-to-a-long-random-secret-of-48-bytes'],
    ['JWT_ACCESS_SECRET', 'change-me-please-a-long-random-secret-for-compose'],
    ['JWT_ACCESS_SECRET', 'our-own-secret-but-CHANGE-ME-before-going-live'],
    ['ADMIN_PASSWORD', 'change-me-admin-password'],
    ['ADMIN_PASSWORD', 'admin12345'],
    ['S3_SECRET_ACCESS_KEY', 'minioadmin'],
    ['SMTP_PASSWORD', 'change-me'],
  ])('refuses the placeholder %s=%s, naming the variable', (name, value) => {
    expect(problemsOf({ ...production, [name]: value })).toEqual([expect.stringMatching(new RegExp(`^${name} .*placeholder`))]);
  });

  it.each([
    ['short', 'Xk7#pq2!mZ'],
    ['a common word', 'MyAdminPassword2026'],
    ['a sequence', '1234567890123'],
    ['few distinct characters', 'abababababababab'],
    ["the admin email's name", 'owner@shop.example!'],
  ])('refuses an admin password that is %s', (_label, password) => {
    expect(problemsOf({ ...production, ADMIN_PASSWORD: password })).toEqual([expect.stringMatching(/^ADMIN_PASSWORD .*too weak/)]);
  });

  it('names every bad secret at once', () => {
    const problems = problemsOf({ ...production, JWT_ACCESS_SECRET: 'change-me'.repeat(4), ADMIN_PASSWORD: 'short pw', S3_SECRET_ACCESS_KEY: 'minioadmin' });
    expect(problems.map((problem) => problem.split(' ')[0]).sort()).toEqual(['ADMIN_PASSWORD', 'JWT_ACCESS_SECRET', 'S3_SECRET_ACCESS_KEY']);
  });

  it('leaves development and test runs their convenient values', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(() => validateEnvironment({ ...production, NODE_ENV, JWT_ACCESS_SECRET: 'change-me'.repeat(4), ADMIN_PASSWORD: 'admin12345' })).not.toThrow();
    }
  });
});

describe('.env.example', () => {
  const example = () =>
    Object.fromEntries(
      readFileSync(`${__dirname}/../../.env.example`, 'utf8')
        .split('\n')
        .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
        .filter((match): match is RegExpExecArray => match !== null)
        .map(([, name, value]) => [name, value]),
    );

  it('carries only secrets that production refuses', () => {
    const secrets = SECRET_VARIABLES.map((name) => example()[name]).filter((value) => value);
    expect(secrets.length).toBeGreaterThan(0);
    for (const value of secrets) expect(PLACEHOLDER_SECRETS).toContain(value);
    expect(problemsOf({ ...example(), NODE_ENV: 'production' }).length).toBeGreaterThanOrEqual(secrets.length);
  });

  it('documents exactly the variables the schema reads', () => {
    const documented = readFileSync(`${__dirname}/../../.env.example`, 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined)
      .sort();
    const schema = Object.keys(validateEnvironment(valid)).sort();
    expect(documented).toEqual(schema);
  });
});
