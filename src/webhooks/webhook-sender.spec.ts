import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isInternalAddress, sendWebhook, webhookSignature } from './webhook-sender';

describe('webhook sender', () => {
  let server: Server;
  let hits = 0;
  let port: number;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits += 1;
      if (req.url === '/redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(200).end('y'.repeat(5000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('signs "<timestamp>.<body>" with HMAC-SHA256, hex, prefixed v1=', () => {
    const expected = createHmac('sha256', 'whsec_abc').update('1700000000.{"a":1}').digest('hex');
    expect(webhookSignature('whsec_abc', 1700000000, '{"a":1}')).toBe(`v1=${expected}`);
  });

  it.each([['127.0.0.1'], ['10.1.2.3'], ['172.20.0.1'], ['192.168.1.1'], ['169.254.169.254'], ['::1'], ['fe80::1'], ['fd00::1'], ['::ffff:127.0.0.1'], ['0.0.0.0']])('%s is internal', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each([['93.184.216.34'], ['1.1.1.1'], ['2606:4700:4700::1111']])('%s is public', (address) => {
    expect(isInternalAddress(address)).toBe(false);
  });

  it('keeps 1 kB of the answer and follows no redirect', async () => {
    const ok = await sendWebhook(`http://127.0.0.1:${port}/`, {}, '{}', false);
    expect(ok).toMatchObject({ statusCode: 200 });
    expect(ok.responseBody).toHaveLength(1024);
    const before = hits;
    expect(await sendWebhook(`http://127.0.0.1:${port}/redirect`, {}, '{}', false)).toMatchObject({ statusCode: 302 });
    expect(hits).toBe(before + 1);
  });

  it('in production refuses targets that are or resolve to internal addresses, before connecting', async () => {
    const before = hits;
    const literal = await sendWebhook(`http://127.0.0.1:${port}/`, {}, '{}', true);
    expect(literal.statusCode).toBeUndefined();
    expect(literal.error).toMatch(/internal address/);
    const named = await sendWebhook(`http://localhost:${port}/`, {}, '{}', true);
    expect(named.statusCode).toBeUndefined();
    expect(named.error).toMatch(/internal address/);
    expect(hits).toBe(before);
  });
});
