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
 * `window` = [from, to] in ms since the profile started: only those samples count (leave out
 * start-up and shutdown).
 */
exports.print = function print(profile, window = [0, Infinity]) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = (profile.timeDeltas[i] ?? 0) / 1000;
    at += delta;
    if (at < window[0] || at > window[1]) continue;
    const id = profile.samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + delta);
  }
  let total = 0;
  let idle = 0;
  const concern = new Map();
  const pkg = new Map();
  const fn = new Map();
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
  show('by function (self time)', fn, 20);
};

if (require.main === module) exports.print(JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8')));
