import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

const home = { fullName: 'Ada Lovelace', line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'gb' };
const office = { fullName: 'Ada Lovelace', line1: '1 Analytical Way', city: 'Cambridge', postalCode: 'CB2 1TN', country: 'GB', phone: '+44 1223 000000' };

describe('Address book (/me/addresses)', () => {
  let t: TestApp;
  let ada: Account;
  let eve: Account;

  beforeAll(async () => {
    t = await createTestApp();
    ada = await registerCustomer(t, 'ada');
    eve = await registerCustomer(t, 'eve');
  });
  afterAll(() => t?.close());

  const addressesOf = async (account: Account) =>
    (await request(t.http).get('/api/v1/me/addresses').set(...bearer(account)).expect(200)).body;

  it('creates, reads, updates and deletes addresses, keeping exactly one default', async () => {
    const first = await request(t.http).post('/api/v1/me/addresses').set(...bearer(ada)).send(home).expect(201);
    expect(first.body).toMatchObject({ ...home, country: 'GB', isDefault: true, id: expect.stringMatching(/^[0-9a-f]{24}$/) });

    const second = await request(t.http).post('/api/v1/me/addresses').set(...bearer(ada)).send({ ...office, isDefault: true }).expect(201);
    expect(second.body.isDefault).toBe(true);
    let list = await addressesOf(ada);
    expect(list.filter((address: { isDefault: boolean }) => address.isDefault).map((a: { id: string }) => a.id)).toEqual([second.body.id]);

    const patched = await request(t.http)
      .patch(`/api/v1/me/addresses/${first.body.id}`)
      .set(...bearer(ada))
      .send({ city: 'Westminster', isDefault: true })
      .expect(200);
    expect(patched.body).toMatchObject({ city: 'Westminster', isDefault: true, line1: home.line1 });
    list = await addressesOf(ada);
    expect(list.filter((address: { isDefault: boolean }) => address.isDefault)).toHaveLength(1);

    await request(t.http).get(`/api/v1/me/addresses/${first.body.id}`).set(...bearer(ada)).expect(200);
    await request(t.http).delete(`/api/v1/me/addresses/${first.body.id}`).set(...bearer(ada)).expect(204);
    list = await addressesOf(ada);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: second.body.id, isDefault: true });
  });

  it.each([
    ['an unknown country code', { ...home, country: 'XX' }],
    ['a missing first line', { ...home, line1: undefined }],
    ['a blank city', { ...home, city: '   ' }],
    ['an oversized postal code', { ...home, postalCode: '9'.repeat(21) }],
    ['a malformed phone', { ...home, phone: 'call me' }],
    ['an unknown field', { ...home, userId: 'someone-else' }],
    ['an operator object', { ...home, city: { $ne: null } }],
  ])('rejects %s with 400 and stores nothing', async (_label, body) => {
    const before = (await addressesOf(eve)).length;
    const res = await request(t.http).post('/api/v1/me/addresses').set(...bearer(eve)).send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(await addressesOf(eve)).toHaveLength(before);
  });

  it("answers 404 for another user's address and changes nothing", async () => {
    const adaAddress = (await request(t.http).post('/api/v1/me/addresses').set(...bearer(ada)).send(office).expect(201)).body;
    await request(t.http).get(`/api/v1/me/addresses/${adaAddress.id}`).set(...bearer(eve)).expect(404);
    await request(t.http).patch(`/api/v1/me/addresses/${adaAddress.id}`).set(...bearer(eve)).send({ city: 'Hacked' }).expect(404);
    await request(t.http).delete(`/api/v1/me/addresses/${adaAddress.id}`).set(...bearer(eve)).expect(404);
    const still = await request(t.http).get(`/api/v1/me/addresses/${adaAddress.id}`).set(...bearer(ada)).expect(200);
    expect(still.body.city).toBe(office.city);
  });

  it('refuses a blank required line with 400 naming it, as the OpenAPI document says (pattern \\S), and changes nothing', async () => {
    const created = (await request(t.http).post('/api/v1/me/addresses').set(...bearer(eve)).send(home).expect(201)).body;
    const refused = await request(t.http).patch(`/api/v1/me/addresses/${created.id}`).set(...bearer(eve)).send({ city: '\n', line1: '0' }).expect(400);
    expect(refused.body.message).toContain('city must not be blank');
    expect((await addressesOf(eve)).find((address: { id: string }) => address.id === created.id)).toMatchObject({ city: home.city, line1: home.line1 });
    const document = (await request(t.http).get('/docs-json').expect(200)).body;
    expect(document.components.schemas.UpdateAddressDto.properties.city).toMatchObject({ minLength: 1, pattern: '\\S' });
  });

  it('answers 400 for a malformed address id and 401 without a token', async () => {
    await request(t.http).patch('/api/v1/me/addresses/not-an-id').set(...bearer(ada)).send({ city: 'X' }).expect(400);
    await request(t.http).get('/api/v1/me/addresses').expect(401);
  });

  it('never ends with two defaults when many default addresses are added at once', async () => {
    const carol = await registerCustomer(t, 'carol');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        request(t.http).post('/api/v1/me/addresses').set(...bearer(carol)).send({ ...home, line1: `${i} Parallel St`, isDefault: true }),
      ),
    );
    const created = results.filter((res) => res.status === 201).length;
    expect(results.every((res) => res.status === 201 || res.status === 409)).toBe(true);
    const list = await addressesOf(carol);
    expect(list).toHaveLength(created);
    expect(list.filter((address: { isDefault: boolean }) => address.isDefault)).toHaveLength(1);
  });
});
