import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { NextFunction, Request, Response } from 'express';
import type Redis from 'ioredis';
import { createHmac, randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { JWT_ALGORITHM } from '../auth/jwt.strategy';
import { SessionsService } from '../access/sessions.service';
import { UsersService } from '../users/users.service';
import type { AccessTokenClaims } from '../auth/tokens.service';

/** Where the dashboard is served, under the API prefix: /api/v1/admin/queues. */
export const QUEUE_DASHBOARD_ROUTE = '/admin/queues';
export const QUEUE_DASHBOARD_PATH = `/api/v1${QUEUE_DASHBOARD_ROUTE}`;
const COOKIE = 'queue_dashboard';
const LINK_TTL_SECONDS = 60;
const COOKIE_TTL_SECONDS = 30 * 60;

/** Tickets (in a link) and cookies are signed for different audiences: neither works as the other. */
const TICKET_AUDIENCE = 'queue-dashboard-ticket';
const COOKIE_AUDIENCE = 'queue-dashboard-cookie';
/** Under the deployment's key prefix: the tickets already used, kept until they expire anyway. */
const USED_TICKET_KEY = 'queue-dashboard:used-ticket:';

/**
 * The dashboard's own page (Bull Board): its scripts and styles come from its own origin, its
 * fonts from Google Fonts, and its markup carries inline style attributes (no inline scripts:
 * the inline config block is JSON, which is never run).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  'font-src https://fonts.gstatic.com',
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface DashboardClaims {
  sub: string;
  sid: string;
}

interface TicketClaims extends DashboardClaims {
  jti: string;
}

type Verdict = 'admin' | 'forbidden' | 'unauthenticated';

/**
 * Who may open the queue dashboard: an admin, proven by a bearer access token (API clients), or
 * by a cookie that a short-lived signed link sets (browsers cannot send a bearer header when
 * following a link). Link and cookie name the admin's login session, and every request checks
 * that session is still active and still an admin's: logout or demotion ends dashboard access.
 * They are signed with a key derived from the JWT secret, so neither works as an access token,
 * and for different audiences, so a cookie cannot mint a fresh cookie as a ticket would. A ticket
 * works once (its id is marked used in Redis, shared by every API instance): a link found later
 * in a browser history, a proxy log or a Referer opens nothing.
 */
@Injectable()
export class QueueDashboardAccess {
  private readonly accessTokens: JwtService;
  private readonly dashboardTokens: JwtService;
  /** Browsers drop a Secure cookie sent over plain HTTP; production is HTTPS behind any proxy. */
  private readonly secureCookie: boolean;

  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    @Inject(REDIS) private readonly redis: Redis,
  ) {
    const secret = config.get('JWT_ACCESS_SECRET');
    this.accessTokens = new JwtService({ secret, verifyOptions: { algorithms: [JWT_ALGORITHM] } });
    this.dashboardTokens = new JwtService({
      secret: createHmac('sha256', secret).update('queue-dashboard').digest('base64url'),
      signOptions: { algorithm: JWT_ALGORITHM },
      verifyOptions: { algorithms: [JWT_ALGORITHM] },
    });
    this.secureCookie = config.get('NODE_ENV') === 'production';
  }

  /** A link (relative to the API's origin) that opens the dashboard in a browser once, within a minute. */
  async issueLink(userId: string, sessionId: string): Promise<{ url: string; expiresAt: Date }> {
    const ticket = await this.dashboardTokens.signAsync({ sub: userId, sid: sessionId, jti: randomUUID() } satisfies TicketClaims, {
      expiresIn: LINK_TTL_SECONDS,
      audience: TICKET_AUDIENCE,
    });
    return { url: `${QUEUE_DASHBOARD_PATH}?ticket=${ticket}`, expiresAt: new Date(Date.now() + LINK_TTL_SECONDS * 1000) };
  }

  /** Express middleware in front of every dashboard path (page, assets and its JSON API). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    this.handle(req, res)
      .then((proceed) => proceed && next())
      .catch(next);
  };

  private async handle(req: Request, res: Response): Promise<boolean> {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : undefined;
    if (ticket) {
      const claims = await this.redeemTicket(ticket);
      const verdict = claims ? await this.check(claims) : 'unauthenticated';
      if (!claims || verdict !== 'admin') return this.refuse(res, verdict === 'admin' ? 'unauthenticated' : verdict);
      const cookie = await this.dashboardTokens.signAsync({ sub: claims.sub, sid: claims.sid } satisfies DashboardClaims, {
        expiresIn: COOKIE_TTL_SECONDS,
        audience: COOKIE_AUDIENCE,
      });
      res.cookie(COOKIE, cookie, {
        httpOnly: true,
        sameSite: 'strict',
        secure: this.secureCookie || req.secure,
        path: QUEUE_DASHBOARD_PATH,
        maxAge: COOKIE_TTL_SECONDS * 1000,
      });
      // Drop the ticket from the address bar and the browser history.
      res.redirect(303, QUEUE_DASHBOARD_PATH);
      return false;
    }
    const verdict = await this.verdict(req);
    return verdict === 'admin' ? true : this.refuse(res, verdict);
  }

  private async verdict(req: Request): Promise<Verdict> {
    const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const claims = await this.accessTokens.verifyAsync<Partial<AccessTokenClaims>>(bearer).catch(() => null);
      return claims && typeof claims.sub === 'string' && typeof claims.sid === 'string'
        ? this.check({ sub: claims.sub, sid: claims.sid })
        : 'unauthenticated';
    }
    const cookie = readCookie(req.headers.cookie, COOKIE);
    const claims = cookie ? await this.verifyDashboardToken(cookie, COOKIE_AUDIENCE) : null;
    return claims ? this.check(claims) : 'unauthenticated';
  }

  /** The ticket's claims the first time it is shown; null when forged, expired or already used. */
  private async redeemTicket(ticket: string): Promise<DashboardClaims | null> {
    const claims = await this.verifyDashboardToken(ticket, TICKET_AUDIENCE);
    if (!claims || typeof claims.jti !== 'string') return null;
    // One atomic SET NX: of two requests with one ticket, exactly one gets through.
    const first = await this.redis.set(`${USED_TICKET_KEY}${claims.jti}`, '1', 'EX', LINK_TTL_SECONDS + 60, 'NX');
    return first === 'OK' ? { sub: claims.sub, sid: claims.sid } : null;
  }

  private async verifyDashboardToken(token: string, audience: string): Promise<(DashboardClaims & { jti?: unknown }) | null> {
    const claims = await this.dashboardTokens.verifyAsync<Partial<TicketClaims>>(token, { audience }).catch(() => null);
    return claims && typeof claims.sub === 'string' && typeof claims.sid === 'string' ? { sub: claims.sub, sid: claims.sid, jti: claims.jti } : null;
  }

  private async check({ sub, sid }: DashboardClaims): Promise<Verdict> {
    const session = await this.sessions.findActive(sid, sub);
    if (!session) return 'unauthenticated';
    if (session.role !== 'admin') return 'forbidden';
    // The role as stored, as for the admin routes (RolesGuard).
    const role = await this.users.roleForSession(sub, sid, session.generation);
    if (role === null) return 'unauthenticated';
    return role === 'admin' ? 'admin' : 'forbidden';
  }

  /** The API's error shape, as the exception filter would write it. */
  private refuse(res: Response, verdict: Exclude<Verdict, 'admin'>): false {
    const [statusCode, error, message] =
      verdict === 'forbidden'
        ? [403, 'Forbidden', 'The queue dashboard is for admins']
        : [401, 'Unauthorized', 'Open the queue dashboard with an admin access token or a link from POST /api/v1/admin/queue-dashboard/links'];
    res.status(statusCode).json({ statusCode, error, message });
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
