import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { ADDRESS, Shop, createShopApp } from './support/shop';
import type { TestApp } from './support/test-app';

describe('PayPal where it is not configured', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    // No PAYPAL_* settings: the test environment gives none.
    ({ t, admin, shop } = await createShopApp());
  });
  afterAll(() => t?.close());

  it('answers paymentProvider "paypal" with 400 and takes nothing; Stripe still works', async () => {
    const buyer = await registerCustomer(t, 'no-paypal');
    const product = await shop.createProduct({ stock: 2 });
    await shop.addToCart(buyer, product.id, 1).expect(200);

    const refused = await shop.checkout(buyer, { shippingAddress: ADDRESS, paymentProvider: 'paypal' }).expect(400);
    expect(refused.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Payment provider "paypal" is not configured' });
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 2, stockAllocated: 0 });
    expect((await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body.items).toHaveLength(1);
    expect((await request(t.http).get('/api/v1/orders').set(...bearer(buyer)).expect(200)).body.total).toBe(0);
    // An unknown name is refused by validation before that.
    expect((await shop.checkout(buyer, { shippingAddress: ADDRESS, paymentProvider: 'bitcoin' }).expect(400)).body.message).toEqual([
      expect.stringContaining('paymentProvider must be one of the following values: stripe, paypal'),
    ]);

    const order = (await shop.checkout(buyer, { shippingAddress: ADDRESS }).expect(201)).body;
    expect(order.payment.provider).toBe('stripe');
    await request(t.http).post('/api/v1/payments/paypal/capture').set(...bearer(buyer)).send({ orderId: order.id }).expect(400);
    await request(t.http).post('/api/v1/payments/paypal/webhook').set('Content-Type', 'application/json').send('{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}').expect(400);
  });

  it('the OpenAPI document names the providers that exist and says PayPal needs configuring', async () => {
    const { body: document } = await request(t.http).get('/docs-json').expect(200);
    const property = document.components.schemas.CheckoutDto.properties.paymentProvider;
    expect(property.enum).toEqual(['stripe', 'paypal']);
    expect(property.description).toMatch(/paypal.*only where PayPal is configured/i);
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/v1/payments/paypal/capture', '/api/v1/payments/paypal/webhook']));
  });
});
