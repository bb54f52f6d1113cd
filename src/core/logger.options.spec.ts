import express from 'express';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import pinoHttp, { type Options } from 'pino-http';
import type { AppConfig } from '../config/app-config';
import { loggerOptions, redactUrl } from './logger.options';

const config = { get: (key: string) => ({ LOG_LEVEL: 'info', NODE_ENV: 'production' })[key] } as unknown as AppConfig;

describe('request logs', () => {
  it('never hold the queue dashboard ticket, neither in the URL nor in the query', async () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const app = express()
      .use(pinoHttp(loggerOptions(config).pinoHttp as Options, stream))
      .get('/api/v1/admin/queues', (_req, res) => res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const ticket = 'eyJhbGciOiJIUzI1NiJ9.secret-ticket-value.signature';
    try {
      const { port } = server.address() as AddressInfo;
      await fetch(`http://127.0.0.1:${port}/api/v1/admin/queues?activeQueue=mail&ticket=${ticket}&x=1`);
    } finally {
      server.close();
    }
    const [record] = lines.map((line) => JSON.parse(line) as { req: { url: string; query: Record<string, string> } });
    expect(lines.join('\n')).not.toContain('secret-ticket-value');
    expect(record.req.url).toBe('/api/v1/admin/queues?activeQueue=mail&ticket=[redacted]&x=1');
    expect(record.req.query).toEqual({ activeQueue: 'mail', ticket: '[redacted]', x: '1' });
  });

  it('redacts the parameter however it is spelled in the URL, and leaves other URLs alone', () => {
    expect(redactUrl('/a?%74icket=abc')).toBe('/a?%74icket=[redacted]');
    expect(redactUrl('/a?ticket=abc&ticket=def')).toBe('/a?ticket=[redacted]&ticket=[redacted]');
    expect(redactUrl('/a?tickets=abc')).toBe('/a?tickets=abc');
    expect(redactUrl('/a/ticket=abc')).toBe('/a/ticket=abc');
  });
});
