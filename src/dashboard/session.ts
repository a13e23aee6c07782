/**
 * Dashboard sessions: signed in with the admin token, kept in PostgreSQL (every gateway process serves the
 * dashboard, so a session must be valid in all of them). The cookie holds a random id; the table holds only its
 * SHA-256, so a database reader cannot take over a session. Each session has its own CSRF token, which every
 * state-changing form and call must carry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SqlRunner } from '../store/database.ts';

export const SESSION_COOKIE = 'tradegate_session';
export const SESSION_TTL_MS = 8 * 3_600_000;

export interface Session {
  readonly idHash: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

const hash = (id: string) => createHash('sha256').update(id).digest('hex');

export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * One cookie's value from the Cookie header. Hand-written (a dozen lines) rather than a dependency: the
 * dashboard reads exactly one cookie whose value is base64url, so no decoding rules apply.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function isHttps(request: FastifyRequest): boolean {
  return (request.raw.socket as { encrypted?: boolean }).encrypted === true;
}

function cookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/dashboard; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${isHttps(request) ? '; Secure' : ''}`;
}

export function sessionStore(db: SqlRunner, now: () => number) {
  return {
    async create(request: FastifyRequest, reply: FastifyReply): Promise<Session> {
      const id = randomBytes(32).toString('base64url');
      const session = { idHash: hash(id), csrf: randomBytes(24).toString('base64url'), expiresAt: now() + SESSION_TTL_MS };
      // Expired sessions of anyone are dropped on the way: sign-ins are rare, so this keeps the table small.
      await db.query('DELETE FROM dashboard_sessions WHERE expires_at <= $1', [now()]);
      await db.query('INSERT INTO dashboard_sessions (id_hash, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4)', [
        session.idHash,
        session.csrf,
        now(),
        session.expiresAt,
      ]);
      reply.header('set-cookie', cookie(request, id, SESSION_TTL_MS / 1000));
      return session;
    },

    /** The request's live session, or null (no cookie, unknown, expired or signed out). */
    async find(request: FastifyRequest): Promise<Session | null> {
      const id = cookieValue(request.headers.cookie, SESSION_COOKIE);
      if (!id || id.length > 128) return null;
      const { rows } = await db.query<{ id_hash: string; csrf: string; expires_at: number }>(
        'SELECT id_hash, csrf, expires_at FROM dashboard_sessions WHERE id_hash = $1',
        [hash(id)],
      );
      const row = rows[0];
      if (!row || Number(row.expires_at) <= now()) return null;
      return { idHash: row.id_hash, csrf: row.csrf, expiresAt: Number(row.expires_at) };
    },

    async destroy(request: FastifyRequest, reply: FastifyReply, session: Session): Promise<void> {
      await db.query('DELETE FROM dashboard_sessions WHERE id_hash = $1', [session.idHash]);
      reply.header('set-cookie', cookie(request, '', 0));
    },
  };
}

export type SessionStore = ReturnType<typeof sessionStore>;

/**
 * A state-changing request is accepted only with the session's CSRF token (form field `_csrf` or header
 * `x-csrf-token`) and, when the browser names one, a same-origin Origin.
 */
export function csrfAccepted(request: FastifyRequest, session: Session): boolean {
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    const host = request.headers.host;
    try {
      if (!host || new URL(origin).host !== host) return false;
    } catch {
      return false;
    }
  } else if (origin === 'null') return false;
  const body = request.body as Record<string, unknown> | undefined;
  const given = typeof body?._csrf === 'string' ? body._csrf : request.headers['x-csrf-token'];
  return sameSecret(typeof given === 'string' ? given : undefined, session.csrf);
}
