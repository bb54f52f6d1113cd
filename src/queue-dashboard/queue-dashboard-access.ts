import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { NextFunction, Request, Response } from 'express';
import { createHmac } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { JWT_ALGORITHM } from '../auth/jwt.strategy';
import { SessionsService } from '../access/sessions.service';
import type { AccessTokenClaims } from '../auth/tokens.service';

/** Where the dashboard is served, under the API prefix: /api/v1/admin/queues. */
export const QUEUE_DASHBOARD_ROUTE = '/admin/queues';
export const QUEUE_DASHBOARD_PATH = `/api/v1${QUEUE_DASHBOARD_ROUTE}`;
const COOKIE = 'queue_dashboard';
const LINK_TTL_SECONDS = 60;
const COOKIE_TTL_SECONDS = 30 * 60;

interface DashboardClaims {
  sub: string;
  sid: string;
}

type Verdict = 'admin' | 'forbidden' | 'unauthenticated';

/**
 * Who may open the queue dashboard: an admin, proven by a bearer access token (API clients), or
 * by a cookie that a short-lived signed link sets (browsers cannot send a bearer header when
 * following a link). Link and cookie name the admin's login session, and every request checks
 * that session is still active and still an admin's: logout or demotion ends dashboard access.
 * They are signed with a key derived from the JWT secret, so neither works as an access token.
 */
@Injectable()
export class QueueDashboardAccess {
  private readonly accessTokens: JwtService;
  private readonly dashboardTokens: JwtService;

  constructor(
    config: AppConfig,
    private readonly sessions: SessionsService,
  ) {
    const secret = config.get('JWT_ACCESS_SECRET');
    this.accessTokens = new JwtService({ secret, verifyOptions: { algorithms: [JWT_ALGORITHM] } });
    this.dashboardTokens = new JwtService({
      secret: createHmac('sha256', secret).update('queue-dashboard').digest('base64url'),
      signOptions: { algorithm: JWT_ALGORITHM, audience: 'queue-dashboard' },
      verifyOptions: { algorithms: [JWT_ALGORITHM], audience: 'queue-dashboard' },
    });
  }

  /** A link (relative to the API's origin) that opens the dashboard in a browser within a minute. */
  async issueLink(userId: string, sessionId: string): Promise<{ url: string; expiresAt: Date }> {
    const ticket = await this.dashboardTokens.signAsync({ sub: userId, sid: sessionId } satisfies DashboardClaims, { expiresIn: LINK_TTL_SECONDS });
    return { url: `${QUEUE_DASHBOARD_PATH}?ticket=${ticket}`, expiresAt: new Date(Date.now() + LINK_TTL_SECONDS * 1000) };
  }

  /** Express middleware in front of every dashboard path (page, assets and its JSON API). */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    this.handle(req, res)
      .then((proceed) => proceed && next())
      .catch(next);
  };

  private async handle(req: Request, res: Response): Promise<boolean> {
    const ticket = typeof req.query.ticket === 'string' ? req.query.ticket : undefined;
    if (ticket) {
      const claims = await this.verifyDashboardToken(ticket);
      const verdict = claims ? await this.check(claims) : 'unauthenticated';
      if (!claims || verdict !== 'admin') return this.refuse(res, verdict === 'admin' ? 'unauthenticated' : verdict);
      const cookie = await this.dashboardTokens.signAsync({ sub: claims.sub, sid: claims.sid } satisfies DashboardClaims, {
        expiresIn: COOKIE_TTL_SECONDS,
      });
      res.cookie(COOKIE, cookie, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
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
    const claims = cookie ? await this.verifyDashboardToken(cookie) : null;
    return claims ? this.check(claims) : 'unauthenticated';
  }

  private async verifyDashboardToken(token: string): Promise<DashboardClaims | null> {
    const claims = await this.dashboardTokens.verifyAsync<Partial<DashboardClaims>>(token).catch(() => null);
    return claims && typeof claims.sub === 'string' && typeof claims.sid === 'string' ? { sub: claims.sub, sid: claims.sid } : null;
  }

  private async check({ sub, sid }: DashboardClaims): Promise<Verdict> {
    const session = await this.sessions.findActive(sid, sub);
    if (!session) return 'unauthenticated';
    return session.role === 'admin' ? 'admin' : 'forbidden';
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
