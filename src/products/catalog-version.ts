import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ChainableCommander, default as Redis } from 'ioredis';
import { TurnBatch } from '@app/common';
import { REDIS } from '../redis/redis.module';
import { ADVANCE_LUA, startCounters } from '../redis/version-counter';

/**
 * What a catalog write changed, named by the writer (ProductStore's verbs, categories):
 * - `content`: titles, prices, categories, images, status, variants added or archived: what
 *   cached catalog answers are made of. Every cached answer becomes unreachable.
 * - `figures`: stock figures (and `updatedAt`) of products, with no product crossing between
 *   sold out and available. Cached answers stay; the figures laid over them are read again.
 * - `availability`: figures, and a product or variant crossed between sold out and available:
 *   answers that depend on availability (`inStock=true`) are computed again.
 * - `ranking`: figures, and a rating changed: answers ordered by rating (sort `rating`, and
 *   `relevance`, whose tie-break is the rating count) are computed again.
 */
export type CatalogChange = 'content' | 'figures' | 'availability' | 'ranking';

/** The counters; under the deployment's key prefix (the shared client adds it). */
const KEYS = {
  content: 'catalog:version',
  figures: 'catalog:figures-version',
  availability: 'catalog:availability-version',
  ranking: 'catalog:ranking-version',
} as const;
type Counter = keyof typeof KEYS;
const COUNTERS = Object.keys(KEYS) as Counter[];
/** Every catalog counter: what a restore of the live database bumps (RestoreService). */
export const CATALOG_VERSION_KEYS: readonly string[] = Object.values(KEYS);

/** Which counters a change moves. */
const MOVES: Record<CatalogChange, Counter[]> = {
  content: ['content'],
  figures: ['figures'],
  availability: ['figures', 'availability'],
  ranking: ['figures', 'ranking'],
};

/**
 * Which products' figures moved at which figures version: a Redis hash, product id → the figures
 * version of the last bump that named it, written by the same script as that bump (BUMP_SCRIPT).
 * Its field `*` is the figures version from which it knows every move: set when the hash is
 * created or started over (moves before it are unknown: a Redis restart, an eviction, a hash
 * grown to MOVES_KEPT_AT_MOST) and by a figures bump that names no products (anything may have
 * moved). Its field `~recorded` adds up how far the script moved the figures counter: the
 * counter minus it (the gap) moves only when something else moved the counter (a process of an
 * earlier version, a restore, a script that failed halfway), and such a bump recorded no moves. A cached answer whose products did not move after its figures version,
 * with the gap where it was then, still shows their live figures and is served without reading
 * them (FiguresMoves.movedAfter); one whose products moved reads the figures of those alone:
 * during a sale, only the answers showing what sells read MongoDB, and only what sold.
 */
const MOVES_KEY = 'catalog:figures-moves';
/** The Redis server (run and replication ids) the last check found (CatalogVersion.payOwed). */
const EPOCH_KEY = 'catalog:redis-run-id';
const SINCE_FIELD = '*';
const RECORDED_FIELD = '~recorded';
/**
 * Products the moves hash holds at most (about 50 bytes each): a bump that finds it full starts
 * it over from its own version (BUMP_SCRIPT). Answers whose figures are older read them once.
 */
export const MOVES_KEPT_AT_MOST = 100_000;
/**
 * How far ahead of the clock of a Redis server found changed (CatalogVersion.payOwed) the
 * counters are pinned: after a failover the new master's clock may be behind the old one's, to
 * which the versions handed out before were pinned. Clocks kept by NTP differ by milliseconds.
 */
const SERVER_CHANGE_MARGIN_MICROS = 10_000_000;
/** Products whose moves one read asks about at most (a script's arguments are bounded); beyond, its answers read their figures. */
const MOVES_ASKED_AT_MOST = 1000;

/**
 * One bump, atomic in Redis: KEYS are the counters to move, then the moves hash; ARGV[1] the
 * position of the figures counter among KEYS (0: not moved), ARGV[2] how many microseconds ahead
 * of Redis's clock to pin them at least (SERVER_CHANGE_MARGIN_MICROS), ARGV[3…] the products
 * whose figures moved (none: any may have). The counters advance on Redis's clock
 * (ADVANCE_LUA), so the recorded count grows by as much as the figures counter moved: the gap
 * still moves only with a bump made elsewhere (which counts one per bump). A reader that sees the new figures version
 * sees the moves with it. The hash starts over (its `*` at this version, its count at this bump's
 * move, so the gap moves too) when it holds MOVES_KEPT_AT_MOST products, or when the figures
 * counter was missing (evicted, flushed: the moves before it are unknown). The count goes last:
 * a script stopped by an error after the counters (Redis does not undo it) leaves a gap.
 */
const BUMP_SCRIPT = `${ADVANCE_LUA}
local now = clockMicros() + tonumber(ARGV[2])
local figures, moved
for i = 1, #KEYS - 1 do
  local value, jump = advance(KEYS[i], now)
  if i == tonumber(ARGV[1]) then figures, moved = value, jump end
end
if figures then
  local moves = KEYS[#KEYS]
  local version = string.format('%.0f', figures)
  if moved == figures or redis.call('HLEN', moves) >= ${MOVES_KEPT_AT_MOST} then
    redis.call('UNLINK', moves)
  end
  if #ARGV == 2 or redis.call('HEXISTS', moves, '${SINCE_FIELD}') == 0 then redis.call('HSET', moves, '${SINCE_FIELD}', version) end
  for i = 3, #ARGV do redis.call('HSET', moves, ARGV[i], version) end
  redis.call('HINCRBY', moves, '${RECORDED_FIELD}', string.format('%.0f', moved))
end
return figures
`;

/**
 * The counters and the moves (`*`, `~recorded`, then the products in ARGV) in one atomic read:
 * KEYS are the counters, then the moves hash. One snapshot, so that the gap and the moves are
 * those of the versions read.
 */
const READ_SCRIPT = `
local counters = redis.call('MGET', unpack(KEYS, 1, #KEYS - 1))
local moves = redis.call('HMGET', KEYS[#KEYS], '${SINCE_FIELD}', '${RECORDED_FIELD}', unpack(ARGV))
return {counters, moves}
`;

interface WithCatalogScripts {
  bumpCatalogVersions(...args: (string | number)[]): Promise<unknown>;
  readCatalogVersions(...args: (string | number)[]): Promise<[(string | null)[], (string | null)[]]>;
}

/** The current value of every counter. */
export type CatalogVersions = Record<Counter, string>;

/** What an answer's figures are as of: the figures version, and the gap then (null: unknown). */
export interface FiguresLabel {
  figures: string;
  gap: number | null;
}

/** The figures moves of the products a read asked about (CatalogVersion.current), read with its versions. */
export class FiguresMoves {
  constructor(
    /** The figures version and gap of the same snapshot. */
    private readonly now: FiguresLabel,
    private readonly since: string | null,
    private readonly byProduct: ReadonlyMap<string, string | null>,
  ) {}

  /**
   * Those of `products` whose figures moved after `from` (an answer's label): the others still
   * show their live figures in an answer whose figures are as of it. Null when the moves cannot
   * tell: a product not asked about, moves before the hash began, a bump that recorded none since
   * (the gap moved), or a counter lower than the label (Redis lost writes).
   */
  movedAfter(products: readonly string[], from: FiguresLabel): readonly string[] | null {
    if (from.gap === null || this.now.gap !== from.gap) return null;
    // Counters are integers below 2^53 (they start at the time in microseconds): exact as numbers.
    const after = (version: string | null) => version !== null && Number(version) > Number(from.figures);
    if (Number(this.now.figures) < Number(from.figures) || this.since === null || after(this.since)) return null;
    const moved: string[] = [];
    for (const product of products) {
      const version = this.byProduct.get(product);
      if (version === undefined) return null;
      if (after(version)) moved.push(product);
    }
    return moved;
  }
}

/** What CatalogVersion.current read in its one round trip. */
export interface CurrentVersions {
  versions: CatalogVersions;
  also: string | null | undefined;
  /** The `[error, result]` of the command added by `before`, if any. */
  before?: [Error | null, unknown];
  /** The gap of the figures version read (see MOVES_KEY); null when the moves hash holds no count (missing, flushed). */
  figuresGap: number | null;
  /** The figures moves of the products asked about (`shown`); undefined when none were (or too many). */
  moves?: FiguresMoves;
}

/** A read of the versions waiting for its turn's round trip (CatalogVersion.current). */
interface WaitingRead {
  alsoKey?: string;
  before?: (pipeline: ChainableCommander) => void;
  shown?: readonly string[];
  /** CatalogVersion's incidents when it was asked for: see readBatch. */
  incidents: number;
  resolve: (read: CurrentVersions | null) => void;
}

/**
 * The catalog versions: Redis counters bumped after every catalog write, by what the write
 * changed (CatalogChange). Cache keys and HTTP ETags carry them, so a write makes the cached
 * answers it affects unreachable at once; no entry has to be found and deleted.
 *
 * A counter that starts over (Redis restarted empty) or goes back (Redis lost its last writes)
 * would hand out versions already used for other content, and with them ETags a client may still
 * hold. So counters are pinned to Redis's clock: a missing one starts at it (startCounters), and
 * a bump moves a counter to it when it is ahead (ADVANCE_LUA).
 *
 * Writes whose bumps Redis lost leave cached answers that do not show them and whose versions
 * are still current. Redis loses writes only by restarting or by a failover to another server,
 * and either changes its run id or its replication id: a process that starts, or whose
 * connection closed, compares them (serverNow) with those recorded at the last such check
 * (EPOCH_KEY) and with those its own bumps went to, before it reads the versions again, and
 * bumps every counter when they differ (or INFO names neither). What was cached before the loss
 * is then not used after it; a connection that only blinked costs no cache. (Behind a proxy
 * that keeps client connections open across a failover, nothing closes and the loss is not
 * noticed.)
 */
@Injectable()
export class CatalogVersion {
  private readonly logger = new Logger(CatalogVersion.name);
  /**
   * What this process owes before it reads the versions again: `check` (it started, or its
   * connection closed: Redis may have lost bumps, see EPOCH_KEY) or `bump` (a write's bump
   * failed: every counter must move). Until it is paid, this instance reads uncached; it is paid
   * as soon as the connection is back, so entries cached before an outage cannot come back into
   * use.
   */
  private owed: 'none' | 'check' | 'bump' = 'check';
  /** Closed connections and failed bumps so far: what happened while a payment or a read was on its way. */
  private incidents = 0;
  /** The Redis server (run and replication ids) the last payment found: this process's bumps went to it since. */
  private server?: string;
  private serverUnknownLogged = false;
  /** The payment being made (payOwed), shared by the reads waiting for it. */
  private paying?: Promise<boolean>;
  /** Reads asked for in this turn of the event loop, sent together (readBatch). */
  private readonly waiting = new TurnBatch<WaitingRead>((batch) => this.readBatch(batch));

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    if (!('bumpCatalogVersions' in redis)) redis.defineCommand('bumpCatalogVersions', { lua: BUMP_SCRIPT });
    if (!('readCatalogVersions' in redis)) redis.defineCommand('readCatalogVersions', { lua: READ_SCRIPT });
    redis.on('ready', () => {
      if (this.owed !== 'none') void this.payOwed();
    });
    redis.on('close', () => {
      this.incidents += 1;
      if (this.owed === 'none') this.owed = 'check';
    });
  }

  /**
   * Every counter, and in the same Redis round trip the value of `alsoKey` (a cache entry;
   * undefined when not asked, null when absent) and the result of the command `before` adds to
   * the pipeline (the rate limit of a cache hit). Null when Redis cannot tell: callers then read
   * uncached.
   *
   * The reads asked for in one turn of the event loop share that round trip (readBatch): under
   * load, dozens of cache hits arrive in one turn, and each sending its own pipeline cost a
   * socket write and a reply read apiece, about a third of a hit's CPU. A read waits at most
   * for the rest of the turn; its versions are read after it was asked, never before, so a
   * write answered before the request came is still seen. With `shown` (the products of a cached
   * answer), the figures moves of those products come with the versions, read after them.
   */
  async current(alsoKey?: string, before?: (pipeline: ChainableCommander) => void, shown?: readonly string[]): Promise<CurrentVersions | null> {
    // Again if something happened while it was paid (then it may not have been enough); uncached
    // if things keep happening.
    for (let tries = 0; this.owed !== 'none'; tries += 1) if (tries === 3 || !(await this.payOwed())) return null;
    return new Promise((resolve) => this.waiting.add({ alsoKey, before, shown, incidents: this.incidents, resolve }));
  }

  /**
   * One pipeline for every read waiting: one script reading the counters and the figures moves
   * of every product asked about (atomically), one MGET of the distinct entries asked for, then
   * each read's own command. Every read gets null when the round trip fails.
   */
  private async readBatch(batch: WaitingRead[]): Promise<void> {
    const entries = [...new Set(batch.flatMap(({ alsoKey }) => (alsoKey === undefined ? [] : [alsoKey])))];
    const asked = new Set<string>();
    const answered = batch.map(({ shown }) => {
      if (!shown || asked.size + shown.length > MOVES_ASKED_AT_MOST) return false;
      for (const product of shown) asked.add(product);
      return true;
    });
    const shown = [...asked];
    const readArguments = [COUNTERS.length + 1, ...COUNTERS.map((counter) => KEYS[counter]), MOVES_KEY, ...shown];
    const scripts = this.redis as Redis & WithCatalogScripts;
    try {
      const pipeline = this.redis.pipeline() as ChainableCommander & WithCatalogScripts;
      pipeline.readCatalogVersions(...readArguments);
      if (entries.length > 0) pipeline.mget(...entries);
      // Where each read's own command is; an error of a read's own making stays that read's.
      const positions = batch.map(({ before }): number | Error | undefined => {
        if (!before) return undefined;
        const position = pipeline.length;
        try {
          before(pipeline);
        } catch (error) {
          return error as Error;
        }
        return pipeline.length === position + 1 ? position : new Error('a read must add exactly one command to the pipeline');
      });
      const results = (await pipeline.exec()) ?? [];
      const [readError, read] = results[0] ?? [new Error('pipeline aborted'), null];
      if (readError) throw readError;
      let [counters, moves] = read as [(string | null)[], (string | null)[]];
      if (counters.some((value) => value === null)) {
        await startCounters(this.redis, COUNTERS.map((counter) => KEYS[counter]));
        [counters, moves] = await scripts.readCatalogVersions(...readArguments);
      }
      const versions = Object.fromEntries(COUNTERS.map((counter, index) => [counter, counters[index]])) as CatalogVersions;
      if (COUNTERS.some((counter) => versions[counter] === null)) throw new Error('catalog versions missing');
      const [since, recorded, ...byProduct] = moves;
      const now: FiguresLabel = { figures: versions.figures, gap: recorded === null ? null : Number(versions.figures) - Number(recorded) };
      const figuresMoves = shown.length > 0 ? new FiguresMoves(now, since, new Map(shown.map((product, index) => [product, byProduct[index]]))) : undefined;
      const entryValues = new Map<string, string | null>();
      if (entries.length > 0) {
        const [entriesError, values] = results[1] ?? [new Error('pipeline aborted'), null];
        if (entriesError) throw entriesError;
        entries.forEach((key, index) => entryValues.set(key, (values as (string | null)[])[index]));
      }
      batch.forEach(({ alsoKey, incidents, resolve }, index) => {
        // A connection that closed since it was asked for: ioredis sends unanswered commands
        // again once it is back, before this process could check what Redis lost (payOwed), so
        // what it read may be versions handed out before a loss. It goes uncached.
        if (incidents !== this.incidents) return resolve(null);
        const position = positions[index];
        const before = position === undefined ? undefined : position instanceof Error ? ([position, null] as [Error, null]) : results[position];
        resolve({ versions, also: alsoKey === undefined ? undefined : entryValues.get(alsoKey), before, figuresGap: now.gap, ...(answered[index] && figuresMoves && { moves: figuresMoves }) });
      });
    } catch {
      for (const { resolve } of batch) resolve(null);
    }
  }

  /**
   * Called after every catalog write with what it changed and, for a change of figures
   * (`figures`, `availability`, `ranking`), the products whose figures it moved: unnamed, every
   * cached answer reads its figures again. Never throws: the write has happened either way.
   */
  bump(change: CatalogChange, products?: readonly (string | { toHexString(): string })[]): Promise<boolean> {
    // As answers show ids: lower-case hex (a route may have matched the product by an upper-case one).
    const named = products?.map((product) => (typeof product === 'string' ? product : product.toHexString()).toLowerCase());
    return this.bumpCounters(MOVES[change], named);
  }

  /**
   * Pays what is owed: a bump of every counter, no products named, unless only a check is owed and
   * Redis runs as at the last check. Only this pays: a write's own bump that succeeds after an
   * earlier one failed moves only the counters of its change. False when Redis did not answer.
   */
  private payOwed(): Promise<boolean> {
    this.paying ??= (async () => {
      const incidents = this.incidents;
      const mustBump = this.owed === 'bump';
      try {
        const server = await this.serverNow();
        // The same server as this process's bumps went to (a process that starts has sent none)
        // and as the last check found.
        const same = !mustBump && server !== undefined && (this.server ?? server) === server && (await this.redis.get(EPOCH_KEY)) === server;
        if (!same) {
          // Another server's clock may be behind the one the versions before were pinned to.
          if (!(await this.bumpCounters(COUNTERS, undefined, SERVER_CHANGE_MARGIN_MICROS))) return false;
          // Recorded after the bump: a process that finds it the same may rely on the bump made.
          if (server !== undefined) await this.redis.set(EPOCH_KEY, server);
        }
        this.server = server;
      } catch {
        return false;
      }
      if (incidents === this.incidents) this.owed = 'none';
      return true;
    })().finally(() => (this.paying = undefined));
    return this.paying;
  }

  /**
   * Which Redis server answers, as it runs now: its run id (new at every start) and replication
   * id (new at every promotion to master). Undefined when INFO does not say (a server that is
   * not Redis 4 or later): then every check bumps. INFO itself is not optional: ioredis's ready
   * check and Bull send it too.
   */
  private async serverNow(): Promise<string | undefined> {
    const [server, replication] = await Promise.all([this.redis.info('server'), this.redis.info('replication')]);
    const runId = /^run_id:(\w+)/m.exec(server)?.[1];
    const replicationId = /^master_replid:(\w+)/m.exec(replication)?.[1];
    if (runId && replicationId) return `${runId}:${replicationId}`;
    if (!this.serverUnknownLogged) this.logger.warn('Redis INFO names no run_id and master_replid: every reconnect bumps every catalog counter (the catalog cache is computed again)');
    this.serverUnknownLogged = true;
    return undefined;
  }

  private async bumpCounters(counters: readonly Counter[], products?: string[], aheadMicros = 0): Promise<boolean> {
    try {
      const figuresAt = counters.indexOf('figures') + 1;
      await (this.redis as Redis & WithCatalogScripts).bumpCatalogVersions(counters.length + 1, ...counters.map((counter) => KEYS[counter]), MOVES_KEY, figuresAt, aheadMicros, ...(products ?? []));
      return true;
    } catch (error) {
      if (this.owed !== 'bump') this.logger.warn(`Catalog version not bumped, reading uncached until Redis is back: ${(error as Error).message}`);
      this.incidents += 1;
      this.owed = 'bump';
      return false;
    }
  }
}

/** What an answer depends on besides its content: see CatalogChange. */
export interface CatalogDependencies {
  availability?: boolean;
  ranking?: boolean;
}

/**
 * The part of a cache key that names the versions an answer depends on: the content version,
 * and the availability and ranking versions only for answers that depend on them, so that a
 * crossing or a rating change leaves every other cached answer in place.
 */
export function versionTag(versions: CatalogVersions, depends: CatalogDependencies): string {
  return [versions.content, depends.availability ? `a${versions.availability}` : '', depends.ranking ? `r${versions.ranking}` : ''].join(':');
}

/** Did the sellable quantity cross between sold out (≤ 0) and available (> 0)? */
export function crossesAvailability(before: number, after: number): boolean {
  return before > 0 !== after > 0;
}
