import request from 'supertest';
import { Types } from 'mongoose';
import { OrderMaintenance } from '../src/orders/order-maintenance';
import { PaymentProviders } from '../src/payment-providers/payment-providers';
import { PromotionUsedUpError, PromotionUses } from '../src/pricing/promotion-uses';
import { Account, bearer, registerCustomer } from './support/accounts';
import { ADDRESS, createShopApp, paymentSucceeded, PlacedOrder, Shop } from './support/shop';
import { dbCommandsDuring } from './support/db-commands';
import { anotherInstanceOf, TestApp } from './support/test-app';

/** Far enough ahead that every pending order is past its payment deadline. */
const afterDeadline = () => new Date(Date.now() + 31 * 60_000);

interface Line {
  productId: string;
  unitPrice: number;
  quantity: number;
  lineTotal: number;
  discount: number;
  taxRate: number;
  tax: number;
}

/** The amounts of a quote or an order that must agree to the minor unit. */
function amountsOf(priced: Record<string, unknown> & { items: Line[] }) {
  const pick = ({ productId, unitPrice, quantity, lineTotal, discount, taxRate, tax }: Line) => ({ productId, unitPrice, quantity, lineTotal, discount, taxRate, tax });
  return {
    items: [...priced.items].map(pick).sort((a, b) => a.productId.localeCompare(b.productId)),
    ...Object.fromEntries(['subtotal', 'discountTotal', 'shippingDiscount', 'shippingTotal', 'shippingTax', 'taxTotal', 'total', 'pricesIncludeTax', 'promotions', 'shippingMethod'].map((key) => [key, priced[key]])),
  };
}

describe('Prices that add up: quote, promotions and checkout (issue 24)', () => {
  let t: TestApp;
  let admin: Account;
  let shop: Shop;
  const products: { id: string; price: number }[] = [];
  let standard: { id: string };
  let express: { id: string };

  beforeAll(async () => {
    // Commands monitored: the test of what a promotion adds to a checkout counts them.
    ({ t, admin, shop } = await createShopApp({ env: { MONGODB_MONITOR_COMMANDS: 'true' } }));
    const post = (path: string, body: object) => request(t.http).post(`/api/v1/admin/${path}`).set(...bearer(admin)).send(body).expect(201);
    for (const rate of [
      { country: 'DE', rate: 1900, name: 'MwSt' },
      { country: 'DE', taxClass: 'reduced', rate: 700, name: 'MwSt ermäßigt' },
      { country: 'FR', rate: 2000, name: 'TVA' },
      { country: 'US', region: 'CA', rate: 725, name: 'CA sales tax' },
    ]) {
      await post('tax-rates', rate);
    }
    standard = (await post('shipping-methods', { name: 'Standard', countries: ['DE', 'FR', 'US'], price: 490, freeFrom: 8000 })).body;
    express = (await post('shipping-methods', { name: 'Express', countries: ['DE'], price: 1290, minSubtotal: 2000 })).body;
    for (const [price, taxClass] of [[1999, 'standard'], [1005, 'reduced'], [333, 'standard'], [4550, 'reduced'], [12_000, 'standard']] as const) {
      const product = await shop.createProduct({ price, stock: 100_000 });
      await request(t.http).patch(`/api/v1/admin/products/${product.id}`).set(...bearer(admin)).send({ taxClass }).expect(200);
      products.push(product);
    }
    await post('promotions', { name: 'Ten off', code: 'TENOFF', type: 'percentage', value: 1000 });
    await post('promotions', { name: 'Five euros', code: 'Fiver', type: 'fixed', value: 500, minSubtotal: 3000 });
    await post('promotions', { name: 'Free shipping', code: 'SHIPFREE', type: 'free_shipping', combinable: true });
    await post('promotions', { name: 'Cheap things', type: 'percentage', value: 500, productIds: [products[2].id], combinable: true });
  });
  afterAll(() => t?.close());

  const cart = (buyer: Account) => ({
    add: (productId: string, quantity: number) => shop.addToCart(buyer, productId, quantity).expect(200),
    apply: (code: string) => request(t.http).post('/api/v1/cart/promotions').set(...bearer(buyer)).send({ code }),
    quote: (query: string) => request(t.http).get(`/api/v1/cart/quote?${query}`).set(...bearer(buyer)),
  });

  it('a checkout with a code sends three database commands more than one without: the read of the code\'s promotion, the guarded $inc and the use record (no read of the limits, no list)', async () => {
    const [plainBuyer, pricedBuyer] = [await registerCustomer(t, 'commands-plain'), await registerCustomer(t, 'commands-priced')];
    await cart(plainBuyer).add(products[0].id, 1);
    await cart(pricedBuyer).add(products[0].id, 1);
    await cart(pricedBuyer).apply('TENOFF').expect(200);
    // The settings read once, then held by both checkouts (no admin write comes between).
    await cart(plainBuyer).quote('country=DE').expect(200);
    const plain = await dbCommandsDuring(t.connection, () => shop.checkout(plainBuyer).expect(201));
    let promotions: { code?: string }[] = [];
    const priced = await dbCommandsDuring(t.connection, async () => ({ promotions } = (await shop.checkout(pricedBuyer).expect(201)).body));
    expect(promotions.map((promotion) => promotion.code)).toEqual(['TENOFF']);
    expect([...priced].sort()).toEqual([...plain, 'find', 'update', 'insert'].sort());
  });

  it('3 × 1999 at 19 % and 1 × 1005 at 7 % to Germany: the quote, worked by hand, is what checkout charges', async () => {
    const buyer = await registerCustomer(t, 'worked');
    await cart(buyer).add(products[0].id, 3);
    await cart(buyer).add(products[1].id, 1);
    const quote = (await cart(buyer).quote('country=DE').expect(200)).body;
    // 5997 × 19 % = 1139.43 → 1139; 1005 × 7 % = 70.35 → 70; Standard 490 (below 8000) × 19 % = 93.1 → 93.
    expect(quote).toMatchObject({
      subtotal: 7002,
      discountTotal: 0,
      shippingTotal: 490,
      shippingTax: 93,
      taxTotal: 1139 + 70 + 93,
      total: 7002 + 490 + 1302,
      pricesIncludeTax: false,
      promotions: [],
      shippingMethod: { id: standard.id, name: 'Standard', price: 490 },
      currency: 'usd',
    });
    expect(quote.shippingMethods.map((method: { id: string }) => method.id)).toEqual([standard.id, express.id]);
    expect(quote.items.map((line: Line) => [line.lineTotal, line.taxRate, line.tax])).toEqual([[5997, 1900, 1139], [1005, 700, 70]]);

    const order = (await shop.checkout(buyer).expect(201)).body;
    expect(amountsOf(order)).toEqual(amountsOf(quote));
  });

  it('codes: case-insensitive, refused with the reason (422), removable; the best non-combinable applies', async () => {
    const buyer = await registerCustomer(t, 'codes');
    await cart(buyer).add(products[0].id, 1);
    expect((await cart(buyer).apply('nope').expect(422)).body).toMatchObject({ reason: 'unknown' });
    expect((await cart(buyer).apply('fiver').expect(422)).body).toMatchObject({ reason: 'min_subtotal' });
    expect((await cart(buyer).apply('tenoff').expect(200)).body.promotionCodes).toEqual(['TENOFF']);
    await cart(buyer).add(products[3].id, 1);
    expect((await cart(buyer).apply('FIVER').expect(200)).body.promotionCodes).toEqual(['TENOFF', 'FIVER']);
    // 10 % of 6549 = 655 beats 500: only the better of two non-combinable codes.
    const quote = (await cart(buyer).quote('country=DE').expect(200)).body;
    expect(quote.promotions).toEqual([expect.objectContaining({ code: 'TENOFF', discount: 655 })]);
    expect(quote.discountTotal).toBe(655);
    const removed = (await request(t.http).delete('/api/v1/cart/promotions/tenoff').set(...bearer(buyer)).expect(200)).body;
    expect(removed.promotionCodes).toEqual(['FIVER']);
    expect((await cart(buyer).quote('country=DE').expect(200)).body.promotions).toEqual([expect.objectContaining({ code: 'Fiver', discount: 500 })]);
  });

  it('dropping below freeFrom or minSubtotal changes the next quote and the checkout', async () => {
    const buyer = await registerCustomer(t, 'thresholds');
    await cart(buyer).add(products[4].id, 1);
    expect((await cart(buyer).quote('country=DE').expect(200)).body).toMatchObject({ shippingTotal: 0, shippingMethod: { id: standard.id, price: 0 } });
    // 10 % off 12000 leaves 10800: still free. 10800 → remove and add a cheaper line: 4550 − 455 < 8000.
    await cart(buyer).apply('TENOFF').expect(200);
    await request(t.http).delete(`/api/v1/cart/items/${products[4].id}`).set(...bearer(buyer)).expect(200);
    await cart(buyer).add(products[3].id, 1);
    const quote = (await cart(buyer).quote('country=DE').expect(200)).body;
    expect(quote).toMatchObject({ subtotal: 4550, discountTotal: 455, shippingTotal: 490, shippingMethod: { id: standard.id, price: 490 } });
    const order = (await shop.checkout(buyer).expect(201)).body;
    expect(amountsOf(order)).toEqual(amountsOf(quote));
  });

  it('shipping: an ineligible method → 422, none eligible for the destination → 422, nothing taken either way', async () => {
    const buyer = await registerCustomer(t, 'shipping');
    await cart(buyer).add(products[0].id, 1);
    const before = await shop.adminProduct(products[0].id);
    // Express needs a subtotal of 2000 (1999 is not enough) and ships to Germany only.
    await cart(buyer).quote(`country=DE&shippingMethodId=${express.id}`).expect(422);
    await shop.checkout(buyer, { shippingAddress: ADDRESS, shippingMethodId: express.id }).expect(422);
    const japan = { ...ADDRESS, country: 'JP' };
    const quote = (await cart(buyer).quote('country=JP').expect(200)).body;
    expect(quote.shippingMethods).toEqual([]);
    expect(quote).not.toHaveProperty('shippingMethod');
    await shop.checkout(buyer, { shippingAddress: japan }).expect(422);
    expect(await shop.adminProduct(products[0].id)).toMatchObject({ stockAllocated: before.stockAllocated });
    expect(await t.connection.collection('orders').countDocuments({ userId: new Types.ObjectId(buyer.id) })).toBe(0);
    // The method asked for, when eligible, is the one charged.
    await cart(buyer).add(products[0].id, 1);
    const order = (await shop.checkout(buyer, { shippingAddress: ADDRESS, shippingMethodId: express.id }).expect(201)).body;
    expect(order.shippingMethod).toEqual({ id: express.id, name: 'Express', price: 1290 });
    expect(order.shippingTotal).toBe(1290);
  });

  it('200 random carts (lines, destinations, codes, methods): each quote equals the order placed from it, to the minor unit, and the PaymentIntent asks for the order total', async () => {
    const buyer = await registerCustomer(t, 'random');
    // stripe-mock does not echo amounts: what the app asked Stripe for is read on the way out (the call still goes to stripe-mock).
    const intents = jest.spyOn(t.app.get(PaymentProviders).get('stripe'), 'createIntent');
    let seed = 24;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const destinations = [
      { country: 'DE', query: 'country=DE' },
      { country: 'FR', query: 'country=FR' },
      { country: 'US', state: 'CA', query: 'country=US&region=CA' },
      { country: 'US', state: 'NY', query: 'country=US&region=NY' },
    ];
    const codes = ['TENOFF', 'fiver', 'ShipFree'];
    let withPromotions = 0;
    for (let round = 0; round < 200; round += 1) {
      await request(t.http).delete('/api/v1/cart').set(...bearer(buyer)).expect(204);
      for (let lines = 1 + random(4); lines > 0; lines -= 1) await cart(buyer).add(products[random(products.length)].id, 1 + random(5));
      for (const code of codes) if (random(2) === 0) await cart(buyer).apply(code); // a refusal (422) leaves the cart as it was
      const destination = destinations[random(destinations.length)];
      const offered = (await cart(buyer).quote(destination.query).expect(200)).body.shippingMethods as { id: string }[];
      const method = random(2) === 0 && offered.length > 0 ? offered[random(offered.length)].id : undefined;
      const quote = (await cart(buyer).quote(`${destination.query}${method ? `&shippingMethodId=${method}` : ''}`).expect(200)).body;
      const address = { ...ADDRESS, country: destination.country, ...(destination.state && { state: destination.state }) };
      const order = (await shop.checkout(buyer, { shippingAddress: address, ...(method && { shippingMethodId: method }) }).expect(201)).body;
      expect(amountsOf(order)).toEqual(amountsOf(quote));
      expect(order.total).toBe(order.subtotal - order.discountTotal + order.shippingTotal + order.taxTotal);
      expect(intents.mock.calls.filter(([intent]) => intent.orderId === order.id).map(([intent]) => [intent.amount, intent.currency])).toEqual([[order.total, order.currency]]);
      if (order.promotions.length > 0) withPromotions += 1;
    }
    intents.mockRestore();
    expect(withPromotions).toBeGreaterThan(25);
    // The admin finds the orders that used a code, whatever its case.
    const used = (await request(t.http).get('/api/v1/admin/orders?promotionCode=tenoff&limit=100').set(...bearer(admin)).expect(200)).body;
    expect(used.total).toBeGreaterThan(0);
    expect(used.items.every((order: { promotions: { code?: string }[] }) => order.promotions.some((promotion) => promotion.code === 'TENOFF'))).toBe(true);
    // 200 quotes and checkouts one after another: about 30 s here, over a minute when the machine is shared.
  }, 240_000);

  describe('usage limits under simultaneous checkouts', () => {
    let second: TestApp;
    beforeAll(async () => {
      second = await anotherInstanceOf(t);
    });
    afterAll(() => second?.close());

    const promotionOf = async (id: string) => (await request(t.http).get(`/api/v1/admin/promotions/${id}`).set(...bearer(admin)).expect(200)).body;

    it('usageLimit 5, 20 customers checking out at once across two API processes: exactly 5 orders use it, 15 × 409 with nothing taken; a cancel gives one use back once', async () => {
      const coupon = (await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Five only', code: 'FIVE-ONLY', type: 'fixed', value: 300, usageLimit: 5 }).expect(201)).body;
      const product = await shop.createProduct({ price: 2500, stock: 50 });
      const buyers = await Promise.all(Array.from({ length: 20 }, (_, index) => registerCustomer(t, `five-${index}`)));
      for (const buyer of buyers) {
        await cart(buyer).add(product.id, 1);
        await cart(buyer).apply('five-only').expect(200);
      }
      const answers = await Promise.all(
        buyers.map((buyer, index) => request(index % 2 === 0 ? t.http : second.http).post('/api/v1/checkout').set(...bearer(buyer)).send({ shippingAddress: ADDRESS })),
      );
      const placed = answers.filter((res) => res.status === 201).map((res) => res.body);
      expect(placed).toHaveLength(5);
      const refused = answers.filter((res) => res.status === 409);
      expect(refused).toHaveLength(15);
      expect(refused.every((res) => res.body.code === 'FIVE-ONLY' && /FIVE-ONLY/.test(res.body.message))).toBe(true);
      for (const order of placed) expect(order.promotions).toEqual([{ id: coupon.id, code: 'FIVE-ONLY', name: 'Five only', discount: 300 }]);
      expect((await promotionOf(coupon.id)).used).toBe(5);
      // The 15 refused took nothing: no order, no stock, and their carts still hold the line and the code.
      expect(await shop.adminProduct(product.id)).toMatchObject({ stockAllocated: 5, stock: 45 });
      expect(await t.connection.collection('orders').countDocuments({ 'items.productId': new Types.ObjectId(product.id) })).toBe(5);
      const refusedBuyer = buyers[answers.findIndex((res) => res.status === 409)];
      expect((await request(t.http).get('/api/v1/cart').set(...bearer(refusedBuyer)).expect(200)).body.items).toHaveLength(1);

      // One of the five cancelled three times at once while two expiry sweeps find it past its deadline
      // (the other four are not): its use comes back once.
      const [cancelled] = placed;
      const owner = buyers[answers.findIndex((res) => res.status === 201)];
      await t.connection.collection('orders').updateOne({ _id: new Types.ObjectId(cancelled.id) }, { $set: { paymentDueAt: new Date(Date.now() - 60_000) } });
      const maintenance = t.app.get(OrderMaintenance);
      await Promise.all([
        ...Array.from({ length: 3 }, () => request(second.http).post(`/api/v1/orders/${cancelled.id}/cancel`).set(...bearer(owner))),
        maintenance.sweep(new Date()),
        maintenance.sweep(new Date()),
      ]);
      await request(t.http).post(`/api/v1/orders/${cancelled.id}/cancel`).set(...bearer(owner)).expect(409);
      expect((await promotionOf(coupon.id)).used).toBe(4);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stockAllocated: 4, stock: 46 });

      // The use given back is usable again, by one more order only.
      const [nextBuyer, lateBuyer] = buyers.filter((_, index) => answers[index].status === 409);
      expect((await shop.checkout(nextBuyer).expect(201)).body.promotions.map((promotion: { code: string }) => promotion.code)).toEqual(['FIVE-ONLY']);
      expect((await shop.checkout(lateBuyer).expect(409)).body.code).toBe('FIVE-ONLY');
      expect((await promotionOf(coupon.id)).used).toBe(5);
    });

    const uses = () => t.connection.collection('promotion_uses');
    const customerCounter = (promotionId: string, customer: string) => t.connection.collection('promotion_customer_uses').findOne({ _id: `${promotionId}:${customer}` } as object);
    const refusedAsUsedUp = (error: unknown) => (error instanceof PromotionUsedUpError ? false : Promise.reject(error));

    it('the guards themselves: 50 racing takes on usageLimit 5 → exactly 5; one customer racing on perCustomerLimit 2 → exactly 2; repeated give-backs return each use once', async () => {
      const create = (body: object) => request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ type: 'fixed', value: 100, ...body }).expect(201);
      const limited = (await create({ name: 'Five', code: 'RACE-FIVE', usageLimit: 5 })).body;
      const perCustomer = (await create({ name: 'Two each', code: 'RACE-TWO', perCustomerLimit: 2 })).body;
      const [one, other] = [t.app.get(PromotionUses), second.app.get(PromotionUses)];
      const orders = Array.from({ length: 50 }, () => new Types.ObjectId());
      const outcomes = await Promise.all(
        orders.map((orderId, index) =>
          (index % 2 === 0 ? one : other).take(orderId, [{ id: limited.id, code: 'RACE-FIVE', name: 'Five', usageLimit: 5 }], `user:${index}`).then(() => true, refusedAsUsedUp),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(5);
      expect((await promotionOf(limited.id)).used).toBe(5);
      const holders = orders.filter((_, index) => outcomes[index]);
      expect((await uses().find({ _id: { $regex: `^${limited.id}:` } } as object).toArray()).map((use) => use._id).sort()).toEqual(holders.map((orderId) => `${limited.id}:${orderId.toHexString()}`).sort());
      // Each holder gives back three times at once, from both processes.
      await Promise.all([...holders, ...holders, ...holders].map((orderId, index) => (index % 2 === 0 ? one : other).giveBack(orderId, [{ id: limited.id }], 'anyone')));
      expect((await promotionOf(limited.id)).used).toBe(0);
      expect(await uses().countDocuments({ _id: { $regex: `^${limited.id}:` } } as object)).toBe(0);

      const racerOrders = Array.from({ length: 10 }, () => new Types.ObjectId());
      const sameCustomer = await Promise.all(
        racerOrders.map((orderId, index) =>
          (index % 2 === 0 ? one : other).take(orderId, [{ id: perCustomer.id, code: 'RACE-TWO', name: 'Two each', perCustomerLimit: 2 }], 'user:racer').then(() => true, refusedAsUsedUp),
        ),
      );
      expect(sameCustomer.filter(Boolean)).toHaveLength(2);
      expect((await promotionOf(perCustomer.id)).used).toBe(2);
      expect(await customerCounter(perCustomer.id, 'user:racer')).toMatchObject({ used: 2 });
      // Given back (repeatedly, racing) → the customer has both uses again; a third take then still stops at 2.
      const racers = racerOrders.filter((_, index) => sameCustomer[index]);
      await Promise.all([...racers, ...racers].map((orderId, index) => (index % 2 === 0 ? one : other).giveBack(orderId, [{ id: perCustomer.id }], 'user:racer')));
      expect(await customerCounter(perCustomer.id, 'user:racer')).toMatchObject({ used: 0 });
      expect((await promotionOf(perCustomer.id)).used).toBe(0);
      const again = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          (index % 2 === 0 ? one : other).take(new Types.ObjectId(), [{ id: perCustomer.id, code: 'RACE-TWO', name: 'Two each', perCustomerLimit: 2 }], 'user:racer').then(() => true, refusedAsUsedUp),
        ),
      );
      expect(again.filter(Boolean)).toHaveLength(2);
      expect(await customerCounter(perCustomer.id, 'user:racer')).toMatchObject({ used: 2 });
    });

    it('a take repeated for the same order (at once, from both processes, then again) holds one use', async () => {
      const coupon = (await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Once per order', code: 'ONCE-ORDER', type: 'fixed', value: 100, usageLimit: 3, perCustomerLimit: 3 }).expect(201)).body;
      const [one, other] = [t.app.get(PromotionUses), second.app.get(PromotionUses)];
      const orderId = new Types.ObjectId();
      const held = [{ id: coupon.id, code: 'ONCE-ORDER', name: 'Once per order', usageLimit: 3, perCustomerLimit: 3 }];
      // While the racing takes' counters are up before their records are refused, one may find the
      // limit reached: refused, which gives back nothing of the use the order holds.
      const outcomes = await Promise.all(Array.from({ length: 6 }, (_, index) => (index % 2 === 0 ? one : other).take(orderId, held, 'user:repeater').then(() => true, refusedAsUsedUp)));
      expect(outcomes.filter(Boolean).length).toBeGreaterThan(0);
      await one.take(orderId, held, 'user:repeater');
      expect((await promotionOf(coupon.id)).used).toBe(1);
      expect(await customerCounter(coupon.id, 'user:repeater')).toMatchObject({ used: 1 });
      expect(await uses().findOne({ _id: `${coupon.id}:${orderId.toHexString()}` } as object)).toMatchObject({ customer: 'user:repeater' });
      await Promise.all([one.giveBack(orderId, held, 'user:repeater'), other.giveBack(orderId, held, 'user:repeater')]);
      expect((await promotionOf(coupon.id)).used).toBe(0);
      expect(await customerCounter(coupon.id, 'user:repeater')).toMatchObject({ used: 0 });
    });

    it('limits as the quote read them: a take against a limit the admin changed meanwhile follows the new limit', async () => {
      const create = (body: object) => request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ type: 'fixed', value: 100, ...body }).expect(201);
      const patch = (id: string, body: object) => request(t.http).patch(`/api/v1/admin/promotions/${id}`).set(...bearer(admin)).send(body).expect(200);
      const taker = t.app.get(PromotionUses);
      const lowered = (await create({ name: 'Lowered', code: 'LOWERED', usageLimit: 5 })).body;
      const asRead = [{ id: lowered.id, code: 'LOWERED', name: 'Lowered', usageLimit: 5 }];
      await taker.take(new Types.ObjectId(), asRead, 'user:a');
      await taker.take(new Types.ObjectId(), asRead, 'user:b');
      await patch(lowered.id, { usageLimit: 2 });
      await expect(taker.take(new Types.ObjectId(), asRead, 'user:c')).rejects.toBeInstanceOf(PromotionUsedUpError);
      expect((await promotionOf(lowered.id)).used).toBe(2);

      const raised = (await create({ name: 'Raised', code: 'RAISED', usageLimit: 1 })).body;
      await taker.take(new Types.ObjectId(), [{ id: raised.id, code: 'RAISED', name: 'Raised', usageLimit: 1 }], 'user:a');
      await patch(raised.id, { usageLimit: 3 });
      await taker.take(new Types.ObjectId(), [{ id: raised.id, code: 'RAISED', name: 'Raised', usageLimit: 1 }], 'user:b');
      expect((await promotionOf(raised.id)).used).toBe(2);

      // perCustomerLimit lowered from 3 to 1 after the customer's first use: a take as read before is refused.
      const perCustomer = (await create({ name: 'Fewer each', code: 'FEWER-EACH', perCustomerLimit: 3 })).body;
      const perCustomerAsRead = [{ id: perCustomer.id, code: 'FEWER-EACH', name: 'Fewer each', perCustomerLimit: 3 }];
      await taker.take(new Types.ObjectId(), perCustomerAsRead, 'user:a');
      await patch(perCustomer.id, { perCustomerLimit: 1 });
      await expect(taker.take(new Types.ObjectId(), perCustomerAsRead, 'user:a')).rejects.toBeInstanceOf(PromotionUsedUpError);
      expect(await customerCounter(perCustomer.id, 'user:a')).toMatchObject({ used: 1 });
      expect((await promotionOf(perCustomer.id)).used).toBe(1);
      // A limit set where none was read (the quote saw none): the take follows it too.
      await patch(perCustomer.id, { usageLimit: 1 });
      await expect(taker.take(new Types.ObjectId(), [{ id: perCustomer.id, code: 'FEWER-EACH', name: 'Fewer each' }], 'user:b')).rejects.toBeInstanceOf(PromotionUsedUpError);
      expect((await promotionOf(perCustomer.id)).used).toBe(1);
    });

    it('an order that took its use the old way (listed in holders and in the customer\'s orders) gives it back once, and settles', async () => {
      const coupon = (await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Old shape', code: 'OLD-SHAPE', type: 'fixed', value: 100, usageLimit: 3, perCustomerLimit: 1 }).expect(201)).body;
      const [given, shipped] = [new Types.ObjectId(), new Types.ObjectId()];
      // As the version before use records wrote it: counted, and the orders listed.
      await t.connection.collection('promotions').updateOne({ _id: new Types.ObjectId(coupon.id) }, { $set: { used: 2, holders: [given, shipped] } });
      await t.connection.collection('promotion_customer_uses').insertMany([
        { _id: `${coupon.id}:user:old-given`, used: 1, orders: [given] },
        { _id: `${coupon.id}:user:old-shipped`, used: 1, orders: [shipped] },
      ] as object[]);
      const [one, other] = [t.app.get(PromotionUses), second.app.get(PromotionUses)];
      await Promise.all(Array.from({ length: 4 }, (_, index) => (index % 2 === 0 ? one : other).giveBack(given, [{ id: coupon.id }], 'user:old-given')));
      await one.settle(shipped, [{ id: coupon.id }], 'user:old-shipped');
      await other.giveBack(shipped, [{ id: coupon.id }], 'user:old-shipped');
      const promotion = await t.connection.collection('promotions').findOne({ _id: new Types.ObjectId(coupon.id) });
      expect(promotion).toMatchObject({ used: 1, holders: [] });
      expect(await customerCounter(coupon.id, 'user:old-given')).toMatchObject({ used: 0, orders: [] });
      expect(await customerCounter(coupon.id, 'user:old-shipped')).toMatchObject({ used: 1, orders: [] });
      // New takes go on from the counts: one more fits under usageLimit 3, the customer whose use came back has it again.
      await one.take(new Types.ObjectId(), [{ id: coupon.id, code: 'OLD-SHAPE', name: 'Old shape', usageLimit: 3, perCustomerLimit: 1 }], 'user:old-given');
      await expect(one.take(new Types.ObjectId(), [{ id: coupon.id, code: 'OLD-SHAPE', name: 'Old shape', usageLimit: 3, perCustomerLimit: 1 }], 'user:old-shipped')).rejects.toBeInstanceOf(PromotionUsedUpError);
      expect((await promotionOf(coupon.id)).used).toBe(2);
    });

    it('a shipped order keeps its use for good: its use record is settled and a give-back afterwards changes nothing', async () => {
      const coupon = (await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Ship it', code: 'SHIP-IT', type: 'fixed', value: 100 }).expect(201)).body;
      const product = await shop.createProduct({ price: 1000, stock: 5 });
      const buyer = await registerCustomer(t, 'shipped-use');
      await cart(buyer).add(product.id, 1);
      await cart(buyer).apply('ship-it').expect(200);
      const order: PlacedOrder = (await shop.checkout(buyer).expect(201)).body;
      const record = () => uses().findOne({ _id: `${coupon.id}:${order.id}` } as object);
      expect(await record()).toMatchObject({ takenAt: expect.any(Date) });
      expect((await record())?.settled).toBeUndefined();
      // No list grows with the orders.
      expect(await t.connection.collection('promotions').findOne({ _id: new Types.ObjectId(coupon.id) })).not.toHaveProperty('holders');
      await shop.deliver(paymentSucceeded(order)).expect(200);
      await shop.setStatus(order.id, 'processing').expect(200);
      await shop.setStatus(order.id, 'shipped', 'TRACK-PRICING').expect(200);
      expect(await record()).toMatchObject({ settled: true });
      await t.app.get(PromotionUses).giveBack(new Types.ObjectId(order.id), [{ id: coupon.id }], 'anyone');
      expect((await promotionOf(coupon.id)).used).toBe(1);
    });

    it('perCustomerLimit 1: five simultaneous checkouts of one customer (both processes) → one order uses it, then the code is used up for them', async () => {
      const coupon = (await request(t.http).post('/api/v1/admin/promotions').set(...bearer(admin)).send({ name: 'Welcome', code: 'WELCOME1', type: 'percentage', value: 2000, perCustomerLimit: 1 }).expect(201)).body;
      const product = await shop.createProduct({ price: 1000, stock: 50 });
      const buyer = await registerCustomer(t, 'per-customer');
      await cart(buyer).add(product.id, 1);
      await cart(buyer).apply('welcome1').expect(200);
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, index) => request(index % 2 === 0 ? t.http : second.http).post('/api/v1/checkout').set(...bearer(buyer)).send({ shippingAddress: ADDRESS })),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([201, 409, 409, 409, 409]);
      expect(await shop.adminProduct(product.id)).toMatchObject({ stockAllocated: 1 });
      expect((await promotionOf(coupon.id)).used).toBe(1);

      await cart(buyer).add(product.id, 1);
      expect((await cart(buyer).apply('WELCOME1').expect(422)).body).toMatchObject({ reason: 'used_up' });
      // Another customer still has their use.
      const other = await registerCustomer(t, 'per-customer-other');
      await cart(other).add(product.id, 1);
      await cart(other).apply('welcome1').expect(200);
      expect((await shop.checkout(other).expect(201)).body.discountTotal).toBe(200);
      expect((await promotionOf(coupon.id)).used).toBe(2);
    });
  });
});
