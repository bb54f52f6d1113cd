import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { dbCommandsOnCollectionsDuring } from './support/db-commands';
import { createShopApp, paymentSucceeded, Shop } from './support/shop';
import type { TestApp } from './support/test-app';

/**
 * A customer's cancel in few round trips (issue 28): the order is read once (the ownership
 * check), written once by the transition, and not read back when its effects change nothing it
 * shows; the answer is still exactly what the next read shows, effects included.
 */
describe('Cancel round trips', () => {
  let t: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    ({ t, shop } = await createShopApp({ env: { MONGODB_MONITOR_COMMANDS: 'true' } }));
  });
  afterAll(() => t?.close());

  const commandsDuring = (action: () => Promise<unknown>) => dbCommandsOnCollectionsDuring(t.connection, action);
  const cancel = (buyer: Account, orderId: string) => request(t.http).post(`/api/v1/orders/${orderId}/cancel`).set(...bearer(buyer)).expect(200);
  const read = async (buyer: Account, orderId: string) => (await request(t.http).get(`/api/v1/orders/${orderId}`).set(...bearer(buyer)).expect(200)).body;

  it('an unpaid cancel reads the order once and answers it as the next read shows it, stock back', async () => {
    const product = await shop.createProduct({ stock: 10 });
    const buyer = await registerCustomer(t, 'cancel-trips-unpaid');
    const order = await shop.placeOrder(buyer, [[product.id, 3]]);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 7, stockAllocated: 3 });

    let answer: Record<string, unknown> | undefined;
    const commands = await commandsDuring(async () => (answer = (await cancel(buyer, order.id)).body));
    const orderCommands = commands.filter((command) => command.endsWith(' orders'));
    // The ownership check's read, the transition's one conditional write; then only the marks of
    // the relay (outbox) and of the stock effect, no read of the order (one update command, or
    // one each when they fall in different turns of the event loop).
    expect(orderCommands.slice(0, 2)).toEqual(['find orders', 'findAndModify orders']);
    expect(orderCommands.slice(2)).toEqual(orderCommands.length === 3 ? ['update orders'] : ['update orders', 'update orders']);
    // Each effect claimed and finished once: stock released, the provider's payment cancelled.
    // Both are claimed in the same turn, so their claims go in one insert.
    expect(commands.filter((command) => command.endsWith(' order_effects')).sort()).toEqual([
      'insert order_effects',
      'update order_effects',
      'update order_effects',
    ]);

    expect(answer).toMatchObject({ status: 'cancelled', payment: { status: 'requires_payment' } });
    expect(answer).toEqual(await read(buyer, order.id));
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 10, stockAllocated: 0 });
    const effects = await t.connection
      .collection('order_effects')
      .find({ _id: { $regex: `^${order.id}:` } } as object)
      .sort({ _id: 1 })
      .toArray();
    expect(effects.map((record) => [record._id, record.state])).toEqual([
      [`${order.id}:cancel-intent`, 'done'],
      [`${order.id}:release-stock`, 'done'],
    ]);
  });

  it('a paid cancel answers the refund made, as the next read shows it', async () => {
    const product = await shop.createProduct({ stock: 4 });
    const buyer = await registerCustomer(t, 'cancel-trips-paid');
    const order = await shop.placeOrder(buyer, [[product.id, 2]]);
    await shop.deliver(paymentSucceeded(order)).expect(200);

    const answer = (await cancel(buyer, order.id)).body;
    expect(answer).toMatchObject({ status: 'cancelled', payment: { status: 'refunded', refundedAmount: order.total } });
    expect(answer).toEqual(await read(buyer, order.id));
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 4, stockAllocated: 0 });
  });

  it('a cancel that loses to another cancel is judged again from a fresh read: one 200, the other 409', async () => {
    const product = await shop.createProduct({ stock: 5 });
    const buyer = await registerCustomer(t, 'cancel-trips-race');
    const order = await shop.placeOrder(buyer, [[product.id, 1]]);
    const statuses = (
      await Promise.all([1, 2, 3].map(() => request(t.http).post(`/api/v1/orders/${order.id}/cancel`).set(...bearer(buyer))))
    ).map((response) => response.status);
    expect(statuses.sort()).toEqual([200, 409, 409]);
    expect(await shop.adminProduct(product.id)).toMatchObject({ stock: 5, stockAllocated: 0 });
    expect((await read(buyer, order.id)).history.filter((entry: { status: string }) => entry.status === 'cancelled')).toHaveLength(1);
  });
});
