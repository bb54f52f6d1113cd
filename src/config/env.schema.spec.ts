import { readFileSync } from 'node:fs';
import { InvalidEnvironmentError, PLACEHOLDER_SECRETS, SECRET_NAME, SECRET_VARIABLES, validateEnvironment } from './env.schema';

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

  it('leaves PayPal off when none of its settings is given, and refuses a half-configured PayPal', () => {
    expect(validateEnvironment(valid).PAYPAL_CLIENT_ID).toBeUndefined();
    const all = { PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'WH-1' };
    expect(validateEnvironment({ ...valid, ...all })).toMatchObject({ ...all, PAYPAL_API_BASE: 'https://api-m.sandbox.paypal.com' });
    const problems = problemsOf({ ...valid, PAYPAL_CLIENT_ID: 'id' });
    expect(problems).toEqual([expect.stringContaining('PAYPAL_CLIENT_SECRET'), expect.stringContaining('PAYPAL_WEBHOOK_ID')]);
    expect(problemsOf({ ...valid, ...all, PAYPAL_API_BASE: 'not a url' })).toEqual([expect.stringContaining('PAYPAL_API_BASE')]);
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
    STRIPE_SECRET_KEY: 'sk_live_51Hq8ZtK2eXvR7mN4pL0sWbYc',
    STRIPE_WEBHOOK_SECRET: 'whsec_9Fh2kQ7xLm4Rt8Vb1Nc6Zp3J',
  };
  const paypal = { PAYPAL_CLIENT_ID: 'AbC-live-client', PAYPAL_CLIENT_SECRET: 'EJx8-q2Lr5-Tn9w-Vb4k', PAYPAL_WEBHOOK_ID: 'WH-4RT59' };

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
    ['STRIPE_WEBHOOK_SECRET', 'whsec_change-me'],
    ['STRIPE_WEBHOOK_SECRET', 'whsec_changeme'],
    ['STRIPE_WEBHOOK_SECRET', 'whsec_CHANGE_ME_please'],
    ['STRIPE_WEBHOOK_SECRET', 'whsec_minioadmin'],
    ['STRIPE_SECRET_KEY', 'sk_live_changeme'],
    ['STRIPE_SECRET_KEY', 'sk_live_replace-me'],
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

  it('refuses a published PayPal client secret once PayPal is configured', () => {
    expect(problemsOf({ ...production, ...paypal, PAYPAL_API_BASE: 'https://api-m.paypal.com', PAYPAL_CLIENT_SECRET: 'change-me' })).toEqual([
      expect.stringMatching(/^PAYPAL_CLIENT_SECRET .*placeholder/),
    ]);
  });

  it.each([
    ['STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'sk_test_4f8e2a6c9b1d3e5f7a0b' }],
    ['STRIPE_SECRET_KEY', { STRIPE_SECRET_KEY: 'rk_test_4f8e2a6c9b1d3e5f7a0b' }],
    ['STRIPE_API_URL', { STRIPE_API_URL: 'http://127.0.0.1:12111' }],
    ['STRIPE_API_URL', { STRIPE_API_URL: 'http://stripe-mock:12111' }],
    ['STRIPE_API_URL', { STRIPE_API_URL: 'https://localhost:12112' }],
    ['STRIPE_API_URL', { STRIPE_API_URL: 'https://stripe-mock.internal' }],
    ['PAYPAL_API_BASE', { ...paypal }],
    ['PAYPAL_API_BASE', { ...paypal, PAYPAL_API_BASE: 'https://api-m.sandbox.paypal.com' }],
    ['PAYPAL_API_BASE', { ...paypal, PAYPAL_API_BASE: 'http://127.0.0.1:12113' }],
  ])('refuses test-mode payments (%s) unless ALLOW_TEST_PAYMENTS=true', (name, settings) => {
    expect(problemsOf({ ...production, ...settings })).toEqual([expect.stringMatching(new RegExp(`^${name} .*ALLOW_TEST_PAYMENTS=true`))]);
    expect(validateEnvironment({ ...production, ...settings, ALLOW_TEST_PAYMENTS: 'true' }).ALLOW_TEST_PAYMENTS).toBe(true);
  });

  it('takes live payments: a live key, Stripe itself, PayPal live; the sandbox base is irrelevant while PayPal is off', () => {
    expect(validateEnvironment({ ...production, STRIPE_API_URL: 'https://api.stripe.com' }).ALLOW_TEST_PAYMENTS).toBe(false);
    expect(validateEnvironment({ ...production, ...paypal, PAYPAL_API_BASE: 'https://api-m.paypal.com' }).PAYPAL_CLIENT_ID).toBe(paypal.PAYPAL_CLIENT_ID);
    expect(validateEnvironment(production).PAYPAL_API_BASE).toBe('https://api-m.sandbox.paypal.com');
  });

  it('still refuses a placeholder webhook secret when test payments are allowed', () => {
    expect(problemsOf({ ...production, ALLOW_TEST_PAYMENTS: 'true', STRIPE_WEBHOOK_SECRET: 'whsec_change-me' })).toEqual([
      expect.stringMatching(/^STRIPE_WEBHOOK_SECRET .*placeholder/),
    ]);
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

  it('lists every secret of the schema among the secrets production checks', () => {
    const secretLike = Object.keys(validateEnvironment(valid)).filter((name) => SECRET_NAME.test(name));
    const documented = Object.keys(example()).filter((name) => SECRET_NAME.test(name));
    expect(documented.length).toBeGreaterThanOrEqual(SECRET_VARIABLES.length);
    expect([...new Set([...secretLike, ...documented])].sort()).toEqual([...SECRET_VARIABLES].sort());
  });

  it('has production refuse the example value of every secret, each on its own', () => {
    // A production environment of its own, then one example secret at a time: each must be refused by name.
    const own = {
      ...valid,
      NODE_ENV: 'production',
      ALLOW_TEST_PAYMENTS: 'true',
      JWT_ACCESS_SECRET: 'kP3v9-Qw7xZr2LmN8tYb4HcJ6sDf1GhA',
      ADMIN_EMAIL: 'owner@shop.example',
      ADMIN_PASSWORD: 'violet-harbour-spindle-42',
      STRIPE_WEBHOOK_SECRET: 'whsec_9Fh2kQ7xLm4Rt8Vb1Nc6Zp3J',
      PAYPAL_CLIENT_ID: 'AbC-live-client',
      PAYPAL_CLIENT_SECRET: 'EJx8-q2Lr5-Tn9w-Vb4k',
      PAYPAL_WEBHOOK_ID: 'WH-4RT59',
    };
    expect(validateEnvironment(own).NODE_ENV).toBe('production');
    const examples = Object.entries(example()).filter(([name, value]) => SECRET_NAME.test(name) && value !== '');
    expect(examples.map(([name]) => name)).toEqual(expect.arrayContaining(['JWT_ACCESS_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']));
    for (const [name, value] of examples) {
      expect({ name, problems: problemsOf({ ...own, [name]: value }) }).toEqual({
        name,
        problems: [expect.stringMatching(new RegExp(`^${name} .*placeholder`))],
      });
    }
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
