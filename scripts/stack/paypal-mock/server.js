#!/usr/bin/env node
// A small PayPal REST test double for the local stack and the tests. NOT PayPal: it answers
// the few endpoints the shop's PayPal provider calls, with the request and response shapes of
// PayPal's documentation, and keeps orders in memory so that create → approve → capture →
// refund is stateful. The provider does not know it talks to this: only PAYPAL_API_BASE differs.
//
//   node scripts/stack/paypal-mock/server.js [--port 12113]      (or PAYPAL_MOCK_PORT)
//
// PayPal's endpoints (Bearer token from /v1/oauth2/token required on all but the token call):
//   POST /v1/oauth2/token                         client credentials (HTTP Basic, any non-empty id and secret)
//   POST /v2/checkout/orders                      create (PayPal-Request-Id replays the first answer)
//   GET  /v2/checkout/orders/{id}                 show
//   POST /v2/checkout/orders/{id}/capture         capture an APPROVED order (PayPal-Request-Id replays;
//                                                 422 ORDER_NOT_APPROVED / ORDER_ALREADY_CAPTURED otherwise)
//   POST /v2/payments/captures/{id}/refund        refund (PayPal-Request-Id replays)
//   POST /v1/notifications/verify-webhook-signature
//        SUCCESS when transmission_sig = base64(HMAC-SHA256(signing key,
//        "<transmission_id>|<transmission_time>|<webhook_id>|<crc32 of JSON.stringify(webhook_event)>"))
//        — the input of PayPal's real signature, with an HMAC instead of PayPal's RSA key, so tests
//        can produce valid and invalid signatures. Signing key: PAYPAL_MOCK_SIGNING_KEY
//        (default "paypal-mock-signing-key"); cert_url and auth_algo are not checked.
// Test-only endpoints (no token), standing in for the buyer and for looking behind the counter:
//   POST /mock/orders/{id}/approve                the buyer approves the order on PayPal's site
//   GET  /mock/orders/{id}                        the order as stored, with its refunds
//   GET  /mock/clients/{client id}                how many access tokens that client was given
//   GET  /mock/health                             readiness probe of the stack scripts
// Everything is lost when it stops; it listens on 127.0.0.1 only.
'use strict';

const http = require('node:http');
const { createHmac, randomBytes } = require('node:crypto');
const { crc32 } = require('node:zlib');

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const port = Number(portArg >= 0 ? args[portArg + 1] : (process.env.PAYPAL_MOCK_PORT ?? 12113));
const signingKey = process.env.PAYPAL_MOCK_SIGNING_KEY ?? 'paypal-mock-signing-key';
const TOKEN_SECONDS = 32_400; // what PayPal's sandbox hands out (9 hours)

const tokens = new Map(); // access token -> { clientId, expiresAt (ms) }
const tokensIssued = new Map(); // client id -> count
const orders = new Map(); // PayPal order id -> order
const captures = new Map(); // capture id -> PayPal order id
const replays = new Map(); // "<client id>:<operation>:<PayPal-Request-Id>" -> [status, body]

const id = (length = 17) => randomBytes(length).toString('hex').toUpperCase().slice(0, length);
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

class PayPalError extends Error {
  constructor(status, name, issue, description) {
    super(description);
    this.status = status;
    this.body = {
      name,
      message: description,
      debug_id: id(13).toLowerCase(),
      ...(issue && { details: [{ issue, description }] }),
    };
  }
}
const unprocessable = (issue, description) => new PayPalError(422, 'UNPROCESSABLE_ENTITY', issue, description);
const invalidRequest = (issue, description) => new PayPalError(400, 'INVALID_REQUEST', issue, description);
const notFound = () => new PayPalError(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');

function base(req) {
  return `http://${req.headers.host}`;
}

function orderView(req, order) {
  const self = `${base(req)}/v2/checkout/orders/${order.id}`;
  const links = [{ href: self, rel: 'self', method: 'GET' }];
  if (order.status === 'CREATED') {
    // PayPal names the buyer's link `payer-action` when payment_source.paypal is given, `approve` otherwise.
    links.push({ href: `${base(req)}/checkoutnow?token=${order.id}`, rel: order.payerAction ? 'payer-action' : 'approve', method: 'GET' });
  }
  if (order.status === 'APPROVED') links.push({ href: `${self}/capture`, rel: 'capture', method: 'POST' });
  return {
    id: order.id,
    intent: order.intent,
    status: order.status,
    ...(order.payer && { payer: order.payer }),
    purchase_units: order.purchaseUnits.map((unit) => ({
      ...unit,
      ...(order.captures.length > 0 && { payments: { captures: order.captures.map((capture) => captureView(req, capture)) } }),
    })),
    create_time: order.createTime,
    ...(order.updateTime && { update_time: order.updateTime }),
    links,
  };
}

function captureView(req, capture) {
  return {
    id: capture.id,
    status: capture.status,
    amount: capture.amount,
    final_capture: true,
    ...(capture.customId && { custom_id: capture.customId }),
    supplementary_data: { related_ids: { order_id: capture.orderId } },
    create_time: capture.createTime,
    update_time: capture.updateTime,
    links: [
      { href: `${base(req)}/v2/payments/captures/${capture.id}`, rel: 'self', method: 'GET' },
      { href: `${base(req)}/v2/payments/captures/${capture.id}/refund`, rel: 'refund', method: 'POST' },
      { href: `${base(req)}/v2/checkout/orders/${capture.orderId}`, rel: 'up', method: 'GET' },
    ],
  };
}

function createOrder(req, body) {
  if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE') throw invalidRequest('INVALID_PARAMETER_VALUE', 'intent must be CAPTURE or AUTHORIZE.');
  const units = body.purchase_units;
  if (!Array.isArray(units) || units.length === 0) throw invalidRequest('MISSING_REQUIRED_PARAMETER', 'purchase_units is required.');
  for (const unit of units) {
    const amount = unit.amount ?? {};
    if (!/^[A-Z]{3}$/.test(amount.currency_code ?? '')) throw invalidRequest('INVALID_CURRENCY_CODE', 'Currency code is invalid.');
    if (!/^\d{1,10}(\.\d{1,2})?$/.test(amount.value ?? '')) throw invalidRequest('INVALID_PARAMETER_SYNTAX', 'amount.value is invalid.');
  }
  const order = {
    id: id(17),
    intent: body.intent,
    status: 'CREATED',
    payerAction: Boolean(body.payment_source?.paypal),
    purchaseUnits: units.map((unit, index) => ({ reference_id: unit.reference_id ?? (index === 0 ? 'default' : String(index)), ...unit })),
    captures: [],
    refunds: [],
    createTime: now(),
  };
  orders.set(order.id, order);
  return [201, orderView(req, order)];
}

function captureOrder(req, orderId) {
  const order = orders.get(orderId);
  if (!order) throw notFound();
  if (order.status === 'COMPLETED') throw unprocessable('ORDER_ALREADY_CAPTURED', 'Order already captured.');
  if (order.status !== 'APPROVED') throw unprocessable('ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.');
  const unit = order.purchaseUnits[0];
  const capture = {
    id: id(17),
    orderId,
    status: 'COMPLETED',
    amount: unit.amount,
    customId: unit.custom_id,
    createTime: now(),
    updateTime: now(),
  };
  order.captures.push(capture);
  captures.set(capture.id, orderId);
  order.status = 'COMPLETED';
  order.updateTime = now();
  return [201, orderView(req, order)];
}

function refundCapture(req, captureId, body) {
  const order = orders.get(captures.get(captureId));
  const capture = order?.captures.find((candidate) => candidate.id === captureId);
  if (!capture) throw notFound();
  if (capture.status === 'REFUNDED') throw unprocessable('CAPTURE_FULLY_REFUNDED', 'The capture has already been fully refunded.');
  const cents = (value) => Math.round(Number(value) * 100);
  const refunded = order.refunds.filter((refund) => refund.captureId === captureId).reduce((sum, refund) => sum + cents(refund.amount.value), 0);
  const amount = body.amount ?? { currency_code: capture.amount.currency_code, value: ((cents(capture.amount.value) - refunded) / 100).toFixed(2) };
  if (amount.currency_code !== capture.amount.currency_code) throw unprocessable('REFUND_CURRENCY_MISMATCH', 'Refund currency must match the capture.');
  if (refunded + cents(amount.value) > cents(capture.amount.value)) throw unprocessable('REFUND_AMOUNT_EXCEEDED', 'The refund amount exceeds the capture.');
  const refund = { id: id(17), captureId, status: 'COMPLETED', amount, create_time: now() };
  order.refunds.push(refund);
  capture.status = refunded + cents(amount.value) === cents(capture.amount.value) ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
  capture.updateTime = now();
  return [
    201,
    {
      id: refund.id,
      status: refund.status,
      amount,
      create_time: refund.create_time,
      links: [
        { href: `${base(req)}/v2/payments/refunds/${refund.id}`, rel: 'self', method: 'GET' },
        { href: `${base(req)}/v2/payments/captures/${captureId}`, rel: 'up', method: 'GET' },
      ],
    },
  ];
}

function verifySignature(body) {
  const required = ['auth_algo', 'cert_url', 'transmission_id', 'transmission_sig', 'transmission_time', 'webhook_id', 'webhook_event'];
  const missing = required.filter((field) => body[field] === undefined || body[field] === '');
  if (missing.length > 0) throw invalidRequest('MISSING_REQUIRED_PARAMETER', `Missing: ${missing.join(', ')}.`);
  const expected = signature(body.transmission_id, body.transmission_time, body.webhook_id, JSON.stringify(body.webhook_event));
  return [200, { verification_status: expected === body.transmission_sig ? 'SUCCESS' : 'FAILURE' }];
}

function signature(transmissionId, transmissionTime, webhookId, payload) {
  const input = `${transmissionId}|${transmissionTime}|${webhookId}|${crc32(Buffer.from(payload))}`;
  return createHmac('sha256', signingKey).update(input).digest('base64');
}

function issueToken(req) {
  const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
  const [clientId, secret] = Buffer.from(encoded ?? '', 'base64').toString().split(':');
  if (scheme !== 'Basic' || !clientId || !secret) {
    return [401, { error: 'invalid_client', error_description: 'Client Authentication failed' }];
  }
  const token = `A21AA${randomBytes(24).toString('base64url')}`;
  tokens.set(token, { clientId, expiresAt: Date.now() + TOKEN_SECONDS * 1000 });
  tokensIssued.set(clientId, (tokensIssued.get(clientId) ?? 0) + 1);
  return [200, { scope: 'https://uri.paypal.com/services/payments/payment', access_token: token, token_type: 'Bearer', app_id: 'APP-MOCK', expires_in: TOKEN_SECONDS, nonce: id(20) }];
}

/** The client id behind a valid Bearer token, or undefined. */
function clientOf(req) {
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  const entry = scheme === 'Bearer' ? tokens.get(token) : undefined;
  return entry && entry.expiresAt > Date.now() ? entry.clientId : undefined;
}

/** Same PayPal-Request-Id (per client) for the same operation → the first answer again, nothing done twice. */
function once(req, operation, handler) {
  const requestId = req.headers['paypal-request-id'];
  if (!requestId) return handler();
  const key = `${clientOf(req)}:${operation}:${requestId}`;
  if (!replays.has(key)) replays.set(key, handler());
  return replays.get(key);
}

function route(req, body) {
  const path = new URL(req.url, 'http://mock').pathname;
  const post = req.method === 'POST';
  let match;
  if (req.method === 'GET' && path === '/mock/health') return [200, { paypalMock: true, orders: orders.size }];
  if (post && (match = /^\/mock\/orders\/([\w-]+)\/approve$/.exec(path))) {
    const order = orders.get(match[1]);
    if (!order) throw notFound();
    if (order.status !== 'CREATED' && order.status !== 'APPROVED') throw unprocessable('ORDER_CANNOT_BE_APPROVED', `Order is ${order.status}.`);
    order.status = 'APPROVED';
    order.payer = { payer_id: id(13), email_address: 'buyer@example.test', name: { given_name: 'Test', surname: 'Buyer' } };
    return [200, orderView(req, order)];
  }
  if (req.method === 'GET' && (match = /^\/mock\/orders\/([\w-]+)$/.exec(path))) {
    const order = orders.get(match[1]);
    if (!order) throw notFound();
    return [200, { ...orderView(req, order), refunds: order.refunds }];
  }
  if (req.method === 'GET' && (match = /^\/mock\/clients\/([^/]+)$/.exec(path))) {
    return [200, { clientId: decodeURIComponent(match[1]), tokensIssued: tokensIssued.get(decodeURIComponent(match[1])) ?? 0 }];
  }
  if (req.method === 'GET' && path === '/checkoutnow') {
    return [200, { message: 'PayPal test double: no buyer pages here. Approve with POST /mock/orders/{id}/approve.' }];
  }
  if (post && path === '/v1/oauth2/token') return issueToken(req);

  if (!clientOf(req)) return [401, { error: 'invalid_token', error_description: 'Token signature verification failed' }];
  if (post && path === '/v2/checkout/orders') return once(req, 'create', () => createOrder(req, body));
  if (req.method === 'GET' && (match = /^\/v2\/checkout\/orders\/([\w-]+)$/.exec(path))) {
    const order = orders.get(match[1]);
    if (!order) throw notFound();
    return [200, orderView(req, order)];
  }
  if (post && (match = /^\/v2\/checkout\/orders\/([\w-]+)\/capture$/.exec(path))) return once(req, `capture:${match[1]}`, () => captureOrder(req, match[1]));
  if (post && (match = /^\/v2\/payments\/captures\/([\w-]+)\/refund$/.exec(path))) return once(req, `refund:${match[1]}`, () => refundCapture(req, match[1], body));
  if (post && path === '/v1/notifications/verify-webhook-signature') return verifySignature(body);
  return [404, { name: 'RESOURCE_NOT_FOUND', message: `No route ${req.method} ${path} in the PayPal test double.` }];
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let status;
    let payload;
    try {
      const raw = Buffer.concat(chunks).toString();
      const body = raw && (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(raw) : {};
      [status, payload] = route(req, body);
    } catch (error) {
      if (error instanceof PayPalError) {
        [status, payload] = [error.status, error.body];
      } else if (error instanceof SyntaxError) {
        [status, payload] = [400, { name: 'INVALID_REQUEST', message: 'Request is not well-formed JSON.' }];
      } else {
        console.error(error);
        [status, payload] = [500, { name: 'INTERNAL_SERVER_ERROR', message: String(error) }];
      }
    }
    res.writeHead(status, { 'Content-Type': 'application/json', 'PayPal-Debug-Id': id(13).toLowerCase() });
    res.end(JSON.stringify(payload));
  });
});

server.listen(port, '127.0.0.1', () => console.log(`paypal-mock: PayPal test double on http://127.0.0.1:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
