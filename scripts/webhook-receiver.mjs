#!/usr/bin/env node
// A webhook receiver for trying outgoing webhooks locally: listens on a port, verifies each
// delivery's Shop-Webhook-Signature with the endpoint's secret and prints one line per delivery.
// Plain Node, no dependencies:
//
//   WEBHOOK_SECRET=whsec_… node scripts/webhook-receiver.mjs [--port 4000] [--secret whsec_…]
//
// Register http://127.0.0.1:4000/ as the endpoint's URL (outside production: production refuses
// targets on this machine). Answers 200 to a valid delivery and 400 to an invalid one, so the
// shop retries what this receiver refused, as it would at a real receiver.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const TOLERANCE_SECONDS = 300;

const { values } = parseArgs({
  options: { port: { type: 'string', default: process.env.PORT ?? '4000' }, secret: { type: 'string', default: process.env.WEBHOOK_SECRET } },
});
if (!values.secret) {
  console.error('usage: WEBHOOK_SECRET=whsec_… node scripts/webhook-receiver.mjs [--port 4000] (or --secret whsec_…)');
  process.exit(2);
}
const secret = values.secret;

/** Why the delivery cannot be trusted, or undefined when the signature holds (README, "Outgoing webhooks"). */
function signatureProblem(rawBody, headers) {
  const timestamp = headers['shop-webhook-timestamp'];
  if (!/^\d+$/.test(timestamp ?? '')) return 'no timestamp';
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return 'stale timestamp';
  const expected = 'v1=' + createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  const given = String(headers['shop-webhook-signature'] ?? '');
  const matches = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  return matches ? undefined : 'bad signature';
}

function parsed(raw) {
  try {
    return JSON.parse(raw);
  } catch {
    return {};
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const problem = signatureProblem(raw, req.headers);
    const body = parsed(raw);
    const verdict = problem ? `invalid (${problem})` : 'valid';
    console.log(
      `${new Date().toISOString()} ${req.method} ${req.url} id=${req.headers['shop-webhook-id'] ?? '-'} type=${body.type ?? '-'} ` +
        `sequence=${body.sequence ?? '-'} ${verdict}`,
    );
    if (!problem && body.data) console.log(`  data: ${JSON.stringify(body.data)}`);
    res.writeHead(problem ? 400 : 200, { 'content-type': 'text/plain' }).end(problem ?? 'ok');
  });
});

server.listen(Number(values.port), '127.0.0.1', () => console.log(`webhook receiver listening on http://127.0.0.1:${server.address().port}/`));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
