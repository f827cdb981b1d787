/**
 * Claims through the API and live documents: creation by quote, sentence and anchor; live in a
 * WebsocketProvider client's notes document; role rules; the re-check flag when a verified claim's
 * text changes; detaching when its sentence is deleted; re-finding text a paragraph split moved.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { anchorRange, flattenBody } from '../shared/anchors.ts';
import { readClaims } from '../shared/claims.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { openNewsroom, paragraphText } from './helpers/newsroom.ts';
import { api, type TestServer, type TestUser, tokenFor } from './helpers/testServer.ts';

const servers: TestServer[] = [];
const clients: CollabClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

interface ClaimView {
  id: string;
  status: string;
  storedStatus: string;
  text: string;
  quote: string;
  from: number | null;
  sourceIds: string[];
  changedSinceVerified: { by: string; at: string } | null;
}

const STORY = [
  'The council approved the budget on Tuesday.',
  'Mayor Ruth Okafor said the vote was “a turning point for the harbour.” The talks resumed on Monday.',
  'According to the city, the plan costs $4 million.',
];

function newsroom() {
  return openNewsroom({ servers, clients }, STORY);
}

type Call = Awaited<ReturnType<typeof newsroom>>['call'];

/** Polls the claims list until the claim satisfies `done` (the server checks claims asynchronously). */
async function claimWhen(call: Call, id: string, done: (view: ClaimView) => boolean): Promise<ClaimView | undefined> {
  const started = Date.now();
  let view: ClaimView | undefined;
  do {
    await new Promise((resolve) => setTimeout(resolve, 50));
    view = (await call<{ claims: ClaimView[] }>('edna', 'GET', '/claims')).body.claims.find((claim) => claim.id === id);
  } while ((view === undefined || !done(view)) && Date.now() - started < 10_000);
  return view;
}

describe('claims API', () => {
  it('lets an editor delete a claim: gone live for everyone, and audited', async () => {
    const { server, story, people, call } = await newsroom();
    const claim = (await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million' })).body;
    const notes = connectClient(server.collabUrl, story.id, 'notes', {
      token: await tokenFor(server.url, people.vic as TestUser),
    });
    clients.push(notes);
    await notes.synced;
    expect(readClaims(notes.doc).has(claim.id)).toBe(true);
    expect((await call('fay', 'DELETE', `/claims/${claim.id}`)).status).toBe(403);
    expect((await call('edna', 'DELETE', `/claims/${claim.id}`)).status).toBe(204);
    expect((await call('edna', 'DELETE', `/claims/${claim.id}`)).status).toBe(404);
    await waitFor(() => !readClaims(notes.doc).has(claim.id), 'the deletion reaches a live client');
    const listed = (await call<{ claims: ClaimView[] }>('vic', 'GET', '/claims')).body.claims;
    expect(listed.map((view) => view.id)).not.toContain(claim.id);
    const audit = (await call<{ entries: { action: string; detail: { claim?: string } }[] }>('edna', 'GET', '/audit'))
      .body.entries;
    expect(audit.find((entry) => entry.action === 'claim-deleted')?.detail.claim).toBe(claim.id);
  });

  it('lists sentences with attribution and whether they need a source', async () => {
    const { call } = await newsroom();
    const sentences = (
      await call<{ index: number; text: string; attributed: boolean; needsSource: boolean }[]>(
        'vic',
        'GET',
        '/sentences',
      )
    ).body;
    expect(sentences.map((sentence) => [sentence.text, sentence.attributed, sentence.needsSource])).toEqual([
      ['The council approved the budget on Tuesday.', false, false],
      ['Mayor Ruth Okafor said the vote was “a turning point for the harbour.”', true, true],
      ['The talks resumed on Monday.', false, false],
      ['According to the city, the plan costs $4 million.', true, true],
    ]);
  });

  it('creates claims by quote, sentence and anchor; they appear live in the notes document', async () => {
    const { server, story, people, writer, call } = await newsroom();
    const notes = connectClient(server.collabUrl, story.id, 'notes', {
      token: await tokenFor(server.url, people.edna as TestUser),
    });
    clients.push(notes);
    await notes.synced;

    const byQuote = await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million' });
    expect(byQuote.status).toBe(201);
    expect(byQuote.body).toMatchObject({ status: 'unverified', text: 'the plan costs $4 million' });
    const bySentence = await call<ClaimView>('rita', 'POST', '/claims', { sentence: 1, status: 'in-review' });
    expect(bySentence.body.text).toBe('Mayor Ruth Okafor said the vote was “a turning point for the harbour.”');
    const flat = flattenBody(writer.doc.getXmlFragment('body'));
    const from = flat.text.indexOf('approved');
    const anchor = anchorRange(flat, from, from + 'approved the budget'.length);
    const byAnchor = await call<ClaimView>('edna', 'POST', '/claims', { anchor, status: 'verified' });
    expect(byAnchor.body).toMatchObject({ status: 'verified', text: 'approved the budget' });

    await waitFor(() => readClaims(notes.doc).size === 3, 'claims live in the notes document');
    const listed = (await call<{ claims: ClaimView[] }>('vic', 'GET', '/claims')).body.claims;
    expect(listed.map((claim) => claim.text)).toEqual([
      'approved the budget',
      'Mayor Ruth Okafor said the vote was “a turning point for the harbour.”',
      'the plan costs $4 million',
    ]);
    const sentences = (await call<{ needsSource: boolean; claimIds: string[] }[]>('vic', 'GET', '/sentences')).body;
    expect(sentences.map((sentence) => sentence.needsSource)).toEqual([false, false, false, false]);
    expect(sentences[0]?.claimIds).toEqual([byAnchor.body.id]);

    // The story list counts claims by status.
    const started = Date.now();
    let counts: Record<string, number> = {};
    while (Date.now() - started < 10_000) {
      const stories = await api<{ stories: { id: string; claimCounts: Record<string, number> }[] }>(
        server.url,
        'GET',
        '/api/stories',
        { cookie: (people.vic as { cookie: string }).cookie },
      );
      counts = stories.body.stories.find((entry) => entry.id === story.id)?.claimCounts ?? {};
      if (counts.verified === 1 && counts.unverified === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(counts).toEqual({ unverified: 1, 'in-review': 1, verified: 1 });

    const second = await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the', occurrence: 3 });
    expect(second.body.from).toBe(flat.text.split('the', 3).join('the').length);
    expect((await call('fay', 'POST', '/claims', { quote: 'not in the story' })).status).toBe(400);
    expect((await call('fay', 'POST', '/claims', { sentence: 99 })).status).toBe(400);
    expect((await call('fay', 'POST', '/claims', { anchor: { start: 'AAAA', end: 'AAAA' } })).status).toBe(400);
  });

  it('enforces the role matrix and the shared schema', async () => {
    const { call } = await newsroom();
    expect((await call('vic', 'POST', '/claims', { sentence: 0 })).status).toBe(403);
    expect((await call('rita', 'POST', '/claims', { sentence: 0, status: 'verified' })).status).toBe(403);
    const claim = (await call<ClaimView>('rita', 'POST', '/claims', { sentence: 0 })).body;
    expect((await call('rita', 'PATCH', `/claims/${claim.id}`, { status: 'disputed' })).status).toBe(403);
    expect((await call('vic', 'PATCH', `/claims/${claim.id}`, { note: 'x' })).status).toBe(403);
    const verdict = await call<ClaimView>('fay', 'PATCH', `/claims/${claim.id}`, {
      status: 'false',
      note: 'Council minutes say Wednesday.',
    });
    expect(verdict.status).toBe(200);
    expect(verdict.body.status).toBe('false');

    const bad = await call<{ error: string; message: string }>('fay', 'POST', '/sources', {
      url: 'javascript:alert(1)',
      kind: 'document',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/http/);
    expect((await call('fay', 'POST', '/sources', { url: 'https://example.org/x', kind: 'rumour' })).status).toBe(400);
    expect(
      (
        await call('fay', 'POST', '/sources', {
          url: 'https://example.org/x',
          kind: 'document',
          title: 'x'.repeat(301),
        })
      ).status,
    ).toBe(400);
    expect((await call('vic', 'POST', '/sources', { url: 'https://example.org/x', kind: 'document' })).status).toBe(
      403,
    );
    const source = await call<{ id: string }>('rita', 'POST', '/sources', {
      url: 'https://example.org/minutes.pdf',
      outlet: 'City of Example',
      title: 'Council minutes',
      kind: 'document',
      passage: 'The budget was approved 7-2.',
    });
    expect(source.status).toBe(201);
    expect((await call('fay', 'PATCH', `/claims/${claim.id}`, { sourceIds: ['nosuchsource1'] })).status).toBe(400);
    const attached = await call<ClaimView>('fay', 'PATCH', `/claims/${claim.id}`, { sourceIds: [source.body.id] });
    expect(attached.body.sourceIds).toEqual([source.body.id]);
    const message = await call<{ text: string }>('vic', 'POST', `/claims/${claim.id}/messages`, { text: 'hi' });
    expect(message.status).toBe(403);
    expect((await call('rita', 'POST', `/claims/${claim.id}/messages`, { text: 'Checked the minutes.' })).status).toBe(
      201,
    );
  });
});

describe('claims as the story changes', () => {
  it('flags a verified claim when text inside it changes, and a re-verification clears it', async () => {
    const { people, writer, call } = await newsroom();
    const claim = (
      await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million', status: 'verified' })
    ).body;
    const text = paragraphText(writer.doc, 2);
    // Text typed just outside the claim does not count.
    text.insert(text.length - 1, ' in total');
    await new Promise((resolve) => setTimeout(resolve, 500));
    let current = (await call<{ claims: ClaimView[] }>('edna', 'GET', '/claims')).body.claims.find(
      (c) => c.id === claim.id,
    );
    expect(current?.changedSinceVerified).toBeNull();
    // Inside it does.
    const at = text.toString().indexOf('$4');
    text.delete(at, 2);
    text.insert(at, '$6');
    current = await claimWhen(call, claim.id, (view) => view.changedSinceVerified !== null);
    expect(current?.text).toBe('the plan costs $6 million');
    expect(current?.changedSinceVerified?.by).toBe((people.rita as TestUser).user.id);

    const again = await call<ClaimView>('fay', 'PATCH', `/claims/${claim.id}`, { status: 'verified' });
    expect(again.body.changedSinceVerified).toBeNull();
  });

  it('detaches a claim whose sentence is deleted and keeps listing it', async () => {
    const { writer, call } = await newsroom();
    const claim = (await call<ClaimView>('fay', 'POST', '/claims', { sentence: 2 })).body;
    expect(claim.text).toBe('The talks resumed on Monday.');
    const text = paragraphText(writer.doc, 1);
    const at = text.toString().indexOf(' The talks');
    text.delete(at, ' The talks resumed on Monday.'.length);
    const listed = await claimWhen(call, claim.id, (view) => view.status === 'detached');
    expect(listed).toMatchObject({ status: 'detached', storedStatus: 'unverified', text: '', from: null });
  });

  it('keeps a claim on its text when a paragraph split moves that text into a new paragraph', async () => {
    const { writer, call } = await newsroom();
    const claim = (await call<ClaimView>('fay', 'POST', '/claims', { quote: 'The talks resumed on Monday.' })).body;
    // What y-prosemirror does on Enter: the tail leaves the old text node and a new paragraph holds a copy.
    writer.doc.transact(() => {
      const text = paragraphText(writer.doc, 1);
      const at = text.toString().indexOf(' The talks');
      const tail = text.toString().slice(at + 1);
      text.delete(at, text.length - at);
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(tail)]);
      writer.doc.getXmlFragment('body').insert(2, [paragraph]);
    });
    const listed = await claimWhen(call, claim.id, (view) => view.status === 'unverified');
    expect(listed).toMatchObject({ status: 'unverified', text: 'The talks resumed on Monday.' });
  });

  it('keeps a claim on its text when two paragraphs are joined', async () => {
    const { writer, call } = await newsroom();
    const claim = (await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million' })).body;
    // What y-prosemirror does on Backspace at a paragraph's start: the text moves into the previous
    // paragraph's text node as new items, and the emptied paragraph goes.
    writer.doc.transact(() => {
      const moved = paragraphText(writer.doc, 2).toString();
      const previous = paragraphText(writer.doc, 1);
      previous.insert(previous.length, ` ${moved}`);
      writer.doc.getXmlFragment('body').delete(2, 1);
    });
    const listed = await claimWhen(call, claim.id, (view) => view.status === 'unverified');
    expect(listed).toMatchObject({ status: 'unverified', text: 'the plan costs $4 million' });
  });

  it('names the person who changed a verified claim even when someone else types elsewhere at the same time', async () => {
    const { server, story, people, writer, call } = await newsroom();
    const claim = (
      await call<ClaimView>('fay', 'POST', '/claims', { quote: 'the plan costs $4 million', status: 'verified' })
    ).body;
    const other = connectClient(server.collabUrl, story.id, 'body', {
      token: await tokenFor(server.url, people.edna as TestUser),
    });
    clients.push(other);
    await other.synced;
    const inside = paragraphText(writer.doc, 2);
    const at = inside.toString().indexOf('$4');
    inside.delete(at, 2);
    inside.insert(at, '$9');
    // As soon as the server has that change (well inside the keeper's throttle window), the editor
    // types in another paragraph.
    await waitFor(
      () =>
        flattenBody(
          server.app.rooms.peek({ storyId: story.id, part: 'body' })?.doc.getXmlFragment('body') ?? new Y.XmlFragment(),
        ).text.includes('$9'),
      'server has the change',
    );
    const elsewhere = paragraphText(other.doc, 0);
    for (const char of ' It was late.') elsewhere.insert(elsewhere.length, char);
    const flagged = await claimWhen(call, claim.id, (view) => view.changedSinceVerified !== null);
    expect(flagged?.changedSinceVerified?.by).toBe((people.rita as TestUser).user.id);
  });
});
