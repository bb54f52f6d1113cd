import { randomBytes } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import request from 'supertest';
import { InventoryService } from '../src/products/inventory.service';
import { ProductNotMigratedError } from '../src/products/products.store';
import { OrderMaintenance } from '../src/orders/order-maintenance';
import { Account, bearer, registerCustomer } from './support/accounts';
import { ADDRESS, paymentSucceeded, PlacedOrder, Shop, createShopApp } from './support/shop';
import { withDatabase } from './support/test-env';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

/**
 * A database written in the shape from before variants (products with product-level stock and
 * allocations, one even from before on hand/allocated were split; a cart and orders that name
 * only products), then the app started on it: every product gets its default variant with the
 * product's id, and the old cart and orders go through checkout, cancel, expiry and shipping.
 */
describe('Migration of products from before variants (fixture database)', () => {
  const database = `test_fixture_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const uri = withDatabase(process.env.TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018', database);
  const ids = { held: new Types.ObjectId(), presplit: new Types.ObjectId(), expiring: new Types.ObjectId() };
  const orders = { toCancel: new Types.ObjectId(), toShip: new Types.ObjectId(), toExpire: new Types.ObjectId() };
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  const legacyProduct = (_id: Types.ObjectId, slug: string, stock: Record<string, unknown>) => ({
    _id,
    title: `Old ${slug}`,
    slug,
    description: 'Written before variants.',
    brand: 'Oldbrand',
    category: 'old-things',
    tags: [],
    price: 1500,
    images: [],
    ratingAverage: 0,
    ratingCount: 0,
    ratingSum: 0,
    status: 'active',
    searchTokens: ['old', slug],
    titleTokens: ['old', slug],
    stockAdjustments: [],
    createdAt: new Date(),
    updatedAt: new Date(),
    ...stock,
  });

  const legacyOrder = (_id: Types.ObjectId, userId: Types.ObjectId, productId: Types.ObjectId, quantity: number, fields: Record<string, unknown>) => ({
    _id,
    number: `ORD-OLD-${_id.toHexString().slice(-6)}`,
    userId,
    items: [{ productId, title: 'Old product', price: 1500, quantity, lineTotal: 1500 * quantity }],
    subtotal: 1500 * quantity,
    shippingTotal: 0,
    total: 1500 * quantity,
    currency: 'usd',
    shippingAddress: ADDRESS,
    history: [{ status: 'pending_payment', at: new Date(), by: 'checkout' }],
    outbox: [],
    inventory: 'held',
    idempotencyScope: `order:${_id.toHexString()}`,
    requestHash: 'old',
    createdAt: new Date(),
    updatedAt: new Date(),
    ...fields,
  });

  beforeAll(async () => {
    const connection = await mongoose.createConnection(uri).asPromise();
    try {
      await connection.collection('categories').insertOne({ name: 'Old things', slug: 'old-things', createdAt: new Date(), updatedAt: new Date() });
      await connection.collection('products').insertMany([
        // 10 on the shelf, 2 held by an unpaid order and 3 by a paid one.
        legacyProduct(ids.held, 'held', {
          stock: 5,
          stockOnHand: 10,
          stockAllocated: 5,
          allocations: [
            { orderId: orders.toCancel, quantity: 2 },
            { orderId: orders.toShip, quantity: 3 },
          ],
        }),
        // From before on hand and allocated were split: `stock` meant on hand.
        legacyProduct(ids.presplit, 'presplit', { stock: 4 }),
        legacyProduct(ids.expiring, 'expiring', { stock: 0, stockOnHand: 1, stockAllocated: 1, allocations: [{ orderId: orders.toExpire, quantity: 1 }] }),
      ] as never[]);
    } finally {
      await connection.close();
    }
    ({ t, admin, shop } = await createShopApp({ env: { MONGODB_URI: uri } }));
  });
  afterAll(() => t?.close());

  it('gives every product one default variant with its id, price, stock and allocations; old cart and orders keep working', async () => {
    const held = (await request(t.http).get(`/api/v1/admin/products/${ids.held}`).set(...bearer(admin)).expect(200)).body;
    expect(held).toMatchObject({ price: 1500, priceRange: { min: 1500, max: 1500 }, stock: 5, stockOnHand: 10, stockAllocated: 5, options: [] });
    expect(held.variants).toEqual([
      { id: ids.held.toHexString(), sku: 'held', options: {}, price: 1500, stock: 5, stockOnHand: 10, stockAllocated: 5, imageIds: [], status: 'active' },
    ]);
    expect(await shop.adminProduct(ids.presplit.toHexString())).toMatchObject({ stock: 4, stockOnHand: 4, stockAllocated: 0 });
    const stored = await t.connection.collection('products').findOne({ _id: ids.held });
    expect(stored).not.toHaveProperty('allocations');
    expect(stored?.variants[0].allocations).toEqual([
      { orderId: orders.toCancel, quantity: 2 },
      { orderId: orders.toShip, quantity: 3 },
    ]);

    // The old cart and orders belong to a customer who registers now (the ids are the fixture's).
    const buyer = await registerCustomer(t, 'old-buyer');
    const userId = new Types.ObjectId(buyer.id);
    await t.connection.collection('carts').insertOne({
      userId,
      items: [
        { productId: ids.held, quantity: 1 },
        { productId: ids.presplit, quantity: 2 },
      ],
      version: 1,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await t.connection.collection('orders').insertMany([
      legacyOrder(orders.toCancel, userId, ids.held, 2, {
        status: 'pending_payment',
        payment: { provider: 'stripe', status: 'requires_payment', intentId: 'pi_old_cancel', failures: [], rejectedEvents: [] },
        paymentDueAt: new Date(Date.now() + 60 * 60_000),
      }),
      legacyOrder(orders.toShip, userId, ids.held, 3, {
        status: 'paid',
        payment: { provider: 'stripe', status: 'succeeded', intentId: 'pi_old_ship', failures: [], rejectedEvents: [] },
      }),
      legacyOrder(orders.toExpire, userId, ids.expiring, 1, {
        status: 'pending_payment',
        payment: { provider: 'stripe', status: 'requires_payment', intentId: 'pi_old_expire', failures: [], rejectedEvents: [] },
        paymentDueAt: new Date(Date.now() - 60_000),
      }),
    ] as never[]);

    const cart = (await request(t.http).get('/api/v1/cart').set(...bearer(buyer)).expect(200)).body;
    expect(cart.items).toEqual([
      expect.objectContaining({ productId: ids.held.toHexString(), variantId: ids.held.toHexString(), sku: 'held', options: {}, quantity: 1 }),
      expect.objectContaining({ productId: ids.presplit.toHexString(), variantId: ids.presplit.toHexString(), sku: 'presplit', quantity: 2 }),
    ]);
    // An old line is named by its product, as before.
    await request(t.http).patch(`/api/v1/cart/items/${ids.presplit}`).set(...bearer(buyer)).send({ quantity: 3 }).expect(200);

    const placed: PlacedOrder = (await shop.checkout(buyer).expect(201)).body;
    expect(placed.items).toEqual([
      expect.objectContaining({ productId: ids.held.toHexString(), variantId: ids.held.toHexString(), sku: 'held', options: {}, quantity: 1 }),
      expect.objectContaining({ productId: ids.presplit.toHexString(), variantId: ids.presplit.toHexString(), quantity: 3 }),
    ]);
    expect(await shop.adminProduct(ids.held.toHexString())).toMatchObject({ stock: 4, stockOnHand: 10, stockAllocated: 6 });
    expect(await shop.adminProduct(ids.presplit.toHexString())).toMatchObject({ stock: 1, stockOnHand: 4, stockAllocated: 3 });

    // Cancel: the old unpaid order's 2 units come back once.
    await request(t.http).post(`/api/v1/orders/${orders.toCancel}/cancel`).set(...bearer(buyer)).expect(200);
    expect(await shop.adminProduct(ids.held.toHexString())).toMatchObject({ stock: 6, stockOnHand: 10, stockAllocated: 4 });

    // Ship: the old paid order's 3 units leave the shelf.
    await shop.setStatus(orders.toShip.toHexString(), 'processing').expect(200);
    await shop.setStatus(orders.toShip.toHexString(), 'shipped', 'TRACK-OLD').expect(200);
    await waitFor(async () => (await shop.adminProduct(ids.held.toHexString())).stockOnHand === 7, 'the old order to be shipped');
    expect(await shop.adminProduct(ids.held.toHexString())).toMatchObject({ stock: 6, stockOnHand: 7, stockAllocated: 1 });

    // Expiry: the overdue old order gives its unit back.
    await t.app.get(OrderMaintenance).sweep(new Date());
    await waitFor(async () => (await shop.adminProduct(ids.expiring.toHexString())).stockAllocated === 0, 'the overdue old order to expire');
    expect(await shop.adminProduct(ids.expiring.toHexString())).toMatchObject({ stock: 1, stockOnHand: 1, stockAllocated: 0 });

    // The new order pays and ships like any other.
    await shop.deliver(paymentSucceeded(placed)).expect(200);
    await shop.setStatus(placed.id, 'processing').expect(200);
    await shop.setStatus(placed.id, 'shipped', 'TRACK-NEW').expect(200);
    await waitFor(async () => (await shop.adminProduct(ids.presplit.toHexString())).stockOnHand === 1, 'the new order to be shipped');
    expect(await shop.adminProduct(ids.held.toHexString())).toMatchObject({ stock: 6, stockOnHand: 6, stockAllocated: 0 });
  });

  it('runs once per product, even when two processes migrate at the same moment', async () => {
    const late = new Types.ObjectId();
    // A product an old process wrote after this one started.
    await t.connection.collection('products').insertOne(legacyProduct(late, 'late', { stock: 2, stockOnHand: 3, stockAllocated: 1, allocations: [{ orderId: new Types.ObjectId(), quantity: 1 }] }) as never);
    const inventory = t.app.get(InventoryService);
    const counts = await Promise.all([inventory.migrateToVariants(), inventory.migrateToVariants(), inventory.migrateToVariants()]);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(await inventory.migrateToVariants()).toBe(0);
    const stored = await t.connection.collection('products').findOne({ _id: late });
    expect(stored?.variants).toHaveLength(1);
    expect(stored?.variants[0]).toMatchObject({ _id: late, sku: 'late', stock: 2, stockOnHand: 3, stockAllocated: 1 });
  });

  it('a release that reaches a product not migrated yet fails (to be retried), never counts as done', async () => {
    const early = new Types.ObjectId();
    const order = new Types.ObjectId();
    await t.connection.collection('products').insertOne(legacyProduct(early, 'early', { stock: 1, stockOnHand: 3, stockAllocated: 2, allocations: [{ orderId: order, quantity: 2 }] }) as never);
    const inventory = t.app.get(InventoryService);
    const line = { productId: early.toHexString(), variantId: early.toHexString(), quantity: 2 };
    await expect(inventory.release(order.toHexString(), [line])).rejects.toThrow(ProductNotMigratedError);
    expect(await inventory.migrateToVariants()).toBe(1);
    await inventory.release(order.toHexString(), [line]);
    expect(await shop.adminProduct(early.toHexString())).toMatchObject({ stock: 3, stockOnHand: 3, stockAllocated: 0 });
  });
});
