import request from 'supertest';
import { NewProduct, ProductStore } from '../src/products/products.store';
import { Account, bearer } from './support/accounts';
import { createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

/** Holds a product insert until the test lets it go: the moment a category delete can slip in. */
let gate: { reached: () => void; opened: Promise<void> } | undefined;

class GatedProductStore extends ProductStore {
  override async create(fields: NewProduct) {
    if (gate && fields.title.startsWith('Gated')) {
      gate.reached();
      await gate.opened;
    }
    return super.create(fields);
  }
}

/**
 * Issue 27, #12b: a product created while its category is deleted. The create checked the
 * category before the delete; the delete checked for products before the insert. The create
 * checks again after its insert and takes the product back (400).
 */
describe('Category delete racing product create', () => {
  let t: TestApp;
  let admin: Account;

  beforeAll(async () => {
    ({ t, admin } = await createShopApp({ overrides: [{ provide: ProductStore, useClass: GatedProductStore }] }));
  });
  afterAll(() => t?.close());

  it('takes back a product whose category was deleted between its check and its insert (400), leaving no orphan', async () => {
    const category = (await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Vanishing', slug: 'vanishing' }).expect(201)).body;
    let reached!: () => void;
    let open!: () => void;
    const atInsert = new Promise<void>((resolve) => (reached = resolve));
    gate = { reached, opened: new Promise<void>((resolve) => (open = resolve)) };

    const creating = request(t.http)
      .post('/api/v1/admin/products')
      .set(...bearer(admin))
      .send({ title: 'Gated lamp', description: 'A lamp.', brand: 'Testbrand', category: 'vanishing', price: 1000, stock: 3 })
      .then((res) => res);
    await atInsert;
    // The category has no product yet: the delete goes through.
    await request(t.http).delete(`/api/v1/admin/categories/${category.id}`).set(...bearer(admin)).expect(204);
    open();

    const created = await creating;
    expect({ status: created.status, message: created.body.message }).toEqual({ status: 400, message: 'Unknown category "vanishing"' });
    expect(await t.connection.collection('products').countDocuments({ category: 'vanishing' })).toBe(0);
    expect(await t.connection.collection('categories').countDocuments({ slug: 'vanishing' })).toBe(0);
    gate = undefined;
  });
});
