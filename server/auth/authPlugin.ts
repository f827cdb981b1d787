/**
 * Who is asking: resolves the session cookie or API token of every request to a user, and offers
 * `requireUser` for routes that need one. Nothing the client says about itself is trusted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { NotAuthenticated } from '../errors.ts';
import type { UserRecord } from '../storage/Storage.ts';
import { hashSecret } from './secrets.ts';

export const SESSION_COOKIE = 'sd_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user, or `null`. Set before any handler runs. */
    user: UserRecord | null;
  }
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer ')) return header.slice(7).trim() || null;
  return null;
}

function queryToken(request: FastifyRequest): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  const token = query?.token;
  return typeof token === 'string' && token.length > 0 ? token : null;
}

/** Who a request is, and with which credential (to end its sockets when that credential ends). */
export interface Authenticated {
  user: UserRecord;
  /** `session:<hash>` or `token:<id>`. */
  credential: string;
}

/**
 * Resolves the user behind a request. `allowQueryToken` is for WebSocket upgrades only: browsers
 * cannot set headers on a WebSocket, so a script may pass its API token as `?token=`.
 */
export async function authenticate(
  app: FastifyInstance,
  request: FastifyRequest,
  allowQueryToken = false,
): Promise<Authenticated | null> {
  const token = bearerToken(request) ?? (allowQueryToken ? queryToken(request) : null);
  let userId: string | null = null;
  let credential = '';
  if (token !== null) {
    const found = await app.storage.tokens.find(hashSecret(token));
    if (found !== null) {
      userId = found.userId;
      credential = `token:${found.id}`;
    }
  } else {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie) {
      const hash = hashSecret(cookie);
      userId = await app.storage.sessions.findUserId(hash, new Date());
      credential = `session:${hash}`;
    }
  }
  const user = userId === null ? null : await app.storage.users.findById(userId);
  return user === null ? null : { user, credential };
}

/** The user behind a request, or `null`. */
export async function identify(
  app: FastifyInstance,
  request: FastifyRequest,
  allowQueryToken = false,
): Promise<UserRecord | null> {
  return (await authenticate(app, request, allowQueryToken))?.user ?? null;
}

/** preHandler for routes that need a logged-in user. */
export async function requireUser(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (request.user === null) throw new NotAuthenticated();
}

export const authPlugin = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('user', null);
    app.addHook('onRequest', async (request) => {
      // The collaboration route authenticates itself, with the query token allowed.
      if (request.url.startsWith('/api/')) request.user = await identify(app, request);
    });
  },
  { name: 'sourcedesk-auth', dependencies: ['@fastify/cookie'] },
);
