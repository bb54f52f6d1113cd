// Summarises a V8 .cpuprofile (node --cpu-prof): where the samples fell, by concern, by package
// and by function (self time). Async work is split across stacks, so self time is what adds up.
const CONCERNS = [
  ['throttling (Redis counter per request)', /@nestjs\/throttler|redis-throttler/],
  ['auth guards', /\/auth\/guards\/|@nestjs\/passport|passport/],
  ['logging (pino)', /pino|nestjs-pino|sonic-boom|thread-stream/],
  ['catalog cache (interceptor, version)', /catalog-cache|catalog-version|products\.store/],
  ['Redis clients (ioredis, keyv/node-redis)', /ioredis|@redis\/|@keyv|keyv|cache-manager|redis-parser|cluster-key-slot/],
  ['helmet and cors', /helmet|\/cors\//],
  ['Nest core and platform', /@nestjs\/(core|common|platform-express)|rxjs|reflect-metadata/],
  ['Express and its routing', /\/express\/|router|path-to-regexp|body-parser|send|etag|fresh|finalhandler|on-finished|qs\/|content-type|type-is|mime/],
  ['node http and sockets', /^node:(_http|http|net|stream|internal\/(http|streams|net|stream_base))|node:internal\/(http|streams|net|stream_base|timers|process\/task_queues|async_hooks)/],
];

function packageOf(url) {
  if (!url) return '(native, V8)';
  const match = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (match) return match[1];
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  const app = url.match(/dist\/src\/(.+)$/);
  return app ? `app: ${app[1]}` : url;
}

/**
 * `windows` = [from, to] pairs in ms since the profile started (or one pair): only samples in
 * one of them count (leave out start-up, shutdown and the phases not being looked at).
 */
exports.print = function print(profile, windows = [0, Infinity]) {
  const spans = Array.isArray(windows[0]) ? windows : [windows];
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfMs = new Map();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    at += delta;
    if (!spans.some(([from, to]) => at >= from && at <= to)) continue;
    const id = profile.samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  }
  let total = 0;
  let idle = 0;
  const concern = new Map();
  const pkg = new Map();
  const fn = new Map();
  // Each sample charged to the innermost frame of the app's own code on its stack: which of our
  // functions the time is spent under (libraries included). Work resumed from a promise has a
  // stack that starts at the microtask queue, so some time has no app frame at all.
  const app = new Map();
  const appFrameOf = (id) => {
    for (let current = id; current !== undefined; current = parentOf.get(current)) {
      const { callFrame } = byId.get(current);
      const file = (callFrame.url ?? '').match(/dist\/src\/(.+)$/);
      if (file) return `${callFrame.functionName || '(anonymous)'}  ${file[1]}`;
    }
    return '(no app frame on the stack)';
  };
  // Each sample charged once to every package with a frame on its stack: what a library costs
  // with the native work (socket writes, (de)serialising) it calls synchronously.
  const inclusive = new Map();
  const packagesOnStack = (id) => {
    const seen = new Set();
    for (let current = id; current !== undefined; current = parentOf.get(current)) {
      const url = byId.get(current).callFrame.url;
      if (url) seen.add(packageOf(url).replace(/^app: ([^/]+)\/.*$/, 'app: $1/'));
    }
    return seen;
  };
  for (const [id, ms] of selfMs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    const where = `${callFrame.url ?? ''}`;
    const label = CONCERNS.find(([, pattern]) => pattern.test(where))?.[0] ?? (callFrame.functionName.startsWith('(') ? callFrame.functionName : 'other');
    concern.set(label, (concern.get(label) ?? 0) + ms);
    const name = packageOf(where);
    pkg.set(name, (pkg.get(name) ?? 0) + ms);
    const key = `${callFrame.functionName || '(anonymous)'}  ${name}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    for (const name of packagesOnStack(id)) inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    const under = appFrameOf(id);
    app.set(under, (app.get(under) ?? 0) + ms);
  }
  const show = (title, map, count) => {
    console.log(`  ${title}`);
    for (const [name, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
      console.log(`    ${((100 * ms) / total).toFixed(1).padStart(5)} %  ${name}`);
    }
  };
  console.log(`  busy ${(total / 1000).toFixed(1)} s, idle ${(idle / 1000).toFixed(1)} s`);
  show('by concern (self time)', concern, 20);
  show('by package (self time)', pkg, 15);
  show('by package or app folder, with what it calls synchronously (overlapping)', inclusive, 25);
  show('by function (self time)', fn, 20);
  show('by the innermost app function on the stack (time spent in it and what it calls synchronously)', app, 20);
};

if (require.main === module) exports.print(JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8')));
