import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** What the delivery log keeps of a receiver's answer. */
export const RESPONSE_BODY_KEPT = 1024;

export interface SendOutcome {
  statusCode?: number;
  error?: string;
  durationMs: number;
  responseBody?: string;
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>` (API.md). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Loopback, private, link-local and other addresses that are not on the public internet. */
const INTERNAL = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) {
  INTERNAL.addSubnet(net, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isInternalAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * A DNS lookup that refuses internal addresses. It runs when the socket connects, so the address
 * checked is the address used: a name that resolves elsewhere later cannot aim a delivery inside.
 */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 4);
    const refused = addresses.find((candidate) => isInternalAddress(candidate.address));
    if (refused || addresses.length === 0) {
      return callback(Object.assign(new Error(`${hostname} resolves to an internal address (${refused?.address ?? 'none'}); refused`), { code: 'EINTERNALTARGET' }), '', 4);
    }
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/**
 * One POST of a delivery: no redirects followed (a 3xx is an answer like any other non-2xx),
 * 10 s for the whole exchange, the first 1 kB of the answer kept. `publicOnly` (production)
 * refuses targets resolving to internal addresses, IP literals included.
 */
export function sendWebhook(url: string, headers: Record<string, string>, body: string, publicOnly: boolean): Promise<SendOutcome> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ error: 'Invalid URL', durationMs: elapsed() });
    }
    const literal = target.hostname.replace(/^\[|\]$/g, '');
    if (publicOnly && isIP(literal) && isInternalAddress(literal)) {
      return resolve({ error: `${literal} is an internal address; refused`, durationMs: elapsed() });
    }
    const client = target.protocol === 'https:' ? https : http;
    const request = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), 'user-agent': 'shop-backend-webhooks', ...headers },
        // A connection of its own every time: a socket from the process's shared keep-alive pool
        // was opened without the lookup check below (seen in a test), so it could reach inside.
        agent: false,
        ...(publicOnly && { lookup: publicOnlyLookup }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < RESPONSE_BODY_KEPT) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.on('end', () => finish({ statusCode: response.statusCode, responseBody: Buffer.concat(chunks).subarray(0, RESPONSE_BODY_KEPT).toString('utf8') }));
        response.on('error', (error) => finish({ statusCode: response.statusCode, error: error.message }));
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`No answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`)), WEBHOOK_TIMEOUT_MS);
    let done = false;
    function finish(outcome: Omit<SendOutcome, 'durationMs'>): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: elapsed() });
    }
    request.on('error', (error) => finish({ error: error.message }));
    request.end(body);
  });
}
