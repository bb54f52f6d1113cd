import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { ADDRESS, paymentFailed, paymentSucceeded, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

describe('Cart, checkout and the order lifecycle (MongoDB, Redis, stripe-mock)', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { SHIPPING_FLAT_RATE: '499', FREE_SHIPPING_THRESHOLD: '10000' } }));
  });
  afterAll(() => t?.close());

  it('happy path: add → checkout → signed webhook → paid → processing → shipped → delivered, totals to the cent', async () => {
    const buyer = await registerCustomer(t, 'happy');
    const mug = await shop.createProduct({ price: 1299, stock: 5 });
    const tea = await shop.createProduct({ price: 450, stock: 8 });
    await shop.addToCart(buyer, mug.id, 2).expect(200);
    const cart = (await shop.addToCart(buyer, tea.id, 3).expect(200)).body;
    expect(cart).toMatchObject({ subtotal: 2 * 1299 + 3 * 450, currency: 'usd', checkoutReady: true });

    const placed = (await shop.checkout(buyer).expect(201)).body;
    expect(placed).toMatchObject({
      number: expect.stringMatching(/^ORD-\d{6}$/),
      userId: buyer.id,
      status: 'pending_payment',
      items: [
        expect.objectContaining({ productId: expect.any(String), price: expect.any(Number), quantity: expect.any(Number) }),
        expect.anything(),
      ],
      subtotal: 3948,
      shippingTotal: 499,
      total: 4447,
      currency: 'usd',
      shippingAddress: ADDRESS,
      payment: { provider: 'stripe', status: 'requires_payment', paymentIntentId: expect.stringMatching(/^pi_/), clientSecret: expect.any(String) },
    });
    const mugLine = placed.items.find((line: { productId: string }) => line.productId === mug.id);
    expect(mugLine).toMatchObject({ title: expect.any(String), price: 1299, quantity: 2, lineTotal: 2598 });
    expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toEqual([]);
    expect(await shop.adminProduct(mug.id)).toMatchObject({ stock: 3, stockOnHand: 5, stockAllocated: 2 });
    expect((await request(t.http).get(`/api/v1/products/${mug.id}`).expect(200)).body.stock).toBe(3);

    await shop.deliver(paymentSucceeded(placed)).expect(200);
    const paid = (await request(t.http).get(`/api/v1/orders/${placed.id}`).set(...bearer(buyer)).expect(200)).body;
    expect(paid).toMatchObject({ status: 'paid', payment: { status: 'succeeded' } });
    expect(paid.payment.clientSecret).toBeUndefined();

    await shop.setStatus(placed.id, 'processing').expect(200);
    const shipped = (await shop.setStatus(placed.id, 'shipped', 'TRACK-123').expect(200)).body;
    expect(shipped).toMatchObject({ status: 'shipped', trackingNumber: 'TRACK-123' });
    expect(await shop.adminProduct(mug.id)).toMatchObject({ stock: 3, stockOnHand: 3, stockAllocated: 0 });
    expect(await shop.adminProduct(tea.id)).toMatchObject({ stock: 5, stockOnHand: 5, stockAllocated: 0 });

    const delivered = (await shop.setStatus(placed.id, 'delivered').expect(200)).body;
    expect(delivered.history.map((entry: { status: string }) => entry.status)).toEqual(['pending_payment', 'paid', 'processing', 'shipped', 'delivered']);
    const mine = (await request(t.http).get('/api/v1/orders').set(...bearer(buyer)).expect(200)).body;
    expect(mine).toMatchObject({ total: 1, page: 1, limit: 20, items: [expect.objectContaining({ id: placed.id, status: 'delivered' })] });
  });

  it('ships free from the threshold on', async () => {
    const buyer = await registerCustomer(t, 'free-shipping');
    const lamp = await shop.createProduct({ price: 5000, stock: 3 });
    const order = await shop.placeOrder(buyer, [[lamp.id, 2]]);
    expect(order).toMatchObject({ subtotal: 10000, shippingTotal: 0, total: 10000 });
  });

  it('records a failed payment and keeps the order payable', async () => {
    const buyer = await registerCustomer(t, 'declined');
    const product = await shop.createProduct({ stock: 2 });
    const order = await shop.placeOrder(buyer, [[product.id, 1]]);
    expect((await shop.deliver(paymentFailed(order)).expect(200)).body).toEqual({ received: true, outcome: 'recorded' });
    const read = (await request(t.http).get(`/api/v1/orders/${order.id}`).set(...bearer(buyer)).expect(200)).body;
    expect(read).toMatchObject({ status: 'pending_payment', payment: { status: 'failed' } });
    await shop.deliver(paymentSucceeded(order)).expect(200);
    expect((await request(t.http).get(`/api/v1/orders/${order.id}`).set(...bearer(buyer)).expect(200)).body.status).toBe('paid');
  });

  describe('cart', () => {
    it('refuses bad quantities and ids with 4xx and changes nothing', async () => {
      const buyer = await registerCustomer(t, 'cart-bad');
      const product = await shop.createProduct({ stock: 5 });
      for (const quantity of [0, -1, 1.5, 1e9, '2', null]) await shop.addToCart(buyer, product.id, quantity as number).expect(400);
      await shop.addToCart(buyer, 'not-an-id', 1).expect(400);
      await shop.addToCart(buyer, '0123456789abcdef01234567', 1).expect(404);
      await request(t.http).post('/api/v1/cart/items').set(...bearer(buyer)).send({ productId: product.id, quantity: 1, price: 1 }).expect(400);
      await request(t.http).patch('/api/v1/cart/items/not-an-id').set(...bearer(buyer)).send({ quantity: 1 }).expect(400);
      await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).send({ quantity: 1 }).expect(404);
      await request(t.http).delete(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).expect(404);
      await request(t.http).get('/api/v1/cart').expect(401);
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body).toEqual({ items: [], subtotal: 0, currency: 'usd', checkoutReady: true, promotionCodes: [] });
    });

    it('adds to a line, answers 409 with the available quantity when short, sets, removes and clears', async () => {
      const buyer = await registerCustomer(t, 'cart-ops');
      const product = await shop.createProduct({ price: 250, stock: 4 });
      const other = await shop.createProduct({ price: 100, stock: 9 });
      await shop.addToCart(buyer, product.id, 3).expect(200);
      const short = await shop.addToCart(buyer, product.id, 2).expect(409);
      expect(short.body).toMatchObject({ statusCode: 409, error: 'Conflict', productId: product.id, available: 4 });
      const added = (await shop.addToCart(buyer, product.id, 1).expect(200)).body;
      expect(added.items).toEqual([expect.objectContaining({ productId: product.id, quantity: 4, price: 250, lineTotal: 1000, available: 4 })]);
      await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).send({ quantity: 5 }).expect(409);
      await shop.addToCart(buyer, other.id, 2).expect(200);
      const set = (await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).send({ quantity: 1 }).expect(200)).body;
      expect(set).toMatchObject({ subtotal: 250 + 200, checkoutReady: true });
      const removed = (await request(t.http).patch(`/api/v1/cart/items/${product.id}`).set(...bearer(buyer)).send({ quantity: 0 }).expect(200)).body;
      expect(removed.items.map((line: { productId: string }) => line.productId)).toEqual([other.id]);
      expect((await request(t.http).delete(`/api/v1/cart/items/${other.id}`).set(...bearer(buyer)).expect(200)).body.items).toEqual([]);
      await shop.addToCart(buyer, other.id, 1).expect(200);
      await request(t.http).delete('/api/v1/cart').set(...bearer(buyer)).expect(204);
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toEqual([]);
    });

    it('flags archived and sold-out lines, which block checkout (409 naming them, nothing taken)', async () => {
      const buyer = await registerCustomer(t, 'cart-flags');
      const archived = await shop.createProduct({ stock: 5 });
      const scarce = await shop.createProduct({ stock: 2 });
      const fine = await shop.createProduct({ stock: 5 });
      await shop.addToCart(buyer, archived.id, 1).expect(200);
      await shop.addToCart(buyer, scarce.id, 2).expect(200);
      await shop.addToCart(buyer, fine.id, 1).expect(200);
      await request(t.http).delete(`/api/v1/admin/products/${archived.id}`).set(...bearer(admin)).expect(204);
      await request(t.http).post(`/api/v1/admin/products/${scarce.id}/stock-adjustments`).set(...bearer(admin)).send({ delta: -1, reason: 'broken' }).expect(201);

      const cart = (await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body;
      expect(cart.checkoutReady).toBe(false);
      const issues = Object.fromEntries(cart.items.map((line: { productId: string; issue?: string }) => [line.productId, line.issue]));
      expect(issues).toEqual({ [archived.id]: 'unavailable', [scarce.id]: 'insufficient_stock', [fine.id]: undefined });

      const refused = (await shop.checkout(buyer).expect(409)).body;
      expect(refused.lines).toEqual(
        expect.arrayContaining([
          { productId: archived.id, variantId: archived.id, requested: 1, available: 0 },
          { productId: scarce.id, variantId: scarce.id, requested: 2, available: 1 },
        ]),
      );
      expect(refused.lines).toHaveLength(2);
      expect(await shop.adminProduct(fine.id)).toMatchObject({ stock: 5, stockAllocated: 0 });
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toHaveLength(3);
      expect((await request(t.http).get('/api/v1/orders').set(...bearer(buyer)).expect(200)).body.total).toBe(0);
    });
  });

  describe('checkout', () => {
    it('refuses an empty cart (400), a bad address or provider (4xx), and takes nothing', async () => {
      const buyer = await registerCustomer(t, 'checkout-bad');
      await shop.checkout(buyer).expect(400);
      const product = await shop.createProduct({ stock: 3 });
      await shop.addToCart(buyer, product.id, 1).expect(200);
      await shop.checkout(buyer, {}).expect(400);
      await shop.checkout(buyer, { addressId: 'nope' }).expect(400);
      await shop.checkout(buyer, { addressId: '0123456789abcdef01234567' }).expect(404);
      await shop.checkout(buyer, { addressId: '0123456789abcdef01234567', shippingAddress: ADDRESS }).expect(400);
      await shop.checkout(buyer, { shippingAddress: { ...ADDRESS, country: 'Germany' } }).expect(400);
      await shop.checkout(buyer, { shippingAddress: ADDRESS, paymentProvider: 'paypal' }).expect(400);
      await shop.checkout(buyer, { shippingAddress: ADDRESS }, 'x'.repeat(129)).expect(400);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 3, stockAllocated: 0 });
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toHaveLength(1);
    });

    it('ships to an address from the address book', async () => {
      const buyer = await registerCustomer(t, 'address-book');
      const saved = (await request(t.http).post('/api/v1/me/addresses').set(...bearer(buyer)).send({ ...ADDRESS, fullName: 'Booked Buyer' }).expect(201)).body;
      const product = await shop.createProduct({ stock: 3 });
      await shop.addToCart(buyer, product.id, 1).expect(200);
      const order = (await shop.checkout(buyer, { addressId: saved.id }).expect(201)).body;
      expect(order.shippingAddress).toEqual({ ...ADDRESS, fullName: 'Booked Buyer' });
    });

    it('answers 409 naming the short lines when stock runs out, keeping nothing of the other lines', async () => {
      const buyer = await registerCustomer(t, 'short');
      const plenty = await shop.createProduct({ stock: 10 });
      const few = await shop.createProduct({ stock: 2 });
      await shop.addToCart(buyer, plenty.id, 4).expect(200);
      await shop.addToCart(buyer, few.id, 2).expect(200);
      const rival = await registerCustomer(t, 'rival');
      await shop.placeOrder(rival, [[few.id, 1]]);
      const refused = (await shop.checkout(buyer).expect(409)).body;
      expect(refused.lines).toEqual([{ productId: few.id, variantId: few.id, requested: 2, available: 1 }]);
      expect(await shop.adminProduct(plenty.id)).toMatchObject({ stock: 10, stockAllocated: 0 });
      expect(await shop.adminProduct(few.id)).toMatchObject({ stock: 1, stockAllocated: 1 });
    });
  });

  describe('orders', () => {
    it('hides other users\' orders (404) and rejects malformed ids (400)', async () => {
      const owner = await registerCustomer(t, 'owner');
      const stranger = await registerCustomer(t, 'stranger');
      const product = await shop.createProduct({ stock: 3 });
      const order = await shop.placeOrder(owner, [[product.id, 1]]);
      await request(t.http).get(`/api/v1/orders/${order.id}`).set(...bearer(stranger)).expect(404);
      await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(stranger)).expect(404);
      await request(t.http).get('/api/v1/orders/not-an-id').set(...bearer(owner)).expect(400);
      expect((await request(t.http).get('/api/v1/orders').set(...bearer(stranger)).expect(200)).body.total).toBe(0);
      await request(t.http).get('/api/v1/admin/orders').set(...bearer(owner)).expect(403);
      await request(t.http).patch(`/api/v1/admin/orders/${order.id}/status`).set(...bearer(owner)).send({ status: 'processing' }).expect(403);
      expect((await request(t.http).get(`/api/v1/orders/${order.id}`).set(...bearer(owner)).expect(200)).body.status).toBe('pending_payment');
    });

    it('cancels a pending order and gives its stock back; a second cancel is 409', async () => {
      const buyer = await registerCustomer(t, 'cancel-pending');
      const product = await shop.createProduct({ stock: 4 });
      const order = await shop.placeOrder(buyer, [[product.id, 3]]);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 1, stockAllocated: 3 });
      const cancelled = (await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer)).expect(200)).body;
      expect(cancelled).toMatchObject({ status: 'cancelled', payment: { status: 'requires_payment' } });
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });
      await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer)).expect(409);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockAllocated: 0 });
    });

    it('refunds a paid order on cancel, once; cancel after shipping is 409', async () => {
      const buyer = await registerCustomer(t, 'cancel-paid');
      const product = await shop.createProduct({ price: 2000, stock: 5 });
      const order = await shop.placeOrder(buyer, [[product.id, 1]]);
      await shop.deliver(paymentSucceeded(order)).expect(200);
      const cancelled = (await request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer)).expect(200)).body;
      expect(cancelled).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', refundedAmount: order.total } });
      expect(cancelled.history.filter((entry: { note?: string }) => entry.note?.startsWith('Refunded'))).toHaveLength(1);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockAllocated: 0 });

      const shippedOrder = await shop.placeOrder(buyer, [[product.id, 1]]);
      await shop.deliver(paymentSucceeded(shippedOrder)).expect(200);
      await shop.setStatus(shippedOrder.id, 'processing').expect(200);
      await shop.setStatus(shippedOrder.id, 'shipped').expect(200);
      const refused = (await request(t.http).post(`/api/v1/orders/${shippedOrder.id}/cancel`).set(...bearer(buyer)).expect(409)).body;
      expect(refused).toMatchObject({ statusCode: 409, from: 'shipped', to: 'cancelled' });
      await shop.setStatus(shippedOrder.id, 'cancelled').expect(409);
    });

    it('lets admins move orders only along the table (409 otherwise) and filter the list', async () => {
      const buyer = await registerCustomer(t, 'admin-flow');
      const product = await shop.createProduct({ stock: 5 });
      const before = new Date().toISOString();
      const order = await shop.placeOrder(buyer, [[product.id, 1]]);
      await shop.setStatus(order.id, 'shipped').expect(409);
      await shop.setStatus(order.id, 'paid').expect(409);
      await shop.setStatus(order.id, 'placing').expect(400);
      await shop.setStatus(order.id, 'teleported').expect(400);
      await shop.setStatus('0123456789abcdef01234567', 'processing').expect(404);
      expect((await request(t.http).get(`/api/v1/admin/orders/${order.id}`).set(...bearer(admin)).expect(200)).body.status).toBe('pending_payment');

      const list = (query: string) => request(t.http).get(`/api/v1/admin/orders?${query}`).set(...bearer(admin)).expect(200);
      expect((await list(`userId=${buyer.id}`)).body).toMatchObject({ total: 1, items: [expect.objectContaining({ id: order.id })] });
      expect((await list(`userId=${buyer.id}&status=paid`)).body.total).toBe(0);
      expect((await list(`userId=${buyer.id}&status=pending_payment&from=${before}`)).body.total).toBe(1);
      expect((await list(`userId=${buyer.id}&to=${before}`)).body.total).toBe(0);
      const page = (await list('limit=1&page=1')).body;
      expect(page).toMatchObject({ page: 1, limit: 1, items: [expect.any(Object)] });
      expect(page.total).toBeGreaterThan(1);
      await request(t.http).get('/api/v1/admin/orders?status=placing').set(...bearer(admin)).expect(400);
      await request(t.http).get('/api/v1/admin/orders?from=yesterday').set(...bearer(admin)).expect(400);
      await request(t.http).get('/api/v1/admin/orders?userId=nope').set(...bearer(admin)).expect(400);
    });
  });
});

