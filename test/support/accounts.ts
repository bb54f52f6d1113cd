import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { UsersService } from '../../src/users/users.service';
import type { TestApp } from './test-app';

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(5).toString('hex')}@example.test`;
}

/**
 * Registers a fresh customer through the API (the test app, or an API process by its URL) and
 * returns its credentials and tokens. The tag starts the email address and is the account name unless `name` says otherwise.
 */
export async function registerCustomer(at: TestApp | string, tag = 'customer', name = tag): Promise<Account> {
  const email = uniqueEmail(tag);
  const password = 'correct horse battery';
  const res = await request(typeof at === 'string' ? at : at.http).post('/api/v1/auth/register').send({ email, password, name }).expect(201);
  return { id: res.body.user.id, email, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/**
 * Many fresh customer accounts at once, straight through the UsersService: one argon2 hash shared
 * by all (the API would hash each, at most 4 at a time per process). For tests that only need
 * addresses with an account behind them, e.g. one password-reset email each.
 */
export async function createAccounts(t: TestApp, tag: string, count: number): Promise<string[]> {
  const passwordHash = await t.app.get(PasswordHasher, { strict: false }).hash('correct horse battery');
  const users = t.app.get(UsersService, { strict: false });
  const emails = Array.from({ length: count }, (_, i) => uniqueEmail(`${tag}-${i}`));
  await Promise.all(emails.map((email, i) => users.create({ email, name: `${tag} ${i}`, passwordHash })));
  return emails;
}

/** Logs in through the API (the test app, or an API process by its URL). */
export async function login(at: TestApp | string, email: string, password: string): Promise<Account> {
  const res = await request(typeof at === 'string' ? at : at.http).post('/api/v1/auth/login').send({ email, password }).expect(200);
  return { id: res.body.user.id, email, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export function bearer(account: Pick<Account, 'accessToken'>): [string, string] {
  return ['Authorization', `Bearer ${account.accessToken}`];
}
