import { Types } from 'mongoose';
import request from 'supertest';
import { InventoryService } from '../src/products/inventory.service';
import { Order } from '../src/orders/schemas/order.schema';
import { Product } from '../src/products/schemas/product.schema';
import { OutOfStockError } from '../src/products/stock.errors';
import { Account, bearer, registerCustomer } from './support/accounts';
import { dbCommandsOnCollectionsDuring } from './support/db-commands';
import { createShopApp, Shop } from './support/shop';
import type { TestApp } from './support/test-app';
import { waitFor } from './support/wait';

const THRESHOLD = 5;

/**
 * Checkout in few round trips (issue 28): what one checkout sends to MongoDB, and that the
 * shortcuts keep every guarantee: several lines allocated in one write, all or none, each
 * movement recorded once, crossings of sold out and LOW_STOCK_THRESHOLD seen exactly.
 */
describe('Checkout round trips', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, admin, shop } = await createShopApp({ env: { MONGODB_MONITOR_COMMANDS: 'true', LOW_STOCK_THRESHOLD: String(THRESHOLD) } }));
  });
  afterAll(() => t?.close());

  /** `command collection` of every MongoDB command sent while `action` runs. */
  const commandsDuring = (action: () => Promise<unknown>) => dbCommandsOnCollectionsDuring(t.connection, action);

  const movementsOf = async (productId: string): Promise<{ kind: string; delta: number; orderId?: string }[]> =>
    (await request(t.http).get(`/api/v1/admin/products/${productId}/stock-movements`).set(...bearer(admin)).expect(200)).body;
  /**
   * How many events the product recorded (its `eventSequence`: product.created is the first; the
   * relay empties the outbox, the count stays) and whether its variant is marked low.
   */
  const eventsOf = async (productId: string) => {
    const stored = await t.connection.collection('products').findOne({ _id: new Types.ObjectId(productId) }, { projection: { eventSequence: 1, variants: 1 } });
    return { recorded: stored?.eventSequence, low: stored?.variants[0].lowStockSignalled === true };
  };

  it('places a two-line order with one write for both lines, without reading back what it wrote or the pricing settings; the next catalog read shows the stock', async () => {
    const buyer = await registerCustomer(t, 'round-trips');
    const [mug, tea] = await Promise.all([shop.createProduct({ stock: 40 }), shop.createProduct({ stock: 40 })]);
    // Cached before the checkout: the checkout's write must show in the very next read.
    expect((await request(t.http).get(`/api/v1/products/${mug.id}`).expect(200)).body.stock).toBe(40);
    await shop.addToCart(buyer, mug.id, 2).expect(200);
    await shop.addToCart(buyer, tea.id, 3).expect(200);
    // The buyer looks at the price first: from then on the pricing settings are held (no admin write comes).
    await request(t.http).get('/api/v1/cart/quote?country=DE').set(...bearer(buyer)).expect(200);

    let placed: { id: string; status: string } | undefined;
    const commands = await commandsDuring(async () => (placed = (await shop.checkout(buyer).expect(201)).body));
    expect(placed!.status).toBe('pending_payment');
    // Both lines in one write (a bulk `update`), no per-line findAndModify.
    expect(commands.filter((command) => command.endsWith(' products'))).toEqual(['find products', 'update products']);
    // The order: written, then placed by one conditional write; never read back.
    const orderCommands = commands.filter((command) => command.endsWith(' orders'));
    expect(orderCommands.slice(0, 2)).toEqual(['insert orders', 'findAndModify orders']);
    // Anything after is the relay taking the OrderPlaced event out of the outbox, after the answer.
    expect(orderCommands.slice(2).every((command) => command === 'update orders')).toBe(true);
    expect(commands.filter((command) => command === 'findAndModify counters')).toHaveLength(1);
    // Tax rates, shipping methods and the automatic promotions are held (PricingSettingsCache); the cart has no code to read.
    expect(commands.filter((command) => / (tax_rates|shipping_methods|promotions)$/.test(command))).toEqual([]);

    expect((await request(t.http).get(`/api/v1/products/${mug.id}`).expect(200)).body.stock).toBe(38);
    expect((await request(t.http).get(`/api/v1/products/${tea.id}`).expect(200)).body.stock).toBe(37);
    for (const [product, quantity] of [[mug, 2], [tea, 3]] as const) {
      expect((await movementsOf(product.id)).filter((movement) => movement.orderId === placed!.id)).toEqual([expect.objectContaining({ kind: 'allocation', delta: -quantity })]);
    }
    // The event reaches the queue without the answer waiting for it.
    await waitFor(async () => (await t.connection.collection('orders').findOne({ _id: new Types.ObjectId(placed!.id) }))?.outbox.length === 0, 'the OrderPlaced relay');
  });

  it('writes the order through the driver as the schema would have: valid, with every default, the timestamps and __v', async () => {
    const buyer = await registerCustomer(t, 'order-as-schema');
    const product = await shop.createProduct({ stock: 10 });
    await shop.addToCart(buyer, product.id, 2).expect(200);
    const placed = (await shop.checkout(buyer).expect(201)).body as { id: string };
    const stored = (await t.connection.collection('orders').findOne({ _id: new Types.ObjectId(placed.id) }))!;
    const OrderModel = t.connection.model(Order.name);
    expect(new OrderModel(stored).validateSync()).toBeUndefined();
    // Nothing the schema would add (a default, a cast) is missing or different.
    const { id: _id, ...bySchema } = new OrderModel(stored).toObject({ virtuals: false });
    expect(stored).toEqual({ ...bySchema, _id: stored._id });
    expect(stored).toMatchObject({
      status: 'pending_payment',
      inventory: 'held',
      __v: 0,
      promotions: [],
      payment: { provider: 'stripe', status: 'requires_payment', failures: [], rejectedEvents: [], intentId: expect.any(String) },
      history: [expect.objectContaining({ status: 'pending_payment', by: 'checkout' })],
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
    });
  });

  it('writes stock through the driver as the schema would have: after checkouts (one write for two lines, and one line alone), cancels and a shipment the product is valid, typed as cast, its updatedAt moved by each', async () => {
    const [first, second] = await Promise.all([registerCustomer(t, 'stock-as-schema-1'), registerCustomer(t, 'stock-as-schema-2')]);
    const [mug, tea] = await Promise.all([shop.createProduct({ stock: 20 }), shop.createProduct({ stock: 20 })]);
    const stored = async (productId: string) => (await t.connection.collection('products').findOne({ _id: new Types.ObjectId(productId) }))!;
    const ProductModel = t.connection.model(Product.name);
    /** Valid, and nothing the schema would add or cast (a default, an ObjectId, a Date, a number) missing or different. */
    const expectAsSchema = (product: Record<string, unknown>) => {
      expect(new ProductModel(product).validateSync()).toBeUndefined();
      const { id: _id, ...bySchema } = new ProductModel(product).toObject({ virtuals: false });
      expect(product).toEqual({ ...bySchema, _id: product._id });
    };
    const written = async (productId: string, action: () => Promise<unknown>) => {
      const before = (await stored(productId)).updatedAt as Date;
      await new Promise((resolve) => setTimeout(resolve, 5));
      await action();
      const after = await stored(productId);
      // Mongoose's timestamps set `updatedAt` on these updates; the driver's writes set it too.
      expect(after.updatedAt).toBeInstanceOf(Date);
      expect((after.updatedAt as Date).getTime()).toBeGreaterThan(before.getTime());
      expectAsSchema(after);
      return after;
    };

    await shop.addToCart(first, mug.id, 2).expect(200);
    await shop.addToCart(first, tea.id, 3).expect(200);
    let both: { id: string } | undefined;
    let alone: { id: string } | undefined;
    await written(mug.id, async () => (both = (await shop.checkout(first).expect(201)).body));
    await shop.addToCart(second, mug.id, 1).expect(200);
    await written(mug.id, async () => (alone = (await shop.checkout(second).expect(201)).body));
    const held = await stored(mug.id);
    expect(held).toMatchObject({ stock: 17, stockOnHand: 20, stockAllocated: 3 });
    expect(held.variants[0].allocations).toEqual([
      { orderId: new Types.ObjectId(both!.id), quantity: 2 },
      { orderId: new Types.ObjectId(alone!.id), quantity: 1 },
    ]);

    await written(mug.id, () => request(t.http).post(`/api/v1/orders/${both!.id}/cancel`).set(...bearer(first)).expect(200));
    const mugAfter = await written(mug.id, () => request(t.http).post(`/api/v1/orders/${alone!.id}/cancel`).set(...bearer(second)).expect(200));
    expect(mugAfter).toMatchObject({ stock: 20, stockOnHand: 20, stockAllocated: 0 });
    expect(mugAfter.variants[0]).toMatchObject({ stock: 20, stockOnHand: 20, stockAllocated: 0, allocations: [] });
    expectAsSchema(await stored(tea.id));
    expect(await stored(tea.id)).toMatchObject({ stock: 20, stockOnHand: 20, stockAllocated: 0 });

    // A shipment (the `ship` effect) through the same driver path.
    const shipped = await shop.deliveredOrder(first, [[tea.id, 4]]);
    const teaAfter = await stored(tea.id);
    expectAsSchema(teaAfter);
    expect(teaAfter).toMatchObject({ stock: 16, stockOnHand: 16, stockAllocated: 0 });

    // Each movement as the schema casts it: ObjectIds, a Date, numbers; in write order, numbered.
    const kinds = (product: Record<string, unknown>) =>
      (product.stockMovements as Record<string, unknown>[]).map((movement) => {
        expect(movement._id).toBeInstanceOf(Types.ObjectId);
        expect(movement.variantId).toBeInstanceOf(Types.ObjectId);
        expect(movement.at).toBeInstanceOf(Date);
        expect(typeof movement.delta).toBe('number');
        if (movement.kind !== 'opening') expect(movement.orderId).toBeInstanceOf(Types.ObjectId);
        return [movement.kind, movement.delta, (movement.orderId as Types.ObjectId | undefined)?.toHexString()];
      });
    expect(kinds(mugAfter)).toEqual([
      ['opening', 20, undefined],
      ['allocation', -2, both!.id],
      ['allocation', -1, alone!.id],
      ['release', 2, both!.id],
      ['release', 1, alone!.id],
    ]);
    expect(mugAfter.stockMovementSequence).toBe(5);
    expect(kinds(teaAfter)).toEqual([
      ['opening', 20, undefined],
      ['allocation', -3, both!.id],
      ['release', 3, both!.id],
      ['allocation', -4, shipped.id],
      ['shipment', -4, shipped.id],
    ]);
    expect(teaAfter.stockMovementSequence).toBe(5);
  });

  it('adds to the cart with one read of the products, which the answer shows: the cart read, that read and the versioned write', async () => {
    const buyer = await registerCustomer(t, 'add-round-trips');
    const [mug, tea] = await Promise.all([shop.createProduct({ stock: 40 }), shop.createProduct({ stock: 7 })]);
    await shop.addToCart(buyer, mug.id, 1).expect(200);
    let answer: { items: { productId: string; quantity: number; available: number }[] } | undefined;
    const commands = await commandsDuring(async () => (answer = (await shop.addToCart(buyer, tea.id, 2).expect(200)).body));
    expect(commands).toEqual(['find carts', 'find products', 'update carts']);
    // Both lines as the one read found them (a cart write moves no stock).
    expect(answer!.items.map(({ productId, quantity, available }) => ({ productId, quantity, available }))).toEqual([
      { productId: mug.id, quantity: 1, available: 40 },
      { productId: tea.id, quantity: 2, available: 7 },
    ]);
  });

  it('a line that falls short gives back the lines already taken, exactly once: one allocation and one release each, nothing of the short one', async () => {
    const inventory = t.app.get(InventoryService);
    const [a, b, short] = await Promise.all([shop.createProduct({ stock: 30 }), shop.createProduct({ stock: 30 }), shop.createProduct({ stock: 2 })]);
    const orderId = new Types.ObjectId().toHexString();
    const lines = [a, b, short].map((product, index) => ({ productId: product.id, variantId: product.id, quantity: index === 2 ? 3 : 4 }));

    await expect(inventory.allocate(orderId, lines)).rejects.toThrow(OutOfStockError);
    for (const product of [a, b]) {
      expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 30, stockOnHand: 30, stockAllocated: 0 });
      const mine = (await movementsOf(product.id)).filter((movement) => movement.orderId === orderId);
      expect(mine.map((movement) => [movement.kind, movement.delta])).toEqual([
        ['release', 4],
        ['allocation', -4],
      ]);
    }
    expect(await shop.adminProduct(short.id)).toMatchObject({ stock: 2, stockAllocated: 0 });
    expect((await movementsOf(short.id)).filter((movement) => movement.orderId === orderId)).toEqual([]);

    // Giving back again (a failed checkout's clean-up) finds nothing more to give.
    await inventory.release(orderId, lines);
    for (const product of [a, b]) expect((await movementsOf(product.id)).filter((movement) => movement.orderId === orderId)).toHaveLength(2);
  });

  it('a multi-line order that takes a variant to the threshold and another to sold out records stock.low once and shows sold out at once', async () => {
    const buyer = await registerCustomer(t, 'crossings');
    const plenty = await shop.createProduct({ stock: 50 });
    const nearLow = await shop.createProduct({ stock: THRESHOLD + 2 });
    const last = await shop.createProduct({ stock: 2 });
    expect((await request(t.http).get(`/api/v1/products?inStock=true&q=${encodeURIComponent('Product')}&limit=100`).expect(200)).body.items.map((item: { id: string }) => item.id)).toContain(last.id);
    await shop.addToCart(buyer, plenty.id, 1).expect(200);
    await shop.addToCart(buyer, nearLow.id, 2).expect(200);
    await shop.addToCart(buyer, last.id, 2).expect(200);
    const order = (await shop.checkout(buyer).expect(201)).body;

    // product.created, then stock.low once; none for the others (`last` was at or below the threshold already).
    expect(await eventsOf(nearLow.id)).toEqual({ recorded: 2, low: true });
    expect(await eventsOf(plenty.id)).toEqual({ recorded: 1, low: false });
    expect(await eventsOf(last.id)).toEqual({ recorded: 1, low: false });
    expect((await request(t.http).get(`/api/v1/products/${last.id}`).expect(200)).body.stock).toBe(0);
    expect((await request(t.http).get(`/api/v1/products?inStock=true&q=${encodeURIComponent('Product')}&limit=100`).expect(200)).body.items.map((item: { id: string }) => item.id)).not.toContain(last.id);
    for (const [product, quantity] of [[plenty, 1], [nearLow, 2], [last, 2]] as const) {
      expect((await movementsOf(product.id)).filter((movement) => movement.orderId === order.id)).toEqual([expect.objectContaining({ kind: 'allocation', delta: -quantity })]);
    }
  });
});
