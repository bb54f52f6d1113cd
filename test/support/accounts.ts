import { randomBytes } from 'node:crypto';
import request from 'supertest';
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
 * Registers a fresh customer through the API and returns its credentials and tokens. The tag
 * starts the email address and is the account name unless `name` says otherwise.
 */
export async function registerCustomer(t: TestApp, tag = 'customer', name = tag): Promise<Account> {
  const email = uniqueEmail(tag);
  const password = 'correct horse battery';
  const res = await request(t.http).post('/api/v1/auth/register').send({ email, password, name }).expect(201);
  return { id: res.body.user.id, email, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export async function login(t: TestApp, email: string, password: string): Promise<Account> {
  const res = await request(t.http).post('/api/v1/auth/login').send({ email, password }).expect(200);
  return { id: res.body.user.id, email, password, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
}

export function bearer(account: Pick<Account, 'accessToken'>): [string, string] {
  return ['Authorization', `Bearer ${account.accessToken}`];
}
