import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream, LogFn } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { AppConfig } from '../config/app-config';

export const REQUEST_ID_HEADER = 'x-request-id';

/** The caller's request id when it is a sane one, else a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
}

/**
 * Query parameters that are credentials (the queue dashboard's one-time ticket): replaced in
 * every logged URL and query, so that logs never hold a usable secret.
 */
const SECRET_QUERY_PARAMETERS = new Set(['ticket']);
const REDACTED = '[redacted]';

/** The URL with the value of every secret query parameter replaced. */
export function redactUrl(url: string): string {
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return url;
  const pairs = url
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const [name] = pair.split('=', 1);
      return SECRET_QUERY_PARAMETERS.has(safeDecode(name)) ? `${name}=${REDACTED}` : pair;
    });
  return `${url.slice(0, queryAt)}?${pairs.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** pino-http's request record with secrets out; the query is copied, never the request's own changed. */
function redactRequest(req: { url?: string; query?: Record<string, unknown> }): typeof req {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if (req.query && Object.keys(req.query).some((name) => SECRET_QUERY_PARAMETERS.has(name))) {
    req.query = Object.fromEntries(Object.entries(req.query).map(([name, value]) => [name, SECRET_QUERY_PARAMETERS.has(name) ? REDACTED : value]));
  }
  return req;
}

/** Set on a request once a logging middleware has taken it. */
const LOGGED = Symbol('request logged');

/** Nest's start-up chatter: a line per module and per route, about 90 lines that bury the rest. */
const STARTUP_NOISE = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Structured JSON logs, every line of a request carrying its id (taken from the caller or new).
 * In development the same records are printed for a person instead: one line per request,
 * no start-up chatter. Production, tests and the container image keep JSON.
 */
export function loggerOptions(config: AppConfig): Params {
  const options: PinoHttpOptions = {
    level: config.get('LOG_LEVEL'),
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["stripe-signature"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.passwordHash',
        '*.refreshToken',
        '*.token',
      ],
      censor: REDACTED,
    },
    serializers: { req: redactRequest },
    // nestjs-pino and Nest 12 both add the paths outside the global prefix (/health) to the
    // logging middleware, so it runs twice on them: only the first run logs the request.
    autoLogging: {
      ignore: (req) => {
        const marked = req as IncomingMessage & { [LOGGED]?: true };
        if (marked[LOGGED]) return true;
        marked[LOGGED] = true;
        return false;
      },
    },
    customLogLevel: (_req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return 'info';
    },
  };
  const pretty = config.get('NODE_ENV') === 'development' ? prettyStream() : undefined;
  if (!pretty) return { pinoHttp: options };
  return {
    pinoHttp: [
      {
        ...options,
        customSuccessMessage: requestLine,
        customErrorMessage: (req, res) => requestLine(req, res),
        hooks: { logMethod: dropStartupNoise },
      },
      pretty,
    ],
  };
}

function requestLine(req: IncomingMessage, res: ServerResponse, responseTime?: number): string {
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;
  return `${req.method} ${redactUrl(url ?? '')} ${res.statusCode}${responseTime === undefined ? '' : ` ${Math.round(responseTime)} ms`}`;
}

function dropStartupNoise(this: unknown, args: Parameters<LogFn>, method: LogFn): void {
  const [first] = args as unknown[];
  const context = first && typeof first === 'object' ? (first as { context?: unknown }).context : undefined;
  if (typeof context === 'string' && STARTUP_NOISE.has(context)) return;
  (method as (...all: unknown[]) => void).apply(this, args);
}

/**
 * pino-pretty, in this process and synchronous, so lines keep their order with what the local
 * scripts print. It is a development dependency: an install without it (`--omit=dev`) logs JSON.
 */
function prettyStream(): DestinationStream | undefined {
  let build: (options: Record<string, unknown>) => DestinationStream;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional, development only
    build = require('pino-pretty') as typeof build;
  } catch {
    return undefined;
  }
  return build({
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    // A request line already says method, URL, status and time; the request id stays in JSON logs.
    ignore: 'pid,hostname,req,res,responseTime,context',
    messageFormat: (log: Record<string, unknown>, messageKey: string) =>
      log.context ? `[${String(log.context)}] ${String(log[messageKey])}` : String(log[messageKey]),
  });
}
