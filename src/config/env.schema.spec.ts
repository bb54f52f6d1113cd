import { readFileSync } from 'node:fs';
import { InvalidEnvironmentError, validateEnvironment } from './env.schema';

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

describe('.env.example', () => {
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
