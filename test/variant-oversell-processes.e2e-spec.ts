import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import mongoose from 'mongoose';
import request from 'supertest';
import { bearer, login, registerCustomer } from './support/accounts';
import { Shop, SHOP_ADMIN } from './support/shop';
import { apiProcessesForSuite } from './support/node-process';
import { testEnvironment } from './support/test-env';

/**
 * No oversell of one variant the way the shop scales out: two API processes started from the
 * built app (scripts/test.sh builds dist/ first) on the same MongoDB and Redis, 12 buyers
 * checking out the last 3 units of one size and colour at the same moment, half through each
 * process; the product's other variants are untouched.
 */
const BUYERS = 12;
const STOCK = 3;

describe('No oversell of a variant across two API processes', () => {
  const env: Record<string, string> = { ...testEnvironment(), ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password };
  const { urls } = apiProcessesForSuite(env);

  it(`variant stock ${STOCK}, ${BUYERS} buyers at once → exactly ${STOCK} orders, ${BUYERS - STOCK} × 409, other variants untouched`, async () => {
    const admin = await login(urls[0], SHOP_ADMIN.email, SHOP_ADMIN.password);
    const shops = urls.map((url) => new Shop(url, admin));
    const category = (await request(urls[0]).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Shoes' }).expect(201)).body.slug;
    const product = (
      await request(urls[0])
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({
          title: 'Runner',
          description: 'Shoes.',
          brand: 'Fast',
          category,
          options: [{ name: 'Size', values: ['41', '42', '43'] }],
          variants: [
            { sku: 'RUN-41', options: { Size: '41' }, price: 9000, stock: 7 },
            { sku: 'RUN-42', options: { Size: '42' }, price: 9000, stock: STOCK },
            { sku: 'RUN-43', options: { Size: '43' }, price: 9500, stock: 5 },
          ],
        })
        .expect(201)
    ).body;
    const target = product.variants.find((variant: { sku: string }) => variant.sku === 'RUN-42');

    const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, index) => registerCustomer(urls[index % 2], `variant-oversell-${index}`)));
    await Promise.all(buyers.map((buyer, index) => request(urls[index % 2]).post('/api/v1/cart/items').set(...bearer(buyer)).send({ productId: product.id, variantId: target.id, quantity: 1 }).expect(200)));

    const answers = await Promise.all(buyers.map((buyer, index) => shops[index % 2].checkout(buyer)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    expect(statuses.filter((status) => status === 201)).toHaveLength(STOCK);
    expect(statuses.filter((status) => status === 409)).toHaveLength(BUYERS - STOCK);
    for (const refused of answers.filter((res) => res.status === 409)) {
      expect(refused.body.lines).toEqual([{ productId: product.id, variantId: target.id, requested: 1, available: 0 }]);
    }

    const after = (await request(urls[1]).get(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(200)).body;
    expect(after).toMatchObject({ stock: 12, stockOnHand: 15, stockAllocated: STOCK });
    expect(after.variants.map((variant: object) => variant)).toEqual([
      expect.objectContaining({ sku: 'RUN-41', stock: 7, stockOnHand: 7, stockAllocated: 0 }),
      expect.objectContaining({ sku: 'RUN-42', stock: 0, stockOnHand: STOCK, stockAllocated: STOCK }),
      expect.objectContaining({ sku: 'RUN-43', stock: 5, stockOnHand: 5, stockAllocated: 0 }),
    ]);
    const movements = (await request(urls[0]).get(`/api/v1/admin/products/${product.id}/stock-movements`).set(...bearer(admin)).expect(200)).body;
    const placed = answers.filter((res) => res.status === 201).map((res) => res.body.id).sort();
    expect(movements.filter((movement: { kind: string }) => movement.kind === 'allocation').map((movement: { orderId: string }) => movement.orderId).sort()).toEqual(placed);
    const verify = await promisify(execFile)(process.execPath, [join(__dirname, '..', 'dist', 'src', 'stock-verify', 'stock-verify.js')], { env: { PATH: process.env.PATH ?? '', ...env } });
    expect(verify.stdout).toMatch(/^stock:verify: 1 products checked, 0 drifts\n$/);
    const connection = await mongoose.createConnection(env.MONGODB_URI).asPromise();
    try {
      expect(await connection.collection('orders').countDocuments({ status: 'pending_payment' })).toBe(STOCK);
      expect(await connection.collection('orders').countDocuments({ status: 'placing' })).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
