/**
 * The public HTTP API: sessions, rate limits, stories and membership, tokens, error shapes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { api, createStory, login, startTestServer, type TestServer } from './helpers/testServer.ts';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function start(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

describe('sessions', () => {
  it('logs in with an HttpOnly SameSite cookie, answers /api/me, and logs out', async () => {
    const server = await start();
    const { user, password } = await server.addUser('dana', { name: 'Dana Desk' });
    const response = await fetch(`${server.url}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Dana', password }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, username: 'dana', name: 'Dana Desk', isAdmin: false });
    const setCookie = response.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/sd_session=sds_/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0] ?? '';

    expect((await api(server.url, 'GET', '/api/me', { cookie })).body).toMatchObject({ username: 'dana' });
    expect((await api(server.url, 'DELETE', '/api/session', { cookie })).status).toBe(204);
    const after = await api<{ error: string }>(server.url, 'GET', '/api/me', { cookie });
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('not_authenticated');
  });

  it('refuses wrong passwords and unknown users alike, and rate-limits repeated attempts', async () => {
    const server = await start({ loginAttempts: 3 });
    await server.addUser('erin');
    const attempt = (username: string, password: string) =>
      api<{ error: string; message: string }>(server.url, 'POST', '/api/session', {}, { username, password });
    const wrong = await attempt('erin', 'not-the-password');
    const unknown = await attempt('nobody', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    await attempt('erin', 'again-wrong');
    await attempt('erin', 'third-wrong');
    const limited = await attempt('erin', 'and-again');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
  });

  it('validates bodies with a clear JSON error and changes nothing', async () => {
    const server = await start();
    const { password } = await server.addUser('fred');
    const cookie = await login(server.url, 'fred', password);
    const missing = await api<{ error: string; message: string }>(server.url, 'POST', '/api/stories', { cookie }, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('bad_request');
    expect(missing.body.message).toMatch(/title/);
    const tooLong = await api(server.url, 'POST', '/api/stories', { cookie }, { title: 'x'.repeat(301) });
    expect(tooLong.status).toBe(400);
    const extra = await api(server.url, 'POST', '/api/stories', { cookie }, { title: 'ok', role: 'editor' });
    expect(extra.status).toBe(400);
    const list = await api<{ stories: unknown[] }>(server.url, 'GET', '/api/stories', { cookie });
    expect(list.body.stories).toEqual([]);
  });
});

describe('stories', () => {
  it('lists only the stories a user is on; others get 404', async () => {
    const server = await start();
    const gina = await server.addUser('gina');
    const hal = await server.addUser('hal');
    const ginaCookie = await login(server.url, 'gina', gina.password);
    const halCookie = await login(server.url, 'hal', hal.password);
    const story = await createStory(server.url, ginaCookie, 'Port strike enters second week');
    expect(story).toMatchObject({ title: 'Port strike enters second week', role: 'editor', workflowState: 'draft' });

    expect((await api(server.url, 'GET', `/api/stories/${story.id}`, { cookie: halCookie })).status).toBe(404);
    expect(
      (await api<{ stories: unknown[] }>(server.url, 'GET', '/api/stories', { cookie: halCookie })).body.stories,
    ).toEqual([]);
    const denied = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${hal.user.id}`,
      { cookie: halCookie },
      { role: 'editor' },
    );
    expect(denied.status).toBe(404);

    const added = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${hal.user.id}`,
      { cookie: ginaCookie },
      { role: 'fact-checker' },
    );
    expect(added.status).toBe(200);
    const seen = await api<{ role: string; title: string }>(server.url, 'GET', `/api/stories/${story.id}`, {
      cookie: halCookie,
    });
    expect(seen.body).toMatchObject({ role: 'fact-checker', title: 'Port strike enters second week' });
    const notEditor = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${gina.user.id}`,
      { cookie: halCookie },
      { role: 'viewer' },
    );
    expect(notEditor.status).toBe(403);
    const badRole = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${hal.user.id}`,
      { cookie: ginaCookie },
      { role: 'owner' },
    );
    expect(badRole.status).toBe(400);
    expect((await api(server.url, 'GET', '/api/stories/not-an-id!', { cookie: ginaCookie })).status).toBe(400);
  });

  it('requires a login for every story route', async () => {
    const server = await start();
    for (const [method, path] of [
      ['GET', '/api/stories'],
      ['POST', '/api/stories'],
      ['GET', '/api/stories/abcdefgh1234'],
      ['GET', '/api/me'],
    ] as const) {
      const response = await api<{ error: string }>(
        server.url,
        method,
        path,
        {},
        method === 'POST' ? { title: 't' } : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(401);
      expect(response.body.error).toBe('not_authenticated');
    }
  });
});

describe('API tokens', () => {
  it('authenticates scripts with Bearer tokens until revoked', async () => {
    const server = await start();
    const { password } = await server.addUser('ivy');
    const cookie = await login(server.url, 'ivy', password);
    const created = await api<{ id: string; token: string }>(
      server.url,
      'POST',
      '/api/tokens',
      { cookie },
      { name: 'ingest' },
    );
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sdt_/);
    const token = created.body.token;
    expect((await api<{ username: string }>(server.url, 'GET', '/api/me', { token })).body.username).toBe('ivy');
    const listed = await api<{ tokens: { id: string }[] }>(server.url, 'GET', '/api/tokens', { cookie });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await api(server.url, 'DELETE', `/api/tokens/${created.body.id}`, { cookie })).status).toBe(204);
    expect((await api(server.url, 'GET', '/api/me', { token })).status).toBe(401);
  });
});

describe('OpenAPI', () => {
  it('describes every public route', async () => {
    const server = await start();
    const doc = await api<{ paths: Record<string, unknown> }>(server.url, 'GET', '/api/openapi.json', {});
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/session', '/api/me', '/api/stories', '/api/stories/{id}', '/api/tokens']),
    );
  });
});
