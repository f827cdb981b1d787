/** Logging in and out, and who the current user is. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, LoginBody, User } from '../../shared/api.ts';
import { audit } from '../audit.ts';
import { requireUser, SESSION_COOKIE } from '../auth/authPlugin.ts';
import { verifyPassword } from '../auth/passwords.ts';
import { hashSecret, newSecret } from '../auth/secrets.ts';
import { BadCredentials } from '../errors.ts';
import type { UserRecord } from '../storage/Storage.ts';

/** The public view of a user. */
export function publicUser(user: UserRecord): User {
  return { id: user.id, username: user.username, name: user.name, isAdmin: user.isAdmin, color: user.color };
}

// Verifying against a real hash when the user does not exist keeps response times alike, so the
// timing of a failed login does not tell whether a username exists.
const DUMMY_HASH =
  'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function sessionRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/session',
    {
      schema: {
        summary: 'Log in; sets an HttpOnly session cookie',
        body: LoginBody,
        response: { 200: User, 401: ApiError, 429: ApiError },
      },
      config: {
        rateLimit: {
          max: app.config.loginAttempts,
          timeWindow: app.config.loginWindowMs,
          hook: 'preHandler',
          keyGenerator: (request) => {
            const body = request.body as { username?: unknown } | undefined;
            return `${request.ip}|${String(body?.username ?? '').toLowerCase()}`;
          },
        },
      },
    },
    async (request, reply) => {
      const username = request.body.username.toLowerCase();
      const user = await app.storage.users.findByUsername(username);
      const ok = await verifyPassword(request.body.password, user?.passwordHash ?? DUMMY_HASH);
      if (!user || !ok) {
        await audit(app, { storyId: null, userId: user?.id ?? null, action: 'login-failed', detail: { username } });
        throw new BadCredentials();
      }
      await audit(app, { storyId: null, userId: user.id, action: 'login', detail: {} });
      const secret = newSecret('sds');
      const expires = new Date(Date.now() + app.config.sessionTtlMs);
      await app.storage.sessions.create(hashSecret(secret), user.id, expires);
      reply.setCookie(SESSION_COOKIE, secret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: app.config.cookieSecure,
        expires,
      });
      return publicUser(user);
    },
  );

  api.delete(
    '/api/session',
    { schema: { summary: 'Log out', response: { 204: z.null() } } },
    async (request, reply) => {
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie) {
        const hash = hashSecret(cookie);
        await app.storage.sessions.delete(hash);
        app.rooms.closeCredential(`session:${hash}`);
      }
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/me',
    { preHandler: requireUser, schema: { summary: 'The current user', response: { 200: User, 401: ApiError } } },
    async (request) => publicUser(request.user as UserRecord),
  );
}
