/**
 * The editorial workflow through the real server and live clients: transitions and who may take
 * them, the approval gate with each blocking kind of claim, the override (shown and audited), the
 * desk document live and read-only, "changed since approval", the diff since an approval (exact
 * text and authors, across a restart), versions (automatic, named) and restoring one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { readDesk } from '../shared/workflow.ts';
import { type CollabClient, waitFor } from './helpers/collabClient.ts';
import { type Newsroom, openNewsroom, paragraphText, plainText } from './helpers/newsroom.ts';
import type { TestServer } from './helpers/testServer.ts';

const servers: TestServer[] = [];
const clients: CollabClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

const STORY = [
  'The council approved the budget on Tuesday.',
  'Mayor Ruth Okafor said the vote was “a turning point for the harbour.”',
  'According to the city, the plan costs $4 million.',
];

interface WorkflowAnswer {
  workflow: ReturnType<typeof readDesk>;
  actions: string[];
  version: { id: string; kind: string } | null;
}
interface Refusal {
  error: string;
  message: string;
  blocking?: { id: string; reason: string; status: string; text: string }[];
}
interface Run {
  kind: 'same' | 'inserted' | 'deleted';
  text: string;
  by: string | null;
}
interface Diff {
  since: { id: string; kind: string };
  blocks: { type: string; kind: string; runs: Run[] }[];
  changes: (Run & { block: number })[];
  meta: Record<string, Run[]>;
  claimChanges: { claimId: string; from: string | null; to: string | null; by: string | null }[];
  people: Record<string, { name: string; color: string }>;
}

function newsroom(options: Parameters<typeof openNewsroom>[2] = {}) {
  return openNewsroom({ servers, clients }, STORY, options);
}

function bodyText(room: Newsroom, doc?: Y.Doc): string[] {
  const source = doc ?? room.server.app.rooms.peek({ storyId: room.story.id, part: 'body' })?.doc;
  return source ? source.getXmlFragment('body').toArray().map(plainText) : [];
}

/** Waits until the server's body shows `expected` (the writer's edits have been stored). */
async function serverHas(room: Newsroom, expected: string[]): Promise<void> {
  await waitFor(() => JSON.stringify(bodyText(room)) === JSON.stringify(expected), `server body ${expected.join('|')}`);
}

async function approve(room: Newsroom, override?: string) {
  return room.call<WorkflowAnswer & Refusal>(
    'edna',
    'POST',
    '/approve',
    override === undefined ? {} : { override: { reason: override } },
  );
}

describe('workflow transitions', () => {
  it('moves draft → in-review → approved → published for the roles allowed, live in the desk document', async () => {
    const room = await newsroom();
    const desk = await room.connect('vic', 'desk');
    expect(readDesk(desk.doc).state).toBe('draft');

    expect((await room.call('fay', 'POST', '/review')).status).toBe(403);
    expect((await room.call('vic', 'POST', '/review')).status).toBe(403);
    expect((await room.call<Refusal>('edna', 'POST', '/publish')).status).toBe(409);

    const review = await room.call<WorkflowAnswer>('rita', 'POST', '/review');
    expect(review.status).toBe(200);
    expect(review.body.workflow.state).toBe('in-review');
    expect(review.body.version?.kind).toBe('review');
    expect(review.body.actions).toEqual(['reopen']);
    await waitFor(() => readDesk(desk.doc).state === 'in-review', 'desk shows in-review');
    expect(readDesk(desk.doc).reviewRequested?.by).toBe(room.people.rita.user.id);
    expect((await room.call('rita', 'POST', '/review')).status).toBe(409);

    expect((await room.call('rita', 'POST', '/approve', {})).status).toBe(403);
    const approved = await approve(room);
    expect(approved.status).toBe(200);
    expect(approved.body.workflow.state).toBe('approved');
    expect(approved.body.workflow.approval).toMatchObject({ by: room.people.edna.user.id, override: null });
    await waitFor(() => readDesk(desk.doc).state === 'approved', 'desk shows approved');
    expect((await approve(room)).status).toBe(409);

    const published = await room.call<WorkflowAnswer>('edna', 'POST', '/publish');
    expect(published.body.workflow.state).toBe('published');
    await waitFor(() => readDesk(desk.doc).state === 'published', 'desk shows published');
    const listed = await room.call<{ workflowState: string; changedSinceApproval: boolean }>('vic', 'GET', '');
    expect(listed.body).toMatchObject({ workflowState: 'published', changedSinceApproval: false });

    expect((await room.call('rita', 'POST', '/reopen')).status).toBe(403);
    const reopened = await room.call<WorkflowAnswer>('edna', 'POST', '/reopen');
    expect(reopened.body.workflow.state).toBe('draft');

    const audit = await room.call<{ entries: { action: string; userId: string }[] }>('edna', 'GET', '/audit');
    expect(audit.body.entries.map((entry) => entry.action)).toEqual(
      expect.arrayContaining(['review-requested', 'approved', 'published', 'reopened']),
    );
  });

  it('keeps the desk document read-only over the socket, even for editors', async () => {
    const room = await newsroom();
    const desk = await room.connect('edna', 'desk');
    desk.doc.getMap('workflow').set('state', 'published');
    await waitFor(() => room.server.app.rooms.peek({ storyId: room.story.id, part: 'desk' }) !== undefined, 'room');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const status = await room.call<WorkflowAnswer>('edna', 'GET', '/workflow');
    expect(status.body.workflow.state).toBe('draft');
    expect(room.server.app.rooms.peek({ storyId: room.story.id, part: 'desk' })?.refusedUpdates).toBeGreaterThan(0);
  });
});

describe('the approval gate', () => {
  it.each(['unverified', 'in-review', 'disputed', 'false'])('refuses approval while a claim is %s', async (status) => {
    const room = await newsroom();
    const good = await room.call<{ id: string }>('fay', 'POST', '/claims', {
      quote: 'the plan costs $4 million',
      status: 'verified',
    });
    expect(good.status).toBe(201);
    const bad = await room.call<{ id: string }>('fay', 'POST', '/claims', {
      quote: 'The council approved the budget',
      status,
    });
    expect(bad.status).toBe(201);
    const refused = await approve(room);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('blocking_claims');
    expect(refused.body.blocking).toEqual([
      expect.objectContaining({ id: bad.body.id, reason: status, text: 'The council approved the budget' }),
    ]);
    expect((await room.call<WorkflowAnswer>('edna', 'GET', '/workflow')).body.workflow.state).toBe('draft');
    expect((await room.call<unknown[]>('edna', 'GET', '/versions')).body).toEqual({ versions: [] });
  });

  it('refuses approval while a claim is detached, or changed since it was verified', async () => {
    const room = await newsroom();
    const detached = await room.call<{ id: string }>('fay', 'POST', '/claims', {
      quote: 'on Tuesday',
      status: 'verified',
    });
    const changed = await room.call<{ id: string }>('fay', 'POST', '/claims', {
      quote: 'the plan costs $4 million',
      status: 'verified',
    });
    expect((await approve(room)).status).toBe(200);
    expect((await room.call('edna', 'POST', '/reopen')).status).toBe(200);

    const first = paragraphText(room.writer.doc, 0);
    first.delete(first.toString().indexOf(' on Tuesday'), ' on Tuesday'.length);
    const third = paragraphText(room.writer.doc, 2);
    third.delete(third.toString().indexOf('$4'), 2);
    third.insert(third.toString().indexOf(' million'), '$9');
    let refused: Awaited<ReturnType<typeof approve>>;
    const started = Date.now();
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      refused = await approve(room);
    } while ((refused.body.blocking?.length ?? 0) < 2 && Date.now() - started < 10_000);
    expect(refused.status).toBe(409);
    const reasons = Object.fromEntries((refused.body.blocking ?? []).map((claim) => [claim.id, claim.reason]));
    expect(reasons).toEqual({ [detached.body.id]: 'detached', [changed.body.id]: 'changed since verified' });
  });

  it('approves over blocking claims only with a reason, which is shown and audited', async () => {
    const room = await newsroom();
    const claim = await room.call<{ id: string }>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million' });
    expect((await room.call('edna', 'POST', '/approve', { override: { reason: '' } })).status).toBe(400);
    const approved = await approve(room, 'Budget figure confirmed by phone with the finance office');
    expect(approved.status).toBe(200);
    expect(approved.body.workflow.approval?.override).toEqual({
      reason: 'Budget figure confirmed by phone with the finance office',
    });
    const desk = await room.connect('vic', 'desk');
    expect(readDesk(desk.doc).approval?.override?.reason).toContain('finance office');
    const audit = await room.call<{ entries: { action: string; userId: string; detail: Record<string, unknown> }[] }>(
      'edna',
      'GET',
      '/audit',
    );
    const override = audit.body.entries.find((entry) => entry.action === 'approve-override');
    expect(override).toMatchObject({
      userId: room.people.edna.user.id,
      detail: { reason: 'Budget figure confirmed by phone with the finance office' },
    });
    expect(JSON.stringify(override?.detail)).toContain(claim.body.id);
    const refusedBefore = audit.body.entries.filter((entry) => entry.action === 'approve-refused');
    expect(refusedBefore).toHaveLength(0);
    // A refusal is audited too.
    await room.call('edna', 'POST', '/reopen');
    expect((await approve(room)).status).toBe(409);
    const after = await room.call<{ entries: { action: string }[] }>('edna', 'GET', '/audit');
    expect(after.body.entries.some((entry) => entry.action === 'approve-refused')).toBe(true);
  });
});

describe('changes since approval', () => {
  it('flags the story at the first body edit and diffs exactly what changed, by whom, across a restart', async () => {
    const room = await newsroom();
    const verified = await room.call<{ id: string }>('fay', 'POST', '/claims', {
      quote: 'the plan costs $4 million',
      status: 'verified',
    });
    expect((await approve(room)).status).toBe(200);
    expect((await room.call('edna', 'POST', '/publish')).status).toBe(200);

    // Rita adds a sentence; Edna deletes two words in another paragraph.
    const first = paragraphText(room.writer.doc, 0);
    first.insert(first.length, ' Two members voted against.');
    const editor = await room.connect('edna', 'body');
    const second = paragraphText(editor.doc, 1);
    await waitFor(() => second.toString().length > 0, 'editor synced');
    second.delete(second.toString().indexOf('Ruth '), 'Ruth '.length);
    // The fact-checker disputes the figure meanwhile.
    expect((await room.call('fay', 'PATCH', `/claims/${verified.body.id}`, { status: 'disputed' })).status).toBe(200);

    const expected = [
      `${STORY[0]} Two members voted against.`,
      'Mayor Okafor said the vote was “a turning point for the harbour.”',
      STORY[2] as string,
    ];
    await serverHas(room, expected);
    let story = (await room.call<{ workflowState: string; changedSinceApproval: boolean }>('vic', 'GET', '')).body;
    const started = Date.now();
    while (!story.changedSinceApproval && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      story = (await room.call<{ workflowState: string; changedSinceApproval: boolean }>('vic', 'GET', '')).body;
    }
    expect(story).toEqual(expect.objectContaining({ workflowState: 'published', changedSinceApproval: true }));
    const desk = (await room.call<WorkflowAnswer>('edna', 'GET', '/workflow')).body;
    expect(desk.workflow.changedSinceApproval?.by).toBe(room.people.rita.user.id);
    expect(desk.actions).toContain('approve');
    expect(desk.actions).not.toContain('publish');

    const check = (diff: Diff) => {
      expect(diff.since.kind).toBe('approval');
      expect(diff.changes).toEqual([
        { kind: 'inserted', text: ' Two members voted against.', by: room.people.rita.user.id, block: 0 },
        { kind: 'deleted', text: 'Ruth ', by: room.people.edna.user.id, block: 1 },
      ]);
      expect(diff.blocks.map((block) => block.runs.map((run) => run.text).join(''))).toEqual([
        `${STORY[0]} Two members voted against.`,
        STORY[1],
        STORY[2],
      ]);
      expect(diff.claimChanges).toEqual([
        expect.objectContaining({
          claimId: verified.body.id,
          from: 'verified',
          to: 'disputed',
          by: room.people.fay.user.id,
        }),
      ]);
      expect(diff.people[room.people.rita.user.id]?.name).toBe('Rita');
      expect(diff.people[room.people.edna.user.id]?.color).toMatch(/^#/);
    };
    const diff = await room.call<Diff>('edna', 'GET', '/diff?since=approval');
    expect(diff.status).toBe(200);
    check(diff.body);

    // Across a restart: everything the diff needs is stored.
    for (const client of clients.splice(0)) client.destroy();
    const dataDir = room.server.dataDir;
    await room.server.close({ keepData: true });
    servers.splice(servers.indexOf(room.server), 1);
    const again = await openNewsroomAgain(dataDir, room);
    check((await again<Diff>('/diff?since=approval')).body);
  });

  it('shows a paragraph split as no change, and diffs since any version', async () => {
    const room = await newsroom({ versionPauseMs: 100_000 });
    const named = await room.call<{ id: string; kind: string; name: string }>('rita', 'POST', '/versions', {
      name: 'Before the split',
    });
    expect(named.status).toBe(201);
    expect((await room.call('fay', 'POST', '/versions', { name: 'x' })).status).toBe(403);
    // What y-prosemirror does on Enter in the middle of a paragraph: the tail moves into a new one.
    room.writer.doc.transact(() => {
      const text = paragraphText(room.writer.doc, 1);
      const at = text.toString().indexOf(' the vote');
      const tail = text.toString().slice(at + 1);
      text.delete(at, text.length - at);
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(tail)]);
      room.writer.doc.getXmlFragment('body').insert(2, [paragraph]);
    });
    await serverHas(room, [
      STORY[0] as string,
      'Mayor Ruth Okafor said',
      'the vote was “a turning point for the harbour.”',
      STORY[2] as string,
    ]);
    const diff = await room.call<Diff>('edna', 'GET', `/diff?since=${named.body.id}`);
    expect(diff.status).toBe(200);
    expect(diff.body.since).toMatchObject({ kind: 'named', name: 'Before the split' });
    // The space at the split point is gone; the moved words are not reported as rewritten.
    expect(diff.body.changes).toEqual([{ kind: 'deleted', text: ' ', by: room.people.rita.user.id, block: 1 }]);
    expect((await room.call('edna', 'GET', '/diff?since=nope')).status).toBe(404);
    expect((await room.call('edna', 'GET', '/diff?since=approval')).status).toBe(404);
  });
});

describe('versions', () => {
  it('takes a version after a pause in editing, with who edited', async () => {
    const room = await newsroom({ versionPauseMs: 300 });
    const first = paragraphText(room.writer.doc, 0);
    first.insert(0, 'Late news: ');
    let versions: { kind: string; authors: string[] }[] = [];
    const started = Date.now();
    while (!versions.some((version) => version.kind === 'pause') && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      versions = (await room.call<{ versions: typeof versions }>('vic', 'GET', '/versions')).body.versions;
    }
    const pause = versions.find((version) => version.kind === 'pause');
    expect(pause?.authors).toContain(room.people.rita.user.id);
    // No edits, no new version.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const later = (await room.call<{ versions: typeof versions }>('vic', 'GET', '/versions')).body.versions;
    expect(later.filter((version) => version.kind === 'pause')).toHaveLength(
      versions.filter((version) => version.kind === 'pause').length,
    );
  });

  it('shows an earlier version and restores it as a new edit by the person who asked', async () => {
    const room = await newsroom({ versionPauseMs: 100_000 });
    const named = await room.call<{ id: string }>('rita', 'POST', '/versions', { name: 'Filed' });
    const first = paragraphText(room.writer.doc, 0);
    first.delete(0, first.length);
    first.insert(0, 'Rewritten lead.');
    room.writer.doc.getXmlFragment('body').delete(2, 1);
    await serverHas(room, ['Rewritten lead.', STORY[1] as string]);

    const shown = await room.call<{ doc: { content: unknown[] }; meta: { title: string } }>(
      'vic',
      'GET',
      `/versions/${named.body.id}`,
    );
    expect(shown.status).toBe(200);
    expect(shown.body.meta.title).toBe('Harbour budget');
    expect(JSON.stringify(shown.body.doc)).toContain('The council approved the budget on Tuesday.');
    expect(shown.body.doc.content).toHaveLength(3);

    expect((await room.call('fay', 'POST', `/versions/${named.body.id}/restore`)).status).toBe(403);
    const restored = await room.call<{ version: { kind: string } }>(
      'edna',
      'POST',
      `/versions/${named.body.id}/restore`,
    );
    expect(restored.status).toBe(200);
    await serverHas(room, STORY);
    await waitFor(() => JSON.stringify(bodyText(room, room.writer.doc)) === JSON.stringify(STORY), 'writer sees it');
    // Nothing was destroyed: the rewritten version is still in history, and the restore names Edna.
    const versions = (await room.call<{ versions: { kind: string; name: string | null }[] }>('vic', 'GET', '/versions'))
      .body.versions;
    expect(versions.map((version) => version.kind)).toEqual(['restore', 'restore', 'named']);
    const diff = await room.call<Diff>('edna', 'GET', `/diff?since=${named.body.id}`);
    const inserted = diff.body.changes.filter((change) => change.kind === 'inserted');
    // What the restore wrote is Edna's; what it kept (the full stop of the rewritten lead) stays Rita's.
    const byEdna = inserted.filter((change) => change.by === room.people.edna.user.id).map((change) => change.text);
    expect(byEdna).toEqual(['The council approved the budget on Tuesday', STORY[2]]);
    expect(inserted.filter((change) => change.by !== room.people.edna.user.id)).toEqual([
      { kind: 'inserted', text: '.', by: room.people.rita.user.id, block: 0 },
    ]);
  });
});

/** Starts a server on the same data and returns a GET helper for edna's story calls. */
async function openNewsroomAgain(dataDir: string, room: Newsroom) {
  const { startTestServer, login } = await import('./helpers/testServer.ts');
  const server = await startTestServer({ dataDir });
  servers.push(server);
  const cookie = await login(server.url, 'edna', room.people.edna.password);
  const { api } = await import('./helpers/testServer.ts');
  return <T>(path: string) => api<T>(server.url, 'GET', `/api/stories/${room.story.id}${path}`, { cookie });
}
