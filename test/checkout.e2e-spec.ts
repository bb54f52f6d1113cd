import request from 'supertest';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { ADDRESS, paymentFailed, paymentSucceeded, Shop, SHOP_ADMIN } from './support/shop';
import { createTestApp, TestApp } from './support/test-app';

describe('Cart, checkout and the order lifecycle (MongoDB, Redis, stripe-mock)', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password, SHIPPING_FLAT_RATE: '499', FREE_SHIPPING_THRESHOLD: '10000' } });
    admin = await login(t, SHOP_ADMIN.email, SHOP_ADMIN.password);
    shop = new Shop(t.http, admin);
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
});
