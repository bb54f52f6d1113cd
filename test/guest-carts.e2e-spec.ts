import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import request from 'supertest';
import { Account, bearer, registerCustomer, uniqueEmail } from './support/accounts';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

/** Anonymous carts behind X-Cart-Token and their merge at login and registration (issue 25). */
describe('Guest carts', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    // Racing logins of one account are each counted as a failure until their password checks out.
    ({ t, shop } = await createShopApp({ env: { LOGIN_MAX_FAILURES_PER_EMAIL: '20' } }));
  });
  afterAll(() => t?.close());

  const guestAdd = (productId: string, quantity: number, token?: string) => {
    const req = request(t.http).post('/api/v1/cart/items');
    if (token) req.set('X-Cart-Token', token);
    return req.send({ productId, quantity });
  };
  const guestCart = (token: string) => request(t.http).get('/api/v1/cart').set('X-Cart-Token', token);
  const accountCart = async (account: Account) => (await request(t.http).get('/api/v1/cart').set(...bearer(account)).expect(200)).body;
  const quantities = (cart: { items: { productId: string; quantity: number }[] }) =>
    Object.fromEntries(cart.items.map((line) => [line.productId, line.quantity]));

  /** A new guest cart holding the lines; returns its token. */
  async function guestCartWith(lines: [productId: string, quantity: number][]): Promise<string> {
    const first = await guestAdd(lines[0][0], lines[0][1]).expect(200);
    const token = first.body.cartToken as string;
    for (const [productId, quantity] of lines.slice(1)) await guestAdd(productId, quantity, token).expect(200);
    return token;
  }

  it('opens a cart on the first anonymous add, answering its token in the header and the body', async () => {
    const product = await shop.createProduct({ price: 700, stock: 5 });
    const res = await guestAdd(product.id, 2).expect(200);
    const token = res.body.cartToken as string;
    expect(res.headers['x-cart-token']).toBe(token);
    // A shop front on another origin can read it (CORS exposes the header).
    const crossOrigin = await guestAdd(product.id, 1).set('Origin', 'https://shop.example').expect(200);
    expect(crossOrigin.headers['access-control-expose-headers']).toContain('X-Cart-Token');
    // 256 random bits, base64url.
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.items).toEqual([expect.objectContaining({ productId: product.id, quantity: 2, lineTotal: 1400 })]);

    const again = await guestCart(token).expect(200);
    expect(again.body).not.toHaveProperty('cartToken');
    expect(again.headers['x-cart-token']).toBeUndefined();
    expect(quantities(again.body)).toEqual({ [product.id]: 2 });

    // Stored hashed only: the token itself is nowhere in the database.
    const stored = await t.connection.collection('carts').findOne({ guestTokenHash: createHash('sha256').update(token).digest('hex') });
    expect(stored).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('keeps two guests apart and applies the same stock rule as for accounts', async () => {
    const product = await shop.createProduct({ stock: 3 });
    const first = await guestCartWith([[product.id, 2]]);
    const second = await guestCartWith([[product.id, 3]]);
    expect(first).not.toBe(second);
    const refused = await guestAdd(product.id, 2, first).expect(409);
    expect(refused.body).toMatchObject({ productId: product.id, available: 3 });
    expect(quantities((await guestCart(first).expect(200)).body)).toEqual({ [product.id]: 2 });
    await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set('X-Cart-Token', first).send({ quantity: 1 }).expect(200);
    await request(t.http).delete(`/api/v1/cart/items/${product.id}`).set('X-Cart-Token', second).expect(200);
    expect(quantities((await guestCart(first).expect(200)).body)).toEqual({ [product.id]: 1 });
    expect((await guestCart(second).expect(200)).body.items).toEqual([]);
  });

  it('answers 401 without login or token, 404 for an unknown or expired token, 400 for a malformed one', async () => {
    await request(t.http).get('/api/v1/cart').expect(401);
    await guestCart('A'.repeat(43)).expect(404);
    await guestCart('not a token!').expect(400);

    const product = await shop.createProduct();
    const token = await guestCartWith([[product.id, 1]]);
    // GUEST_CART_TTL_DAYS have passed since its last use.
    await t.connection.collection('carts').updateOne({ guestTokenHash: createHash('sha256').update(token).digest('hex') }, { $set: { guestExpiresAt: new Date(Date.now() - 1000) } });
    await guestCart(token).expect(404);
    await guestAdd(product.id, 1, token).expect(404);
  });

  it('merges at login: summed per line, capped at what is sellable and flagged, the token then void, a repeat changes nothing', async () => {
    const scarce = await shop.createProduct({ stock: 4 });
    const plenty = await shop.createProduct({ stock: 10 });
    const buyer = await registerCustomer(t, 'merge-login');
    await shop.addToCart(buyer, scarce.id, 2).expect(200);
    const token = await guestCartWith([[scarce.id, 3], [plenty.id, 1]]);

    const login = () => request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', token).send({ email: buyer.email, password: buyer.password });
    await login().expect(200);
    const cart = await accountCart(buyer);
    expect(quantities(cart)).toEqual({ [scarce.id]: 4, [plenty.id]: 1 });
    expect(cart.items.find((line: { productId: string }) => line.productId === scarce.id).cappedAtMerge).toBe(true);
    expect(cart.items.find((line: { productId: string }) => line.productId === plenty.id)).not.toHaveProperty('cappedAtMerge');

    await guestCart(token).expect(404);
    await login().expect(200);
    expect(quantities(await accountCart(buyer))).toEqual({ [scarce.id]: 4, [plenty.id]: 1 });
  });

  it('merges once when several logins race with one token', async () => {
    const product = await shop.createProduct({ stock: 50 });
    const buyer = await registerCustomer(t, 'merge-race');
    await shop.addToCart(buyer, product.id, 1).expect(200);
    const token = await guestCartWith([[product.id, 2]]);

    const logins = await Promise.all(
      Array.from({ length: 6 }, () =>
        request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', token).send({ email: buyer.email, password: buyer.password }),
      ),
    );
    expect(logins.map((res) => res.status)).toEqual(Array(6).fill(200));
    expect(quantities(await accountCart(buyer))).toEqual({ [product.id]: 3 });
  });

  it('a login retried after a merge stopped between its two writes finishes it, once; another account cannot take it', async () => {
    const product = await shop.createProduct({ stock: 20 });
    const buyer = await registerCustomer(t, 'merge-resume');
    const stranger = await registerCustomer(t, 'merge-stranger');
    await shop.addToCart(buyer, product.id, 1).expect(200);
    const token = await guestCartWith([[product.id, 2]]);
    // What the first write of a merge does (the token consumed for this account); then the process died.
    const consumed = await t.connection
      .collection('carts')
      .updateOne({ guestTokenHash: createHash('sha256').update(token).digest('hex') }, { $set: { mergedInto: new Types.ObjectId(buyer.id) }, $inc: { version: 1 } });
    expect(consumed.modifiedCount).toBe(1);
    await guestCart(token).expect(404);
    expect(quantities(await accountCart(buyer))).toEqual({ [product.id]: 1 });

    await request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', token).send({ email: stranger.email, password: stranger.password }).expect(200);
    expect((await accountCart(stranger)).items).toEqual([]);
    const retries = await Promise.all(
      Array.from({ length: 4 }, () => request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', token).send({ email: buyer.email, password: buyer.password })),
    );
    expect(retries.map((res) => res.status)).toEqual(Array(4).fill(200));
    expect(quantities(await accountCart(buyer))).toEqual({ [product.id]: 3 });
    await request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', token).send({ email: buyer.email, password: buyer.password }).expect(200);
    expect(quantities(await accountCart(buyer))).toEqual({ [product.id]: 3 });
  });

  it('makes the guest cart the new account\'s cart at registration', async () => {
    const product = await shop.createProduct({ stock: 5 });
    const token = await guestCartWith([[product.id, 2]]);
    const email = uniqueEmail('merge-register');
    const res = await request(t.http).post('/api/v1/auth/register').set('X-Cart-Token', token).send({ email, password: 'long enough pw', name: 'New' }).expect(201);
    expect(quantities(await accountCart({ accessToken: res.body.accessToken } as Account))).toEqual({ [product.id]: 2 });
    await guestCart(token).expect(404);
  });

  it('logs in as usual with an unknown token, merging nothing', async () => {
    const buyer = await registerCustomer(t, 'merge-unknown');
    await request(t.http).post('/api/v1/auth/login').set('X-Cart-Token', 'B'.repeat(43)).send({ email: buyer.email, password: buyer.password }).expect(200);
    expect((await accountCart(buyer)).items).toEqual([]);
  });
});
