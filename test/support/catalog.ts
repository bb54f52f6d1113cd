import request from 'supertest';
import { gradientPng } from '../../src/seed/png';
import { Account, bearer } from './accounts';
import type { TestApp } from './test-app';

/**
 * Catalog test data made through the API, for every suite that needs products to sell (catalog,
 * search, cart, checkout); buyers come from `registerCustomer` in ./accounts. Each helper expects
 * success and returns the body.
 */

export interface CategoryBody {
  id: string;
  name: string;
  slug: string;
}

/** A product as the admin API returns it (the fields the suites read). */
export interface ProductBody {
  id: string;
  slug: string;
  title: string;
  category: string;
  price: number;
  stock: number;
  status: string;
  images: { id: string; url: string }[];
  [field: string]: unknown;
}

/** A small PNG; different seeds give different bytes. */
export const png = (seed = 0): Buffer => gradientPng(32, [seed % 255, 40, 90], [250, (seed * 7) % 255, 10]);

/** A valid product body in category `audio-hi-fi` (create it first, see createCategory). */
export const newProduct = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  title: 'Wireless Headphones',
  description: 'Over-ear, noise cancelling.',
  brand: 'Sonique',
  category: 'audio-hi-fi',
  price: 12999,
  stock: 20,
  tags: ['Bluetooth', 'Noise Cancelling'],
  ...overrides,
});

export async function createCategory(t: TestApp, admin: Account, body: { name: string; slug?: string }): Promise<CategoryBody> {
  return (await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send(body).expect(201)).body;
}

export async function createProduct(t: TestApp, admin: Account, overrides: Record<string, unknown> = {}): Promise<ProductBody> {
  return (await request(t.http).post('/api/v1/admin/products').set(...bearer(admin)).send(newProduct(overrides)).expect(201)).body;
}

/** The upload request, not awaited: the caller states the status it expects. */
export function uploadImages(t: TestApp, account: Account, productId: string, files: { name: string; data: Buffer; type?: string }[]) {
  let req = request(t.http).post(`/api/v1/admin/products/${productId}/images`).set(...bearer(account));
  for (const file of files) req = req.attach('images', file.data, { filename: file.name, contentType: file.type ?? 'image/png' });
  return req;
}
