import request from 'supertest';
import { Account, bearer, login, registerCustomer } from './support/accounts';
import { apiProcessesForSuite } from './support/node-process';
import { Shop, SHOP_ADMIN } from './support/shop';
import { testEnvironment } from './support/test-env';

interface QuoteBody {
  items: { taxRate: number }[];
  taxTotal: number;
  discountTotal: number;
  promotions: { id: string; discount: number }[];
  shippingMethods: { id: string; name: string; price: number }[];
}

/**
 * The pricing settings are held in each process under a version every admin write bumps
 * (issue 28: no reads of tax rates, shipping methods and promotions on every quote and
 * checkout). Two API processes from the built app on one stack: each quote is asked for right
 * after a write answered through the other process, with both processes holding the settings as
 * they were before it.
 */
describe('Pricing settings held per process: every admin write seen by the very next quote in another process', () => {
  const env: Record<string, string> = { ...testEnvironment(), ADMIN_EMAIL: SHOP_ADMIN.email, ADMIN_PASSWORD: SHOP_ADMIN.password };
  const { urls } = apiProcessesForSuite(env);
  let admin: Account;

  const write = (url: string, method: 'post' | 'patch' | 'delete', path: string, body?: object) =>
    request(url)[method](`/api/v1/admin/${path}`).set(...bearer(admin)).send(body);
  const quoteAt = async (url: string, buyer: Account, country: string): Promise<QuoteBody> =>
    (await request(url).get(`/api/v1/cart/quote?country=${country}`).set(...bearer(buyer)).expect(200)).body;
  /** A buyer with one 100.00 line in the cart. */
  const buyerWithCart = async (tag: string): Promise<Account> => {
    const shop = new Shop(urls[0], admin);
    const product = await shop.createProduct({ price: 10_000, stock: 100 });
    const buyer = await registerCustomer(urls[1], tag);
    await request(urls[1]).post('/api/v1/cart/items').set(...bearer(buyer)).send({ productId: product.id, quantity: 1 }).expect(200);
    return buyer;
  };

  beforeAll(async () => {
    admin = await login(urls[0], SHOP_ADMIN.email, SHOP_ADMIN.password);
  });

  it('tax rates, shipping methods and automatic promotions created, changed, deactivated and deleted through one process: the other quotes each at once', async () => {
    const buyer = await buyerWithCart('settings-processes');
    // Both processes hold the settings as they are before each write.
    const quoteBoth = async () => {
      const [first, second] = await Promise.all(urls.map((url) => quoteAt(url, buyer, 'NL')));
      expect(second).toEqual(first);
      return first;
    };
    expect((await quoteBoth()).items[0].taxRate).toBe(0);

    const rate = (await write(urls[0], 'post', 'tax-rates', { country: 'NL', rate: 2100, name: 'BTW' }).expect(201)).body;
    expect((await quoteAt(urls[1], buyer, 'NL')).items[0].taxRate).toBe(2100);
    await quoteBoth();
    await write(urls[1], 'patch', `tax-rates/${rate.id}`, { rate: 900 }).expect(200);
    expect((await quoteAt(urls[0], buyer, 'NL')).items[0].taxRate).toBe(900);
    await quoteBoth();

    const boat = (await write(urls[0], 'post', 'shipping-methods', { name: 'Canal boat', countries: ['NL'], price: 700 }).expect(201)).body;
    expect((await quoteAt(urls[1], buyer, 'NL')).shippingMethods).toEqual([{ id: boat.id, name: 'Canal boat', price: 700 }]);
    await quoteBoth();
    await write(urls[1], 'patch', `shipping-methods/${boat.id}`, { active: false }).expect(200);
    expect((await quoteAt(urls[0], buyer, 'NL')).shippingMethods.map((method) => method.id)).not.toContain(boat.id);
    await quoteBoth();

    const sale = (await write(urls[0], 'post', 'promotions', { name: 'Sale', type: 'percentage', value: 1000 }).expect(201)).body;
    const onSale = await quoteAt(urls[1], buyer, 'NL');
    expect(onSale.promotions).toEqual([expect.objectContaining({ id: sale.id, discount: 1000 })]);
    expect(onSale.discountTotal).toBe(1000);
    await quoteBoth();
    await write(urls[1], 'patch', `promotions/${sale.id}`, { value: 2000 }).expect(200);
    expect((await quoteAt(urls[0], buyer, 'NL')).discountTotal).toBe(2000);
    await quoteBoth();
    await write(urls[0], 'patch', `promotions/${sale.id}`, { active: false }).expect(200);
    expect((await quoteAt(urls[1], buyer, 'NL')).promotions).toEqual([]);
    await quoteBoth();

    await write(urls[0], 'delete', `tax-rates/${rate.id}`).expect(204);
    const after = await quoteAt(urls[1], buyer, 'NL');
    expect(after.items[0].taxRate).toBe(0);
    expect(after.taxTotal).toBe(0);
  });

  it('an automatic promotion with a usageLimit: its uses are read fresh, so it leaves the quote the moment another process uses it up', async () => {
    const [watcher, spender] = await Promise.all([buyerWithCart('limited-watcher'), buyerWithCart('limited-spender')]);
    const once = (await write(urls[0], 'post', 'promotions', { name: 'First order only', type: 'fixed', value: 500, usageLimit: 1 }).expect(201)).body;
    // Held by both processes with the use still free.
    for (const url of urls) expect((await quoteAt(url, watcher, 'AT')).promotions.map((promotion) => promotion.id)).toEqual([once.id]);
    const order = (await request(urls[0]).post('/api/v1/checkout').set(...bearer(spender)).send({ shippingAddress: { fullName: 'S', line1: '1 Street', city: 'Wien', postalCode: '1010', country: 'AT' } }).expect(201)).body;
    expect(order.promotions).toEqual([expect.objectContaining({ id: once.id, discount: 500 })]);
    for (const url of urls) expect((await quoteAt(url, watcher, 'AT')).promotions).toEqual([]);
  });
});
