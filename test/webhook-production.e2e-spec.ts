import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { bearer, login, registerCustomer } from './support/accounts';
import { Shop } from './support/shop';
import { createTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';

interface Delivery {
  id: string;
  status: string;
  attempts: { statusCode?: number; error?: string }[];
}

/**
 * The app in production mode: a webhook target that resolves to this machine is refused when the
 * delivery is sent (the check runs at connect time, so a DNS change after the endpoint was saved
 * cannot aim a delivery inside). Production refuses published secrets and test payments, so the
 * app gets secrets of its own and ALLOW_TEST_PAYMENTS=true for the local stripe-mock.
 */
describe('Outgoing webhooks in production', () => {
  let t: TestApp;
  let shop: Shop;
  let admin: [string, string];
  let receiver: Server;
  let hits = 0;
  const adminEmail = 'prod-admin@example.test';
  const adminPassword = `Vx${randomBytes(12).toString('base64url')}`;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      hits += 1;
      req.resume().on('end', () => res.writeHead(200).end('ok'));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({
      env: {
        NODE_ENV: 'production',
        RUN_WORKER_IN_API: 'true',
        ALLOW_TEST_PAYMENTS: 'true',
        WEBHOOK_MAX_ATTEMPTS: '1',
        ADMIN_EMAIL: adminEmail,
        ADMIN_PASSWORD: adminPassword,
        STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(20).toString('hex')}`,
        // No image is stored here; a key of its own only because production refuses MinIO's default.
        S3_ACCESS_KEY_ID: 'shop-media-writer',
        S3_SECRET_ACCESS_KEY: randomBytes(20).toString('hex'),
      },
    });
    const account = await login(t, adminEmail, adminPassword);
    admin = bearer(account);
    shop = new Shop(t.http, account);
  });
  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('refuses a target resolving to 127.0.0.1 at send time: the attempt is logged with the reason, the receiver is never hit', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const byName = `http://localhost:${port}/hook`;
    // The receiver answers at that name: silence below is the refusal, not a dead port. (fetch, not
    // node:http, whose shared keep-alive pool would hand the app this already-connected socket.)
    expect((await fetch(byName, { method: 'POST', body: '{}' })).status).toBe(200);
    expect(hits).toBe(1);

    const hooks = await Promise.all(
      [byName, `http://127.0.0.1:${port}/hook`].map(async (url) =>
        (await request(t.http).post('/api/v1/admin/webhooks').set(...admin).send({ url, events: ['order.placed'] }).expect(201)).body as { id: string },
      ),
    );
    const { id: productId } = await shop.createProduct({ stock: 5 });
    await shop.placeOrder(await registerCustomer(t, 'prod-hook'), [[productId, 1]]);

    const settled = async (endpointId: string): Promise<Delivery> => {
      let delivery: Delivery | undefined;
      await waitFor(async () => {
        [delivery] = (await request(t.http).get(`/api/v1/admin/webhooks/${endpointId}/deliveries`).set(...admin).expect(200)).body.items as Delivery[];
        return delivery !== undefined && delivery.status !== 'pending';
      }, `the delivery of endpoint ${endpointId} to settle`, 30_000);
      return delivery!;
    };
    const [named, literal] = await Promise.all(hooks.map((hook) => settled(hook.id)));
    expect(named).toMatchObject({ status: 'failed', attempts: [{ error: expect.stringMatching(/^localhost resolves to an internal address \(127\.0\.0\.1\); refused/) }] });
    expect(named.attempts[0].statusCode).toBeUndefined();
    expect(literal).toMatchObject({ status: 'failed', attempts: [{ error: '127.0.0.1 is an internal address; refused' }] });
    expect(hits).toBe(1);
  });
});
