import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; createdAt: string; sequence: number; data: { id: string; status: string; [field: string]: unknown } };
}

/** A real HTTP receiver on 127.0.0.1: answers each path with the next status of its script (then the last one). */
export class Receiver {
  readonly received: Received[] = [];
  private readonly scripts = new Map<string, number[]>();
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.received.push({ path: req.url!, headers: req.headers, raw, body: JSON.parse(raw) });
        const script = this.scripts.get(req.url!) ?? [200];
        const status = script.length > 1 ? script.shift()! : script[0];
        res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status} ${'x'.repeat(2000)}`);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string, statuses: number[] = [200]): string {
    this.scripts.set(path, [...statuses]);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Received[] {
    return this.received.filter((item) => item.path === path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** What a receiver does (README): HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint's secret. */
export function verifies(received: Received, secret: string): boolean {
  const timestamp = received.headers['shop-webhook-timestamp'] as string;
  const expected = `v1=${createHmac('sha256', secret).update(`${timestamp}.${received.raw}`).digest('hex')}`;
  return received.headers['shop-webhook-signature'] === expected;
}
