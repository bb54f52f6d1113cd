#!/usr/bin/env node
// Password-reset emails per second that ONE worker process (dist/src/worker.js) sends to MailDev.
//
//   npm run build && node scripts/bench/email-throughput.js [count=500]
//   (with the project's Node 24 first on the PATH: `. scripts/env.sh`)
//
// Uses the local stack's MongoDB (TEST_MONGODB_URI or mongodb://127.0.0.1:27018) and Redis
// (REDIS_URL or redis://127.0.0.1:6379) under a database and key prefix of its own, removed at the
// end, and a private MailDev it starts and stops (so the shared one is not flooded). Creates
// `count` accounts (one per email: an account gets at most 3 reset emails an hour) and queues a
// `password-reset` job for each, as the API does, then starts the worker and reports
// jobs / (last finish - first start) from Bull's own timestamps. Per email: find the account,
// count it against the hourly limit, claim in the MongoDB ledger, issue the token, render, SMTP
// send, mark sent, complete.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { createServer, Socket } = require('node:net');
const { homedir } = require('node:os');
const { join } = require('node:path');
const Bull = require('bull');
const mongoose = require('mongoose');

const root = join(__dirname, '..', '..');
const count = Number(process.argv[2] ?? 500);
const runId = `bench_${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const canConnect = (port) =>
  new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function main() {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  const cache = process.env.STACK_CACHE_DIR ?? join(homedir(), '.cache', 'shop-backend');
  const maildev = spawn(join(cache, 'maildev', 'node_modules', '.bin', 'maildev'), [
    '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--smtp', String(smtpPort), '--web', String(webPort),
  ], { stdio: 'ignore' });
  const mongoUri = `${(process.env.TEST_MONGODB_URI ?? 'mongodb://127.0.0.1:27018').replace(/\/$/, '')}/${runId}`;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const env = {
    PATH: process.env.PATH,
    // JSON logs as in production; production itself refuses the local stack's published credentials.
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MONGODB_URI: mongoUri,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: runId,
    JWT_ACCESS_SECRET: randomBytes(32).toString('hex'),
    S3_BUCKET: 'shop-media',
    S3_PUBLIC_URL: 'http://127.0.0.1:9000/shop-media',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtpPort),
    // Required settings the benchmark does not use (no payment is taken, no backup runs).
    STRIPE_SECRET_KEY: 'sk_test_bench',
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    BACKUP_CRON: 'off',
  };
  const queue = new Bull('mail', { redis: redisUrl, prefix: `${runId}:bull` });
  let worker;
  try {
    await until(async () => (await canConnect(smtpPort)) && (await canConnect(webPort)), 'MailDev');
    // The accounts, written as the users collection holds them; nobody logs in, so the password
    // hash is a placeholder.
    const setup = await mongoose.createConnection(mongoUri).asPromise();
    const now = new Date();
    const emails = Array.from({ length: count }, (_, i) => `bench-${i}@example.test`);
    await setup.collection('users').insertMany(
      emails.map((email, i) => ({ email, name: `Bench ${i}`, role: 'customer', passwordHash: 'unused', addresses: [], createdAt: now, updatedAt: now })),
    );
    await setup.close();
    const ids = [];
    for (let i = 0; i < count; i += 100) {
      const batch = emails.slice(i, i + 100).map((email) => {
        const id = `password-reset:${randomUUID()}`;
        ids.push(id);
        return { name: 'password-reset', data: { email }, opts: { jobId: id, attempts: 5 } };
      });
      await queue.addBulk(batch);
    }
    let output = '';
    worker = spawn(process.execPath, [join(root, 'dist', 'src', 'worker.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout.on('data', (chunk) => (output += chunk));
    worker.stderr.on('data', (chunk) => (output += chunk));
    let exited = null;
    worker.once('exit', (code, signal) => (exited = `${code ?? signal}`));
    await until(async () => {
      if (exited !== null) throw new Error(`the worker exited (${exited}) before the jobs were done:\n${output.split('\n').slice(-20).join('\n')}`);
      return (await queue.getCompletedCount()) + (await queue.getFailedCount()) >= count;
    }, `${count} jobs`, 600_000);
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    const failed = (await queue.getFailedCount());
    const first = Math.min(...jobs.map((job) => job.processedOn));
    const last = Math.max(...jobs.map((job) => job.finishedOn));
    const caught = (await (await fetch(`http://127.0.0.1:${webPort}/api/email`)).json()).length;
    const seconds = (last - first) / 1000;
    console.log(`emails queued: ${count}, sent: ${jobs.filter((job) => job.returnvalue === 'sent').length}, failed: ${failed}, caught by MailDev: ${caught}`);
    console.log(`one worker: ${(count / seconds).toFixed(1)} password-reset emails/s (${seconds.toFixed(2)} s from first start to last completion)`);
    if (failed > 0 || caught !== count) console.log(output.split('\n').slice(-20).join('\n'));
  } finally {
    if (worker && worker.exitCode === null && worker.signalCode === null) {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
    const keys = await queue.client.keys(`${runId}:*`);
    if (keys.length > 0) await queue.client.del(...keys);
    await queue.close();
    const connection = await mongoose.createConnection(mongoUri).asPromise();
    await connection.dropDatabase();
    await connection.close();
    maildev.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
