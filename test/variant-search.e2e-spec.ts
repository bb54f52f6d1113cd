import request from 'supertest';
import { Account, bearer, login } from './support/accounts';
import { dbCommandsDuring } from './support/db-commands';
import { createTestApp, TestApp } from './support/test-app';

const ADMIN = { email: 'variant-search-admin@example.test', password: 'variant search admin pw' };

/** A variant of the fixture: option values, price, sellable stock, and whether it is archived. */
interface Spec {
  options: Record<string, string>;
  price: number;
  stock: number;
  archived?: boolean;
}
interface Fixture {
  title: string;
  options: { name: string; values: string[] }[];
  variants: Spec[];
}
interface Facets {
  brands: { value: string; count: number }[];
  categories: { value: string; count: number }[];
  options: { name: string; values: { value: string; count: number }[] }[];
}
interface Answer {
  items: { id: string; title: string }[];
  total: number;
  facets: Facets;
}

const SIZE_COLOR = [
  { name: 'Size', values: ['S', 'M', 'L'] },
  { name: 'Color', values: ['Red', 'Blue'] },
];
const v = (size: string, color: string, price: number, stock: number, archived = false): Spec => ({ options: { Size: size, Color: color }, price, stock, archived });

/**
 * Each product answers one question of API.md ("Variants", Search): which variant-level
 * conditions must hold on the same variant.
 */
const FIXTURE: Fixture[] = [
  // M-Blue and S-Red, but no M-Red.
  { title: 'Alpha Tee', options: SIZE_COLOR, variants: [v('M', 'Blue', 1000, 5), v('S', 'Red', 1200, 5)] },
  // Its only M-Red is sold out.
  { title: 'Beta Tee', options: SIZE_COLOR, variants: [v('M', 'Red', 1500, 0), v('L', 'Red', 1500, 4)] },
  // M-Red in stock, but dear; a cheap S-Blue.
  { title: 'Gamma Tee', options: SIZE_COLOR, variants: [v('M', 'Red', 2500, 3), v('S', 'Blue', 900, 2)] },
  // Its M-Red is archived: no longer sold or listed.
  { title: 'Delta Tee', options: SIZE_COLOR, variants: [v('M', 'Red', 1800, 5, true), v('L', 'Blue', 1600, 1)] },
  // Cheap only in a size that is sold out: its lowest price and its stock are on different variants.
  { title: 'Epsilon Tee', options: SIZE_COLOR, variants: [v('M', 'Red', 3000, 1), v('M', 'Blue', 1100, 0)] },
  { title: 'Trail Shoe', options: [{ name: 'Size', values: ['40', '41', '42', '43'] }], variants: ['40', '41', '42', '43'].map((size, i) => ({ options: { Size: size }, price: 8000, stock: i % 2 })) },
  // A product sold as one thing: matches price and stock filters, never an option filter.
  { title: 'Plain Mug', options: [], variants: [{ options: {}, price: 700, stock: 3 }] },
];

/** What a query asks of one variant, as the test states it (independently of the code under test). */
interface Asked {
  option?: Record<string, string>;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
}
const meets = (spec: Spec, asked: Asked) =>
  !spec.archived &&
  Object.entries(asked.option ?? {}).every(([name, value]) => spec.options[name] === value) &&
  (asked.minPrice === undefined || spec.price >= asked.minPrice) &&
  (asked.maxPrice === undefined || spec.price <= asked.maxPrice) &&
  (!asked.inStock || spec.stock > 0);
const queryOf = (asked: Asked) =>
  [
    ...Object.entries(asked.option ?? {}).map(([name, value]) => `option.${encodeURIComponent(name)}=${encodeURIComponent(value)}`),
    ...(['minPrice', 'maxPrice', 'inStock'] as const).filter((key) => asked[key] !== undefined).map((key) => `${key}=${asked[key]}`),
  ].join('&');

/** The expected answer: the products one of whose variants meets everything, and the option counts in products. */
function expected(fixture: Fixture[], asked: Asked) {
  const matching = fixture.filter((product) => product.variants.some((spec) => meets(spec, asked)));
  const tally = new Map<string, Map<string, number>>();
  for (const product of matching) {
    const pairs = new Set(product.variants.filter((spec) => meets(spec, asked)).flatMap((spec) => Object.entries(spec.options).map(([n, val]) => JSON.stringify([n, val]))));
    for (const pair of pairs) {
      const [name, value] = JSON.parse(pair) as [string, string];
      const values = tally.get(name) ?? new Map<string, number>();
      values.set(value, (values.get(value) ?? 0) + 1);
      tally.set(name, values);
    }
  }
  const options = [...tally]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, values]) => ({
      name,
      values: [...values].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1)),
    }));
  return { titles: matching.map((product) => product.title).sort(), options };
}

describe('GET /products with option filters: one variant meets every variant-level condition (API.md, Variants)', () => {
  let t: TestApp;
  let admin: Account;
  let category: string;
  const ids = new Map<string, { id: string; variants: { id: string; options: Record<string, string> }[] }>();

  const get = (path: string) => request(t.http).get(`/api/v1${path}`);
  const search = async (query: string): Promise<Answer> => (await get(`/products?${query}&limit=100`).expect(200)).body;
  const titles = (answer: Answer) => answer.items.map((item) => item.title).sort();
  let fixture: Fixture[] = FIXTURE;

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, MONGODB_MONITOR_COMMANDS: 'true' } });
    admin = await login(t, ADMIN.email, ADMIN.password);
    category = (await request(t.http).post('/api/v1/admin/categories').set(...bearer(admin)).send({ name: 'Apparel' }).expect(201)).body.slug;
    for (const [index, product] of FIXTURE.entries()) {
      const body =
        product.options.length === 0
          ? { price: product.variants[0].price, stock: product.variants[0].stock }
          : { options: product.options, variants: product.variants.map((spec, i) => ({ sku: `vs-${index}-${i}`, options: spec.options, price: spec.price, stock: spec.stock })) };
      const created = (
        await request(t.http)
          .post('/api/v1/admin/products')
          .set(...bearer(admin))
          .send({ title: product.title, description: 'A product.', brand: 'Fixture', category, ...body })
          .expect(201)
      ).body;
      ids.set(product.title, created);
      for (const [i, spec] of product.variants.entries()) {
        if (!spec.archived) continue;
        await request(t.http).delete(`/api/v1/admin/products/${created.id}/variants/${created.variants[i].id}`).set(...bearer(admin)).expect(204);
      }
    }
  });
  afterAll(() => t?.close());

  it('a product with M-Blue and S-Red but no M-Red does not match option.Size=M&option.Color=Red', async () => {
    const answer = await search('option.Size=M&option.Color=Red');
    expect(titles(answer)).toEqual(['Beta Tee', 'Epsilon Tee', 'Gamma Tee']);
    expect(titles(answer)).not.toContain('Alpha Tee');
    // An archived M-Red is not sold: Delta does not match either.
    expect(titles(answer)).not.toContain('Delta Tee');
    // The deepObject form (what OpenAPI clients send) is the same filter.
    expect(titles(await search('option[Size]=M&option[Color]=Red'))).toEqual(titles(answer));
  });

  it('a product whose only M-Red is sold out does not match it with inStock=true', async () => {
    const answer = await search('option.Size=M&option.Color=Red&inStock=true');
    expect(titles(answer)).toEqual(['Epsilon Tee', 'Gamma Tee']);
    // Beta has stock (its L-Red), and an M-Red: only not on the same variant.
    expect(titles(await search('inStock=true'))).toContain('Beta Tee');
  });

  it('price and stock filters hold on one variant even without option filters', async () => {
    // Epsilon's lowest price (1100) is under 2000 and it has stock, but its only in-stock variant costs 3000.
    const answer = await search('maxPrice=2000&inStock=true');
    expect(titles(answer)).not.toContain('Epsilon Tee');
    expect(titles(answer)).toEqual(expected(fixture, { maxPrice: 2000, inStock: true }).titles);
    expect(titles(await search('option.Size=M&option.Color=Red&inStock=true&maxPrice=2600'))).toEqual(['Gamma Tee']);
    expect(titles(await search('option.Size=M&option.Color=Red&minPrice=2600'))).toEqual(['Epsilon Tee']);
  });

  it.each([
    { option: { Size: 'M' } },
    { option: { Color: 'Red' }, inStock: true },
    { minPrice: 1000, maxPrice: 2000 },
    { minPrice: 1200 },
    {},
  ] as Asked[])('%j sorted by price: by the lowest price among the variants that match, both ways', async (asked) => {
    const priceOf = (product: Fixture) =>
      Math.min(...product.variants.filter((spec) => (Object.keys(asked).length === 0 ? !spec.archived : meets(spec, asked))).map((spec) => spec.price));
    const matching = fixture.filter((product) => product.variants.some((spec) => meets(spec, asked)));
    const byId = (a: Fixture, b: Fixture) => (ids.get(a.title)!.id < ids.get(b.title)!.id ? -1 : 1);
    const ascending = [...matching].sort((a, b) => priceOf(a) - priceOf(b) || byId(a, b)).map((product) => product.title);
    const descending = [...matching].sort((a, b) => priceOf(b) - priceOf(a) || byId(a, b)).map((product) => product.title);
    const query = queryOf(asked);
    const order = async (sort: string) => ((await get(`/products?${query}${query ? '&' : ''}sort=${sort}&limit=100`).expect(200)).body as Answer).items.map((item) => item.title);
    expect(await order('price_asc')).toEqual(ascending);
    expect(await order('price_desc')).toEqual(descending);
  });

  const cases: Asked[] = [
    {},
    { option: { Size: 'M', Color: 'Red' } },
    { option: { Size: 'M', Color: 'Red' }, inStock: true },
    { option: { Size: 'M' } },
    { option: { Color: 'Blue' }, inStock: true },
    { option: { Size: '42' } },
    { option: { Size: 'XL' } },
    { option: { Fit: 'Slim' } },
    { inStock: true },
    { minPrice: 1000, maxPrice: 2000 },
    { maxPrice: 2000, inStock: true },
    { option: { Size: 'S' }, minPrice: 1000, inStock: true },
  ];

  it.each(cases)('%j: exactly the products with one variant meeting all of it; facets.options counted in those products', async (asked) => {
    const want = expected(fixture, asked);
    const answer = await search(queryOf(asked));
    expect(titles(answer)).toEqual(want.titles);
    expect(answer.total).toBe(want.titles.length);
    expect(answer.facets.options).toEqual(want.options);
    // Every product asked for by all its option values is counted under each of them.
    for (const [name, value] of Object.entries(asked.option ?? {})) {
      const count = answer.facets.options.find((option) => option.name === name)?.values.find((entry) => entry.value === value)?.count ?? 0;
      expect(count).toBe(answer.total);
    }
    // The facets describe the whole result, not the page.
    const paged = (await get(`/products?${queryOf(asked)}&limit=1`).expect(200)).body as Answer;
    expect({ total: paged.total, facets: paged.facets }).toEqual({ total: answer.total, facets: answer.facets });
  });

  it('answers 400 in the error shape to malformed option filters', async () => {
    const bad = [
      'option.Size=M&option.Size=L',
      'option[Size]=M&option.Size=L',
      'option.=M',
      'option.a.b=x',
      'option.$where=x',
      'option.Size=',
      `option.Size=${'x'.repeat(41)}`,
      `option.${'n'.repeat(41)}=M`,
      'option.A=1&option.B=2&option.C=3&option.D=4',
      'option=M',
      'option[$ne]=x',
    ];
    for (const query of bad) {
      const res = await get(`/products?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: expect.anything() });
    }
    // Non-ASCII names and values, encoded, are fine.
    await get(`/products?option.${encodeURIComponent('Größe')}=${encodeURIComponent('Ü 1')}`).expect(200);
  });

  it('one aggregation per uncached search; another option value is another cache entry, never the same answer', async () => {
    const red = '/products?option.Size=M&option.Color=Red&inStock=true';
    const blue = '/products?option.Size=M&option.Color=Blue&inStock=true';
    let redAnswer: Answer | undefined;
    let blueAnswer: Answer | undefined;
    expect(await dbCommandsDuring(t.connection, async () => (redAnswer = (await get(red).expect(200)).body))).toEqual(['aggregate']);
    expect(await dbCommandsDuring(t.connection, () => get(red).expect(200))).toEqual([]);
    expect(await dbCommandsDuring(t.connection, () => get('/products?inStock=true&option.Color=Red&option.Size=M').expect(200))).toEqual([]);
    expect(await dbCommandsDuring(t.connection, async () => (blueAnswer = (await get(blue).expect(200)).body))).toEqual(['aggregate']);
    expect(titles(redAnswer!)).toEqual(['Epsilon Tee', 'Gamma Tee']);
    expect(titles(blueAnswer!)).toEqual(['Alpha Tee']);
    expect(await dbCommandsDuring(t.connection, () => get('/products?option.Size=M&inStock=true').expect(200))).toEqual(['aggregate']);
  });

  it("a variant's stock count shows in the very next option search", async () => {
    const query = 'option.Size=M&option.Color=Red&inStock=true';
    expect(titles(await search(query))).toContain('Gamma Tee');
    const gamma = ids.get('Gamma Tee')!;
    const mRed = gamma.variants.find((variant) => variant.options.Size === 'M' && variant.options.Color === 'Red')!;
    await request(t.http).patch(`/api/v1/admin/products/${gamma.id}/variants/${mRed.id}`).set(...bearer(admin)).send({ stock: 0 }).expect(200);
    fixture = FIXTURE.map((product) =>
      product.title === 'Gamma Tee' ? { ...product, variants: product.variants.map((spec) => (spec.options.Size === 'M' ? { ...spec, stock: 0 } : spec)) } : product,
    );
    const answer = await search(query);
    expect(titles(answer)).toEqual(['Epsilon Tee']);
    expect(answer.facets.options).toEqual(expected(fixture, { option: { Size: 'M', Color: 'Red' }, inStock: true }).options);
  });
});
