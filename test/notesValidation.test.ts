/**
 * Writes straight into the notes room over the socket bypass the API, so the room validates them:
 * schema, role rules, server-only fields, foreign data, incomplete updates. A refused update
 * closes the socket with 4422, leaves the room unchanged and is audited.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import type { Role } from '../shared/api.ts';
import { newRecordId, notesMaps, readClaims, type SourceRecord, writeSource } from '../shared/claims.ts';
import { CloseCode, MessageType } from '../shared/protocol.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './helpers/testServer.ts';

let server: TestServer;
let storyId: string;
let editorCookie: string;
let claimId: string;
const tokens = new Map<Role, string>();

beforeAll(async () => {
  server = await startTestServer();
  const owner = await server.addUser('owner');
  editorCookie = await login(server.url, 'owner', owner.password);
  storyId = (await createStory(server.url, editorCookie, 'Validated notes')).id;
  tokens.set('editor', await tokenFor(server.url, owner));
  for (const role of ['fact-checker', 'reporter'] as const) {
    const user = await server.addUser(role.replace('-', ''));
    await api(server.url, 'PUT', `/api/stories/${storyId}/members/${user.user.id}`, { cookie: editorCookie }, { role });
    tokens.set(role, await tokenFor(server.url, user));
  }
  // Some text and a claim to work on.
  await server.app.rooms.withRoom({ storyId, part: 'body' }, (room) =>
    room.change((doc) => {
      const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement;
      paragraph.insert(0, [new Y.XmlText('The harbour budget was approved on Tuesday.')]);
    }),
  );
  const created = await api<{ id: string }>(
    server.url,
    'POST',
    `/api/stories/${storyId}/claims`,
    { cookie: editorCookie },
    { sentence: 0 },
  );
  claimId = created.body.id;
});

afterAll(async () => {
  await server.close();
});

function source(fields: Partial<SourceRecord> = {}): SourceRecord {
  return {
    id: newRecordId(),
    url: 'https://example.org/statement',
    outlet: 'Example',
    title: 'Statement',
    kind: 'official-statement',
    passage: '',
    accessedAt: new Date().toISOString(),
    archiveUrl: null,
    createdBy: 'someone',
    createdAt: new Date().toISOString(),
    ...fields,
  };
}

async function notesState(): Promise<Uint8Array> {
  return server.app.rooms.withRoom({ storyId, part: 'notes' }, async (room) => Y.encodeStateAsUpdate(room.doc));
}

/** Sends one update as `role` on a raw socket that asks for acks: an ack means stored, 4422 refused. */
async function send(role: Role, update: Uint8Array): Promise<{ refused: boolean; reason: string }> {
  const token = tokens.get(role);
  if (!token) throw new Error(`no ${role}`);
  const ws = new WebSocket(`${server.collabUrl}/${storyId}/notes?ack=1&token=${token}`);
  await new Promise((resolve) => ws.once('open', resolve));
  const result = new Promise<{ refused: boolean; reason: string }>((resolve) => {
    ws.on('message', (data: Buffer) => {
      if (decoding.readVarUint(decoding.createDecoder(new Uint8Array(data))) === MessageType.savedAck) {
        resolve({ refused: false, reason: '' });
      }
    });
    ws.on('close', (code, reason) => resolve({ refused: code === CloseCode.updateRefused, reason: reason.toString() }));
  });
  ws.send(
    encoding.encode((encoder) => {
      encoding.writeVarUint(encoder, MessageType.sync);
      encoding.writeVarUint(encoder, 2);
      encoding.writeVarUint8Array(encoder, update);
    }),
  );
  const outcome = await result;
  ws.close();
  return outcome;
}

/** Makes `change` on a copy of the room as it is now and sends the resulting update as `role`. */
async function attempt(role: Role, change: (doc: Y.Doc) => void): Promise<{ refused: boolean; reason: string }> {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, await notesState());
  const updates: Uint8Array[] = [];
  copy.on('update', (update: Uint8Array) => updates.push(update));
  copy.transact(() => change(copy));
  if (updates.length === 0) throw new Error('the change changed nothing');
  return send(role, Y.mergeUpdates(updates));
}

/** Writes the room must refuse: what, by whom, the change. */
const REFUSED: [label: string, role: Role, change: (doc: Y.Doc) => void][] = [
  [
    'a source with a javascript: URL',
    'reporter',
    (doc: Y.Doc) => void writeSource(doc, source({ url: 'javascript:alert(1)' })),
  ],
  ['an over-long source title', 'reporter', (doc: Y.Doc) => void writeSource(doc, source({ title: 'x'.repeat(301) }))],
  [
    'a reporter setting a verdict',
    'reporter',
    (doc: Y.Doc) => void notesMaps(doc).claims.get(claimId)?.set('status', 'verified'),
  ],
  ['a fact-checker deleting a claim', 'fact-checker', (doc: Y.Doc) => void notesMaps(doc).claims.delete(claimId)],
  [
    'anyone writing the re-check flag',
    'editor',
    (doc: Y.Doc) =>
      void notesMaps(doc).claims.get(claimId)?.set('changedSinceVerified', { by: 'x', at: new Date().toISOString() }),
  ],
  [
    'a claim with an unknown status',
    'editor',
    (doc: Y.Doc) => void notesMaps(doc).claims.get(claimId)?.set('status', 'probably'),
  ],
  ['data outside the notes layout', 'editor', (doc: Y.Doc) => void doc.getMap('secrets').set('a', 1)],
];

describe('notes room validation', () => {
  it.each(REFUSED)('refuses %s, leaves the room unchanged and audits it', async (_label, role, change) => {
    const before = await notesState();
    const result = await attempt(role, change);
    expect(result.refused).toBe(true);
    expect(result.reason.length).toBeGreaterThan(0);
    expect(Buffer.from(await notesState()).equals(Buffer.from(before))).toBe(true);
  });

  it('refuses an update whose dependencies the server does not have', async () => {
    const before = await notesState();
    const copy = new Y.Doc();
    Y.applyUpdate(copy, before);
    writeSource(copy, source());
    // The next change builds on that source, which the server never receives.
    const afterSource = Y.encodeStateVector(copy);
    for (const map of notesMaps(copy).sources.values()) map.set('title', 'Edited');
    const result = await send('editor', Y.encodeStateAsUpdate(copy, afterSource));
    expect(result.refused).toBe(true);
    expect(Buffer.from(await notesState()).equals(Buffer.from(before))).toBe(true);
  });

  it('accepts valid writes within the role: a source by a reporter, a verdict by a fact-checker, a deletion by an editor', async () => {
    expect((await attempt('reporter', (doc) => writeSource(doc, source()))).refused).toBe(false);
    expect(
      (await attempt('fact-checker', (doc) => notesMaps(doc).claims.get(claimId)?.set('status', 'disputed'))).refused,
    ).toBe(false);
    await server.app.rooms.withRoom({ storyId, part: 'notes' }, async (room) => {
      expect(readClaims(room.doc).get(claimId)?.status).toBe('disputed');
    });
    expect((await attempt('editor', (doc) => notesMaps(doc).claims.delete(claimId))).refused).toBe(false);
    const audit = await api<{ entries: { action: string }[] }>(server.url, 'GET', `/api/stories/${storyId}/audit`, {
      cookie: editorCookie,
    });
    expect(audit.body.entries.filter((entry) => entry.action === 'write-refused').length).toBeGreaterThanOrEqual(8);
  });
});
