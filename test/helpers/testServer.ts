/**
 * Starts the real server (`buildServer`) on a free port with real SQLite in a temp dir, and offers
 * the calls every integration test needs: accounts, logins, tokens, stories.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerOptions } from '../../server/app.ts';
import { openPostgresStorage } from '../../server/storage/PostgresStorage.ts';
import type { Storage, UserRecord } from '../../server/storage/Storage.ts';
import { createUser } from '../../server/users.ts';
import type { StorySummary } from '../../shared/api.ts';
import { DATABASE_URL, dropSchema } from './backends.ts';

/**
 * `SOURCEDESK_TEST_STORAGE=postgres` (the `postgres` Vitest project) runs the integration suites
 * on PostgreSQL: each data dir gets its own schema, so a restart on the same dir finds its data.
 */
const ON_POSTGRES = process.env.SOURCEDESK_TEST_STORAGE === 'postgres';

function schemaFor(dataDir: string): string {
  return `t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

export interface TestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>/collab`, the base URL for `WebsocketProvider`. */
  collabUrl: string;
  dataDir: string;
  /** Creates an account and returns it with its password. */
  addUser(username: string, options?: { admin?: boolean; name?: string }): Promise<TestUser>;
  /** Closes the server; `keepData` leaves the data dir for a restart. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface TestUser {
  user: UserRecord;
  password: string;
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'sourcedesk-test-'));
}

export async function startTestServer(options: ServerOptions & { dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeDataDir();
  const owned: Storage | undefined =
    ON_POSTGRES && options.storage === undefined
      ? await openPostgresStorage(DATABASE_URL, { schema: schemaFor(dataDir), maxConnections: 4 })
      : undefined;
  const app = await buildServer({
    clientDir: null,
    unloadGraceMs: 200,
    ...options,
    dataDir,
    ...(owned === undefined ? {} : { storage: owned }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    url,
    collabUrl: `ws://127.0.0.1:${address.port}/collab`,
    dataDir,
    async addUser(username, userOptions = {}) {
      const password = `pw-${username}-${Math.random().toString(36).slice(2)}`;
      const user = await createUser(app.storage, {
        username,
        password,
        isAdmin: userOptions.admin ?? false,
        ...(userOptions.name === undefined ? {} : { name: userOptions.name }),
      });
      return { user, password };
    },
    async close(closeOptions = {}) {
      await app.close();
      await owned?.close();
      if (!closeOptions.keepData) {
        rmSync(dataDir, { recursive: true, force: true });
        if (owned !== undefined) await dropSchema(schemaFor(dataDir));
      }
    },
  };
}

/** Logs in over HTTP and returns the session cookie header value (`sd_session=...`). */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith('sd_session='));
  if (!cookie) throw new Error('no session cookie');
  return cookie.split(';')[0] ?? '';
}

/** Calls the JSON API with a session cookie or bearer token; returns status and parsed body. */
export async function api<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  auth: { cookie?: string; token?: string },
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Logs in, creates an API token and returns it (for WebSocket clients in Node). */
export async function tokenFor(baseUrl: string, testUser: TestUser): Promise<string> {
  const cookie = await login(baseUrl, testUser.user.username, testUser.password);
  const { status, body } = await api<{ token: string }>(baseUrl, 'POST', '/api/tokens', { cookie }, { name: 'test' });
  if (status !== 201) throw new Error(`token creation failed: ${status}`);
  return body.token;
}

/** Creates a story as `cookie`'s user and returns it. */
export async function createStory(baseUrl: string, cookie: string, title: string): Promise<StorySummary> {
  const { status, body } = await api<StorySummary>(baseUrl, 'POST', '/api/stories', { cookie }, { title });
  if (status !== 201) throw new Error(`story creation failed: ${status} ${JSON.stringify(body)}`);
  return body;
}
