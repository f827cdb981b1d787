/**
 * The storage contract, run against both backends (SQLite and the machine's real PostgreSQL): every
 * store of the `Storage` interface, migrations applied once and idempotent on reopen, and the
 * document log's guarantees (order, snapshot + tail, compaction that never loses an entry).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Storage, VersionRecord } from '../server/storage/Storage.ts';
import { BACKENDS, type OpenedStorage } from './helpers/backends.ts';

const opened: OpenedStorage[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.dispose();
});

async function open(backend: (typeof BACKENDS)[number]): Promise<OpenedStorage> {
  const store = await backend.open();
  opened.push(store);
  return store;
}

function textUpdate(doc: Y.Doc, text: string): Uint8Array {
  let update: Uint8Array | null = null;
  const capture = (made: Uint8Array) => {
    update = made;
  };
  doc.on('update', capture);
  doc.getText('t').insert(doc.getText('t').length, text);
  doc.off('update', capture);
  if (update === null) throw new Error('no update');
  return update;
}

function rebuild(stored: Awaited<ReturnType<Storage['documents']['loadDocument']>>): string {
  const doc = new Y.Doc();
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const entry of stored.updates) Y.applyUpdate(doc, entry.data);
  return doc.getText('t').toString();
}

async function addUser(storage: Storage, id: string, admin = false) {
  const user = {
    id,
    username: `user-${id.toLowerCase()}`,
    name: `User ${id}`,
    passwordHash: 'scrypt$x',
    color: '#123456',
    isAdmin: admin,
    createdAt: new Date().toISOString(),
  };
  await storage.users.create(user);
  return user;
}

describe.each(BACKENDS)('storage on $name', (backend) => {
  const key = { storyId: 'story-aaaaaaaa', part: 'body' as const };

  it('appends updates in order and loads them back; unknown documents are empty', async () => {
    const { storage } = await open(backend);
    expect(await storage.documents.loadDocument(key)).toEqual({ snapshot: null, snapshotSeq: 0, updates: [] });
    const doc = new Y.Doc();
    const first = await storage.documents.appendUpdates(key, [{ data: textUpdate(doc, 'Hello'), userId: null }]);
    const second = await storage.documents.appendUpdates(key, [
      { data: textUpdate(doc, ', '), userId: 'u1' },
      { data: textUpdate(doc, 'world'), userId: 'u1' },
    ]);
    expect(second).toBeGreaterThan(first);
    const stored = await storage.documents.loadDocument(key);
    expect(stored.updates.map((entry) => entry.seq)).toEqual(
      [...stored.updates.map((entry) => entry.seq)].sort((a, b) => a - b),
    );
    expect(stored.updates.at(-1)?.seq).toBe(second);
    expect(rebuild(stored)).toBe('Hello, world');
    expect(await storage.documents.countLogTail(key)).toBe(3);
    // Other documents are separate.
    expect((await storage.documents.loadDocument({ ...key, part: 'notes' })).updates).toEqual([]);
    await expect(storage.documents.appendUpdates(key, [])).rejects.toThrow();
  });

  it('compacts into a snapshot that keeps later entries, and ignores an older snapshot', async () => {
    const { storage } = await open(backend);
    const doc = new Y.Doc();
    await storage.documents.appendUpdates(key, [{ data: textUpdate(doc, 'one '), userId: null }]);
    const upto = await storage.documents.appendUpdates(key, [{ data: textUpdate(doc, 'two '), userId: null }]);
    const state = Y.encodeStateAsUpdate(doc);
    await storage.documents.appendUpdates(key, [{ data: textUpdate(doc, 'three'), userId: null }]);
    await storage.documents.saveSnapshot(key, state, upto);
    const stored = await storage.documents.loadDocument(key);
    expect(stored.snapshotSeq).toBe(upto);
    expect(stored.updates).toHaveLength(1);
    expect(await storage.documents.countLogTail(key)).toBe(1);
    expect(rebuild(stored)).toBe('one two three');
    await storage.documents.saveSnapshot(key, Y.encodeStateAsUpdate(new Y.Doc()), upto - 1);
    expect(rebuild(await storage.documents.loadDocument(key))).toBe('one two three');
  });

  it('records client-id owners once and reports ids that belong to someone else', async () => {
    const { storage } = await open(backend);
    expect(await storage.documents.claimClientIds('alice', [1, 2, 4_294_967_295])).toEqual([]);
    expect(await storage.documents.claimClientIds('bob', [2, 3])).toEqual([2]);
    expect(await storage.documents.claimClientIds('alice', [1])).toEqual([]);
    const owners = await storage.documents.clientIdOwners([1, 2, 3, 4_294_967_295, 99]);
    expect(Object.fromEntries(owners)).toEqual({ 1: 'alice', 2: 'alice', 3: 'bob', 4294967295: 'alice' });
    expect((await storage.documents.clientIdOwners([])).size).toBe(0);
  });

  it('stores deletion records beside updates and lists them from a time on', async () => {
    const { storage } = await open(backend);
    const before = new Date(Date.now() - 1000).toISOString();
    await storage.documents.appendUpdates(key, [
      { data: new Uint8Array([0, 0]), userId: 'alice', deletes: new Uint8Array([1, 2, 3]) },
      { data: new Uint8Array([0, 0]), userId: 'bob' },
    ]);
    const listed = await storage.documents.listDeletions(key, before);
    expect(listed.map((record) => ({ userId: record.userId, data: [...record.data] }))).toEqual([
      { userId: 'alice', data: [1, 2, 3] },
    ]);
    expect(await storage.documents.listDeletions(key, new Date(Date.now() + 60_000).toISOString())).toEqual([]);
    expect(await storage.documents.listDeletions({ ...key, part: 'notes' }, before)).toEqual([]);
  });

  it('keeps users, sessions and tokens', async () => {
    const { storage } = await open(backend);
    const alice = await addUser(storage, 'A1', true);
    await addUser(storage, 'B1');
    expect(await storage.users.count()).toBe(2);
    expect(await storage.users.findByUsername('user-a1')).toEqual(alice);
    expect(await storage.users.findById('A1')).toEqual(alice);
    expect(await storage.users.findById('nobody')).toBeNull();
    expect((await storage.users.list()).map((user) => user.username)).toEqual(['user-a1', 'user-b1']);
    await expect(addUser(storage, 'A1')).rejects.toThrow();

    const now = new Date();
    await storage.sessions.create('hash-1', 'A1', new Date(now.getTime() + 60_000));
    await storage.sessions.create('hash-old', 'A1', new Date(now.getTime() - 1));
    expect(await storage.sessions.findUserId('hash-1', now)).toBe('A1');
    expect(await storage.sessions.findUserId('hash-old', now)).toBeNull();
    await storage.sessions.delete('hash-1');
    expect(await storage.sessions.findUserId('hash-1', now)).toBeNull();

    const token = { id: 'T1', userId: 'A1', name: 'script', createdAt: now.toISOString() };
    await storage.tokens.create(token, 'token-hash');
    expect(await storage.tokens.find('token-hash')).toEqual({ id: 'T1', userId: 'A1' });
    expect(await storage.tokens.listForUser('A1')).toEqual([token]);
    expect(await storage.tokens.revoke('T1', 'B1', now)).toBe(false);
    expect(await storage.tokens.revoke('T1', 'A1', now)).toBe(true);
    expect(await storage.tokens.revoke('T1', 'A1', now)).toBe(false);
    expect(await storage.tokens.find('token-hash')).toBeNull();
    expect(await storage.tokens.listForUser('A1')).toEqual([]);
  });

  it('keeps stories, membership, counts and the workflow projection', async () => {
    const { storage } = await open(backend);
    await addUser(storage, 'A1');
    await addUser(storage, 'B1');
    const at = '2026-01-01T00:00:00.000Z';
    await storage.stories.create({ id: 'S1', title: 'First', createdBy: 'A1', createdAt: at, updatedAt: at });
    await storage.stories.create({ id: 'S2', title: 'Second', createdBy: 'B1', createdAt: at, updatedAt: at });
    expect(await storage.stories.roleOf('S1', 'A1')).toBe('editor');
    expect(await storage.stories.roleOf('S1', 'B1')).toBeNull();
    await storage.stories.setMember('S1', 'B1', 'reporter');
    await storage.stories.setMember('S1', 'B1', 'fact-checker');
    expect(await storage.stories.roleOf('S1', 'B1')).toBe('fact-checker');
    expect(await storage.stories.countEditors('S1')).toBe(1);
    await storage.stories.touch('S1', '2026-02-01T00:00:00.000Z', 'First, renamed');
    await storage.stories.setClaimCounts('S1', { verified: 2, detached: 1 });
    await storage.stories.setWorkflow('S1', 'approved', true);
    const listed = await storage.stories.listForUser('B1');
    expect(listed).toEqual([
      expect.objectContaining({
        id: 'S1',
        title: 'First, renamed',
        role: 'fact-checker',
        claimCounts: { verified: 2, detached: 1 },
        workflowState: 'approved',
        changedSinceApproval: true,
        updatedAt: '2026-02-01T00:00:00.000Z',
      }),
      expect.objectContaining({ id: 'S2', role: 'editor' }),
    ]);
    expect((await storage.stories.listAll()).map((story) => story.id)).toEqual(['S1', 'S2']);
    expect(await storage.stories.get('S2')).toMatchObject({ workflowState: 'draft', changedSinceApproval: false });
    expect(await storage.stories.removeMember('S1', 'B1')).toBe(true);
    expect(await storage.stories.removeMember('S1', 'B1')).toBe(false);
    expect(await storage.stories.listForUser('B1')).toEqual([expect.objectContaining({ id: 'S2', role: 'editor' })]);
    expect(await storage.stories.get('nope')).toBeNull();
  });

  it('appends to the audit trail and lists a story’s entries in order', async () => {
    const { storage } = await open(backend);
    await storage.audit.append({ storyId: 'S1', userId: 'A1', action: 'member-set', detail: { role: 'viewer' } });
    await storage.audit.append({ storyId: null, userId: 'A1', action: 'login', detail: {} });
    await storage.audit.append({ storyId: 'S1', userId: null, action: 'write-refused', detail: { part: 'desk' } });
    const entries = await storage.audit.listForStory('S1');
    expect(entries.map((entry) => [entry.action, entry.detail])).toEqual([
      ['member-set', { role: 'viewer' }],
      ['write-refused', { part: 'desk' }],
    ]);
    expect(await storage.audit.listForStory('S1', entries[0]?.seq)).toHaveLength(1);
    expect(await storage.audit.listForStory('S1', 0, 1)).toHaveLength(1);
  });

  it('keeps versions, newest first, with their pinned states', async () => {
    const { storage } = await open(backend);
    const version = (id: string, kind: VersionRecord['kind']): VersionRecord => ({
      id,
      storyId: 'S1',
      kind,
      name: kind === 'named' ? `Name ${id}` : null,
      createdBy: kind === 'pause' ? null : 'A1',
      createdAt: `2026-03-0${id.slice(1)}T00:00:00.000Z`,
      authors: ['A1', 'B1'],
      bodySnapshot: new Uint8Array([1, 2, 3]),
      notesState: new Uint8Array([4, 5]),
    });
    await storage.versions.create(version('V1', 'approval'));
    await storage.versions.create(version('V2', 'pause'));
    await storage.versions.create(version('V3', 'named'));
    expect((await storage.versions.list('S1')).map((entry) => entry.id)).toEqual(['V3', 'V2', 'V1']);
    expect(await storage.versions.list('S2')).toEqual([]);
    expect(await storage.versions.get('S1', 'V1')).toEqual(version('V1', 'approval'));
    expect(await storage.versions.get('S2', 'V1')).toBeNull();
    expect((await storage.versions.latest('S1'))?.id).toBe('V3');
    expect((await storage.versions.latest('S1', 'approval'))?.id).toBe('V1');
    expect(await storage.versions.latest('S1', 'publish')).toBeNull();
  });

  it('migrates once: a second store on the same data sees everything and answers ping', async () => {
    const store = await open(backend);
    await addUser(store.storage, 'A1');
    const again = await store.reopen();
    expect(await again.users.count()).toBe(1);
    await again.ping();
    await store.storage.ping();
  });
});

describe('storage on postgres, with several instances', () => {
  const key = { storyId: 'story-aaaaaaaa', part: 'body' as const };
  const postgres = BACKENDS.find((backend) => backend.name === 'postgres') as (typeof BACKENDS)[number];

  it('never drops a stored entry that the snapshot state lacks (another instance wrote it)', async () => {
    const { storage, reopen } = await open(postgres);
    const other = await reopen();
    const mine = new Y.Doc();
    const theirs = new Y.Doc();
    await storage.documents.appendUpdates(key, [{ data: textUpdate(mine, 'mine '), userId: 'a' }]);
    const upto = await other.documents.appendUpdates(key, [{ data: textUpdate(theirs, 'theirs '), userId: 'b' }]);
    // `mine` never saw the other instance's update, yet its room claims everything up to `upto`.
    await storage.documents.saveSnapshot(key, Y.encodeStateAsUpdate(mine), upto);
    const stored = await other.documents.loadDocument(key);
    expect(stored.updates).toEqual([]);
    const text = rebuild(stored);
    expect(text).toContain('mine');
    expect(text).toContain('theirs');
  });
});
