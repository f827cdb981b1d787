/**
 * Per-story roles enforced by the server on the live documents: for each role, a stock
 * WebsocketProvider and a raw socket with hand-built frames try every write the role must not
 * make; the room is unchanged, the client is told, the attempt is audited. Membership changes
 * reach open sockets at once.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { Role } from '../shared/api.ts';
import { newRecordId, writeSource } from '../shared/claims.ts';
import { STORY_PARTS, type StoryPart } from '../shared/documentLayout.ts';
import { canWriteRoom } from '../shared/permissions.ts';
import { CloseCode, MessageType } from '../shared/protocol.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import {
  api,
  createStory,
  login,
  startTestServer,
  type TestServer,
  type TestUser,
  tokenFor,
} from './helpers/testServer.ts';

const ROLES: Role[] = ['viewer', 'fact-checker', 'reporter', 'editor'];

let server: TestServer;
let storyId: string;
let editorCookie: string;
let ownerToken: string;
const people = new Map<Role, { user: TestUser; token: string; cookie: string }>();
const clients: CollabClient[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const owner = await server.addUser('owner');
  editorCookie = await login(server.url, 'owner', owner.password);
  ownerToken = await tokenFor(server.url, owner);
  storyId = (await createStory(server.url, editorCookie, 'Roles')).id;
  for (const role of ROLES) {
    const user = await server.addUser(role.replace('-', ''));
    await api(server.url, 'PUT', `/api/stories/${storyId}/members/${user.user.id}`, { cookie: editorCookie }, { role });
    people.set(role, {
      user,
      token: await tokenFor(server.url, user),
      cookie: await login(server.url, user.user.username, user.password),
    });
  }
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.close();
});

function person(role: Role) {
  const found = people.get(role);
  if (!found) throw new Error(`no ${role}`);
  return found;
}

/** A change a client might try: text in the body, a claim-like entry in the notes, state in the desk. */
function tryWrite(doc: Y.Doc, part: StoryPart, label: string): void {
  if (part === 'body') doc.getMap('meta').set('dek', label);
  else if (part === 'notes') {
    const now = new Date().toISOString();
    writeSource(doc, {
      id: newRecordId(),
      url: `https://example.org/${label}`,
      outlet: 'Example',
      title: label,
      kind: 'document',
      passage: '',
      accessedAt: now,
      archiveUrl: null,
      createdBy: 'test',
      createdAt: now,
    });
  } else doc.getMap('workflow').set('state', label);
}

async function serverState(part: StoryPart): Promise<Uint8Array> {
  return server.app.rooms.withRoom({ storyId, part }, async (room) => Y.encodeStateVector(room.doc));
}

async function auditActions(): Promise<{ action: string; userId: string | null; detail: Record<string, unknown> }[]> {
  const response = await api<{ entries: { action: string; userId: string | null; detail: Record<string, unknown> }[] }>(
    server.url,
    'GET',
    `/api/stories/${storyId}/audit`,
    { cookie: editorCookie },
  );
  return response.body.entries;
}

describe('write permission per room', () => {
  for (const role of ROLES) {
    for (const part of STORY_PARTS) {
      const allowed = canWriteRoom(role, part);
      it(`${role} ${allowed ? 'may' : 'may not'} write the ${part} (stock provider)`, async () => {
        const client = connectClient(server.collabUrl, storyId, part, { token: person(role).token });
        clients.push(client);
        await client.synced;
        const denied: string[] = [];
        const before = await serverState(part);
        const label = `${role}-${part}-${Date.now()}`;
        // The stock provider reports permission-denied auth messages through this handler.
        client.provider.messageHandlers[MessageType.auth] = (_encoder, decoder) => {
          decoding.readVarUint(decoder);
          denied.push(decoding.readVarString(decoder));
        };
        tryWrite(client.doc, part, label);
        if (allowed) {
          await waitFor(() => {
            const room = server.app.rooms.peek({ storyId, part });
            return room !== undefined && Buffer.compare(Y.encodeStateVector(room.doc), before) !== 0;
          }, 'accepted');
        } else {
          await waitFor(() => denied.length === 1, 'told it was refused');
          expect(denied[0]).toContain(role);
          expect(await serverState(part)).toEqual(before);
          const entries = await auditActions();
          expect(
            entries.some(
              (entry) =>
                entry.action === 'write-refused' &&
                entry.userId === person(role).user.user.id &&
                entry.detail.part === part,
            ),
          ).toBe(true);
        }
        client.destroy();
      });
    }
  }

  it('refuses hand-built update frames from a viewer and a fact-checker on the body, and keeps the socket for reading', async () => {
    for (const role of ['viewer', 'fact-checker'] as const) {
      const ws = new WebSocket(`${server.collabUrl}/${storyId}/body?token=${person(role).token}`);
      const received: number[] = [];
      ws.on('message', (data: Buffer) =>
        received.push(decoding.readVarUint(decoding.createDecoder(new Uint8Array(data)))),
      );
      await new Promise((resolve) => ws.once('open', resolve));
      const before = await serverState('body');
      const forged = new Y.Doc({ gc: false });
      forged.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
      for (const syncType of [1, 2]) {
        ws.send(
          encoding.encode((encoder) => {
            encoding.writeVarUint(encoder, MessageType.sync);
            encoding.writeVarUint(encoder, syncType);
            encoding.writeVarUint8Array(encoder, Y.encodeStateAsUpdate(forged));
          }),
        );
      }
      await waitFor(() => received.filter((type) => type === MessageType.auth).length === 2, `${role} told twice`);
      expect(await serverState('body')).toEqual(before);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.close();
    }
  });
});

describe('membership changes on open sockets', () => {
  it('a downgrade applies to the next message, a removal closes the socket', async () => {
    const user = await server.addUser('temp');
    await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${user.user.id}`,
      { cookie: editorCookie },
      { role: 'reporter' },
    );
    const client = connectClient(server.collabUrl, storyId, 'body', { token: await tokenFor(server.url, user) });
    clients.push(client);
    await client.synced;
    client.doc.getMap('meta').set('byline', 'By Temp');
    await waitFor(
      () => server.app.rooms.peek({ storyId, part: 'body' })?.doc.getMap('meta').get('byline') === 'By Temp',
      'write accepted',
    );

    await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${user.user.id}`,
      { cookie: editorCookie },
      { role: 'viewer' },
    );
    const refusedBefore = server.app.rooms.peek({ storyId, part: 'body' })?.refusedUpdates ?? 0;
    client.doc.getMap('meta').set('byline', 'By Temp, again');
    await waitFor(
      () => (server.app.rooms.peek({ storyId, part: 'body' })?.refusedUpdates ?? 0) > refusedBefore,
      'refused after downgrade',
    );
    expect(server.app.rooms.peek({ storyId, part: 'body' })?.doc.getMap('meta').get('byline')).toBe('By Temp');

    const closed = client.nextClose();
    const removed = await api(server.url, 'DELETE', `/api/stories/${storyId}/members/${user.user.id}`, {
      cookie: editorCookie,
    });
    expect(removed.status).toBe(204);
    expect((await closed).code).toBe(CloseCode.forbidden);
    const entries = await auditActions();
    expect(entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['member-set', 'member-removed', 'write-refused']),
    );
  });

  it('keeps at least one editor on a story', async () => {
    const owner = (await api<{ id: string }>(server.url, 'GET', '/api/me', { cookie: editorCookie })).body;
    const editorUser = person('editor').user.user;
    await api(server.url, 'DELETE', `/api/stories/${storyId}/members/${editorUser.id}`, { cookie: editorCookie });
    const demote = await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${owner.id}`,
      { cookie: editorCookie },
      { role: 'viewer' },
    );
    expect(demote.status).toBe(409);
    expect(
      (await api(server.url, 'DELETE', `/api/stories/${storyId}/members/${owner.id}`, { cookie: editorCookie })).status,
    ).toBe(409);
  });
});

describe('presence identity', () => {
  it("stamps the viewer's role into its awareness state", async () => {
    const viewer = connectClient(server.collabUrl, storyId, 'body', { token: person('viewer').token });
    const watcher = connectClient(server.collabUrl, storyId, 'body', { token: person('reporter').token });
    clients.push(viewer, watcher);
    await Promise.all([viewer.synced, watcher.synced]);
    viewer.provider.awareness.setLocalStateField('user', { name: 'Someone Else', role: 'editor' });
    await waitFor(
      () =>
        (watcher.provider.awareness.getStates().get(viewer.doc.clientID) as { user?: { role?: string } } | undefined)
          ?.user?.role === 'viewer',
      'role stamped',
    );
  });
});

describe('Yjs client id ownership', () => {
  it("refuses an update written under another user's client id", async () => {
    const reporter = connectClient(server.collabUrl, storyId, 'body', { token: person('reporter').token });
    clients.push(reporter);
    await reporter.synced;
    reporter.doc.getMap('meta').set('byline', 'By the reporter');
    const key = { storyId, part: 'body' as const };
    await waitFor(() => server.app.rooms.peek(key)?.doc.getMap('meta').get('byline') === 'By the reporter', 'stored');

    // The story's owner (an editor) reuses the reporter's client id, so its edit would be credited to them.
    const impostor = new Y.Doc({ gc: false });
    impostor.clientID = reporter.doc.clientID;
    const forged = connectClient(
      server.collabUrl,
      storyId,
      'body',
      { token: ownerToken },
      { doc: impostor, connect: false },
    );
    clients.push(forged);
    // Start from the room's state so that only the forged struct is new.
    await server.app.rooms.withRoom(key, async (room) => {
      Y.applyUpdate(impostor, Y.encodeStateAsUpdate(room.doc));
    });
    impostor.clientID = reporter.doc.clientID;
    const closed = forged.nextClose();
    forged.provider.connect();
    await forged.synced;
    impostor.getMap('meta').set('dek', 'Written by someone else');
    expect((await closed).code).toBe(CloseCode.updateRefused);
    expect(server.app.rooms.peek(key)?.doc.getMap('meta').get('dek')).not.toBe('Written by someone else');
    const entries = await auditActions();
    expect(
      entries.some((entry) => entry.action === 'write-refused' && String(entry.detail.reason).includes('client id')),
    ).toBe(true);
  });
});

describe('ended credentials on open sockets', () => {
  it('revoking a token or logging out closes the sockets opened with it (4401)', async () => {
    const user = await server.addUser('leaver');
    await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${user.user.id}`,
      { cookie: editorCookie },
      { role: 'reporter' },
    );
    const cookie = await login(server.url, 'leaver', user.password);
    const created = await api<{ id: string; token: string }>(
      server.url,
      'POST',
      '/api/tokens',
      { cookie },
      { name: 'script' },
    );
    const byToken = connectClient(server.collabUrl, storyId, 'body', { token: created.body.token });
    const byCookie = connectClient(server.collabUrl, storyId, 'notes', { headers: { cookie } });
    clients.push(byToken, byCookie);
    await Promise.all([byToken.synced, byCookie.synced]);

    const tokenClosed = byToken.nextClose();
    expect((await api(server.url, 'DELETE', `/api/tokens/${created.body.id}`, { cookie })).status).toBe(204);
    expect((await tokenClosed).code).toBe(CloseCode.notAuthenticated);

    const cookieClosed = byCookie.nextClose();
    expect((await api(server.url, 'DELETE', '/api/session', { cookie })).status).toBe(204);
    expect((await cookieClosed).code).toBe(CloseCode.notAuthenticated);
  });
});

describe('the API enforces the same matrix', () => {
  it('answers every write route by role', async () => {
    await server.app.rooms.withRoom({ storyId, part: 'body' }, (room) =>
      room.change((doc) => {
        const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement;
        paragraph.insert(0, [new Y.XmlText('The ferry resumed service, the port authority said.')]);
      }),
    );
    const seed = await api<{ id: string }>(
      server.url,
      'POST',
      `/api/stories/${storyId}/claims`,
      { cookie: editorCookie },
      { sentence: 0 },
    );
    expect(seed.status).toBe(201);
    const outsider = await server.addUser('outsider');
    const outsiderCookie = await login(server.url, 'outsider', outsider.password);
    const expected: Record<string, Record<Role | 'outsider', number>> = {
      'POST claims': { viewer: 403, 'fact-checker': 201, reporter: 201, editor: 201, outsider: 404 },
      'PATCH verdict': { viewer: 403, 'fact-checker': 200, reporter: 403, editor: 200, outsider: 404 },
      'PATCH in-review': { viewer: 403, 'fact-checker': 200, reporter: 200, editor: 200, outsider: 404 },
      'POST sources': { viewer: 403, 'fact-checker': 201, reporter: 201, editor: 201, outsider: 404 },
      'POST messages': { viewer: 403, 'fact-checker': 201, reporter: 201, editor: 201, outsider: 404 },
      'PUT members': { viewer: 403, 'fact-checker': 403, reporter: 403, editor: 200, outsider: 404 },
      'GET audit': { viewer: 200, 'fact-checker': 200, reporter: 200, editor: 200, outsider: 404 },
      'GET claims': { viewer: 200, 'fact-checker': 200, reporter: 200, editor: 200, outsider: 404 },
      'DELETE claim': { viewer: 403, 'fact-checker': 403, reporter: 403, editor: 204, outsider: 404 },
      'POST versions': { viewer: 403, 'fact-checker': 403, reporter: 201, editor: 201, outsider: 404 },
      'GET versions': { viewer: 200, 'fact-checker': 200, reporter: 200, editor: 200, outsider: 404 },
    };
    // The editor whose membership earlier tests removed is put back first.
    await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${person('editor').user.user.id}`,
      { cookie: editorCookie },
      { role: 'editor' },
    );
    const target = await server.addUser('target');
    const freshClaim = async () =>
      (
        await api<{ id: string }>(
          server.url,
          'POST',
          `/api/stories/${storyId}/claims`,
          { cookie: editorCookie },
          { sentence: 0 },
        )
      ).body.id;
    for (const who of [...ROLES, 'outsider'] as const) {
      const cookie = who === 'outsider' ? outsiderCookie : person(who).cookie;
      const call = (method: string, path: string, body?: unknown) =>
        api(server.url, method, `/api/stories/${storyId}${path}`, { cookie }, body).then((response) => response.status);
      const got: Record<string, number> = {
        'POST claims': await call('POST', '/claims', { sentence: 0 }),
        'PATCH verdict': await call('PATCH', `/claims/${seed.body.id}`, { status: 'verified' }),
        'PATCH in-review': await call('PATCH', `/claims/${seed.body.id}`, { status: 'in-review' }),
        'POST sources': await call('POST', '/sources', { url: 'https://example.org/a', kind: 'document' }),
        'POST messages': await call('POST', `/claims/${seed.body.id}/messages`, { text: 'Checked.' }),
        'PUT members': await call('PUT', `/members/${target.user.id}`, { role: 'viewer' }),
        'GET audit': await call('GET', '/audit'),
        'GET claims': await call('GET', '/claims'),
        'DELETE claim': await call('DELETE', `/claims/${await freshClaim()}`),
        'POST versions': await call('POST', '/versions', { name: `Checked by ${who}` }),
        'GET versions': await call('GET', '/versions'),
      };
      for (const [route, statuses] of Object.entries(expected))
        expect(got[route], `${who}: ${route}`).toBe(statuses[who]);
    }
  });
});
