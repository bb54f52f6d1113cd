import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import request from 'supertest';
import { bearer, login, registerCustomer } from './support/accounts';
import { Shop, SHOP_ADMIN } from './support/shop';
import { apiProcessesForSuite } from './support/node-process';
import { testEnvironment } from './support/test-env';

const BUYERS = 12;

interface Entry {
  action: string;
  before: Record<string, number | string>;
  after: Record<string, number | string>;
}

/**
 * Admin saves racing checkouts the way the shop scales out: two API processes from the built app
 * on one MongoDB and Redis. Checkouts through both take units of one variant while one admin
 * save counts that variant and changes its price (through the first process) and another renames
 * the product (through the second): every checkout and both saves land, nothing is undone, and
 * each save's audit entry holds one state of the product just before and after its own write.
 */
describe('Admin saves racing checkouts across two API processes', () => {
  const env: Record<string, string> = { ...testEnvironment(), ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password, MAX_UNPAID_ORDERS: '100' };
  const { urls } = apiProcessesForSuite(env);

  it(`${BUYERS} checkouts, a variant save (count + price) and a product save (title) at once: all land, allocations kept, exact entries`, async () => {
    const admin = await login(urls[0], SHOP_ADMIN.email, SHOP_ADMIN.password);
    const shops = urls.map((url) => new Shop(url, admin));
    const category = (await request(urls[0]).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Boots' }).expect(201)).body.slug;
    const product = (
      await request(urls[0])
        .post('/api/v1/admin/products')
        .set(...bearer(admin))
        .send({
          title: 'Hiker',
          description: 'Boots.',
          brand: 'Trail',
          category,
          options: [{ name: 'Size', values: ['41', '42'] }],
          variants: [
            { sku: 'HIKE-41', options: { Size: '41' }, price: 12000, stock: 4 },
            { sku: 'HIKE-42', options: { Size: '42' }, price: 12000, stock: 30 },
          ],
        })
        .expect(201)
    ).body;
    const target = product.variants.find((variant: { sku: string }) => variant.sku === 'HIKE-42');
    const buyers = await Promise.all(Array.from({ length: BUYERS }, (_, index) => registerCustomer(urls[index % 2], `saves-processes-${index}`)));
    await Promise.all(buyers.map((buyer, index) => request(urls[index % 2]).post('/api/v1/cart/items').set(...bearer(buyer)).send({ productId: product.id, variantId: target.id, quantity: 1 }).expect(200)));

    const [checkouts, variantSave, productSave] = await Promise.all([
      Promise.all(buyers.map((buyer, index) => shops[index % 2].checkout(buyer))),
      request(urls[0]).patch(`/api/v1/admin/products/${product.id}/variants/${target.id}`).set(...bearer(admin)).send({ stock: 40, price: 11000 }),
      request(urls[1]).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ title: 'Hiker Pro' }),
    ]);
    expect(checkouts.map((res) => res.status)).toEqual(Array(BUYERS).fill(201));
    expect([variantSave.status, productSave.status]).toEqual([200, 200]);

    const after = (await request(urls[1]).get(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).expect(200)).body;
    expect(after).toMatchObject({ title: 'Hiker Pro', price: 11000, stockOnHand: 44, stockAllocated: BUYERS, stock: 44 - BUYERS });
    expect(after.variants.find((variant: { sku: string }) => variant.sku === 'HIKE-42')).toMatchObject({ price: 11000, stockOnHand: 40, stockAllocated: BUYERS, stock: 40 - BUYERS });

    const entries = (await request(urls[0]).get(`/api/v1/admin/audit-log?entityId=${product.id}`).set(...bearer(admin)).expect(200)).body.items as Entry[];
    const [variantEntry] = entries.filter((entry) => entry.action === 'product.variantUpdated');
    const [productEntry] = entries.filter((entry) => entry.action === 'product.updated');
    // The count's before holds exactly the allocations that came before it in the product's write order.
    const movements = ((await request(urls[0]).get(`/api/v1/admin/products/${product.id}/stock-movements`).set(...bearer(admin)).expect(200)).body as { kind: string; delta: number; variantId: string }[]).reverse();
    const countAt = movements.findIndex((movement) => movement.kind === 'count');
    const allocatedBefore = movements.slice(0, countAt).filter((movement) => movement.kind === 'allocation').length;
    expect(movements[countAt].delta).toBe(10);
    expect(variantEntry.before).toMatchObject({ price: 12000, stockOnHand: 30, stockAllocated: allocatedBefore, stock: 30 - allocatedBefore });
    expect(variantEntry.after).toMatchObject({ price: 11000, stockOnHand: 40, stockAllocated: allocatedBefore, stock: 40 - allocatedBefore });
    // The rename's snapshots are each one state of the document, with the stock as it found it.
    expect(productEntry.before).toMatchObject({ title: 'Hiker' });
    expect(productEntry.after).toMatchObject({ title: 'Hiker Pro', stock: productEntry.before.stock, stockAllocated: productEntry.before.stockAllocated });
    for (const state of [productEntry.before, productEntry.after]) expect(state.stock).toBe((state.stockOnHand as number) - (state.stockAllocated as number));

    const verify = await promisify(execFile)(process.execPath, [join(__dirname, '..', 'dist', 'src', 'stock-verify', 'stock-verify.js')], { env: { PATH: process.env.PATH ?? '', ...env } });
    expect(verify.stdout).toMatch(/^stock:verify: 1 products checked, 0 drifts\n$/);
  });
});
