import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { Account, bearer, registerCustomer } from './support/accounts';
import { createTestApp, TestApp } from './support/test-app';

/**
 * The refusals of the JWT strategy, the roles guard and the Idempotency-Key header are domain
 * errors mapped by the exception filter; their bodies are those the API always gave.
 */
describe('Error bodies of authentication, roles and headers', () => {
  let t: TestApp;
  let customer: Account;

  beforeAll(async () => {
    t = await createTestApp();
    customer = await registerCustomer(t, 'error-bodies');
  });
  afterAll(() => t.close());

  it('answers a token whose session has ended with 401 and says so', async () => {
    const leaving = await registerCustomer(t, 'error-bodies-leaving');
    await request(t.http).post('/api/v1/auth/logout').set(...bearer(leaving)).expect(204);
    const res = await request(t.http).get('/api/v1/auth/me').set(...bearer(leaving)).expect(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Session has ended; log in again' });
  });

  it('answers a well-signed token without a subject or session with a bare 401', async () => {
    const signer = new JwtService({ secret: t.env.JWT_ACCESS_SECRET, signOptions: { algorithm: 'HS256', expiresIn: 60 } });
    const token = await signer.signAsync({ role: 'admin' });
    const res = await request(t.http).get('/api/v1/auth/me').set('Authorization', `Bearer ${token}`).expect(401);
    expect(res.body).toEqual({ statusCode: 401, error: 'Unauthorized', message: 'Unauthorized' });
  });

  it('answers a customer on an admin route with 403 naming the role', async () => {
    const res = await request(t.http).get('/api/v1/admin/users').set(...bearer(customer)).expect(403);
    expect(res.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'This route needs one of the roles: admin' });
  });

  it('answers a malformed Idempotency-Key with 400 and places nothing', async () => {
    const res = await request(t.http).post('/api/v1/checkout').set(...bearer(customer)).set('Idempotency-Key', 'has spaces in it').send({}).expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'Idempotency-Key must be 1 to 128 visible ASCII characters' });
    const orders = await request(t.http).get('/api/v1/orders').set(...bearer(customer)).expect(200);
    expect(orders.body.total).toBe(0);
  });
});
