/**
 * Importing a story (`POST /api/stories/import`): the rules that tell page furniture from story
 * text, then the real server on the seed story (../shared/fixtures) and on our own pages under
 * test/fixtures/import (whole pages, a copied fragment, Markdown, an email), each with its own
 * kind of boilerplate and hostile markup: what is kept, what is dropped and reported, what never
 * survives; the media types, sizes and charsets the route accepts; the body written through the
 * room (live in a connected client, and still there after a restart).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importStory } from '../server/importExport/importStory.ts';
import { clientIdsOf } from '../server/workflow/bodyDiff.ts';
import { flattenBody } from '../shared/anchors.ts';
import type { ImportResult } from '../shared/importExport.ts';
import {
  classifyBlocks,
  furnitureReasonForLine,
  furnitureReasonForNames,
  IMPORT_LIMITS,
  splitPlainText,
} from '../shared/importRules.ts';
import { readMetaField } from '../shared/metaText.ts';
import { connectClient } from './helpers/collabClient.ts';
import { api, login, startTestServer, type TestServer, tokenFor } from './helpers/testServer.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'import');
const SEED = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'seed-article.txt');

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function newsroom() {
  const server = await startTestServer();
  servers.push(server);
  const irene = await server.addUser('irene', { name: 'Irene Importer' });
  const cookie = await login(server.url, 'irene', irene.password);
  return { server, irene, cookie };
}

interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function postImport<T = ImportResult>(
  server: TestServer,
  cookie: string | null,
  body: string | Blob,
  contentType: string | null,
  query = '',
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (cookie !== null) headers.cookie = cookie;
  if (contentType !== null) headers['content-type'] = contentType;
  const response = await fetch(`${server.url}/api/stories/import${query}`, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

interface StoryJson {
  story: { title: string; byline: string; workflowState: string };
  doc: ProseMirrorJson;
  text: string;
}
interface ProseMirrorJson {
  type: string;
  text?: string;
  attrs?: Record<string, unknown>;
  marks?: { type: string; attrs?: Record<string, unknown> }[];
  content?: ProseMirrorJson[];
}

async function exported(server: TestServer, cookie: string, id: string): Promise<StoryJson> {
  const { status, body } = await api<StoryJson>(server.url, 'GET', `/api/stories/${id}/export?format=json`, { cookie });
  expect(status).toBe(200);
  return body;
}

function nodesOf(node: ProseMirrorJson, type: string): ProseMirrorJson[] {
  const found = node.type === type ? [node] : [];
  return [...found, ...(node.content ?? []).flatMap((child) => nodesOf(child, type))];
}

function markedText(node: ProseMirrorJson, mark: string): string[] {
  return nodesOf(node, 'text')
    .filter((text) => text.marks?.some((candidate) => candidate.type === mark))
    .map((text) => text.text ?? '');
}

function linkHrefs(node: ProseMirrorJson): string[] {
  return nodesOf(node, 'text').flatMap((text) =>
    (text.marks ?? []).filter((mark) => mark.type === 'link').map((mark) => String(mark.attrs?.href)),
  );
}

describe('the rules for page furniture', () => {
  it('drops the seed story’s sign-in box: everything from “Sign in” on, and nothing before it', () => {
    const blocks = splitPlainText(readFileSync(SEED, 'utf8'));
    const verdicts = classifyBlocks(blocks);
    const signIn = blocks.findIndex((block) => block.text === 'Sign in');
    expect(signIn).toBe(11);
    expect(verdicts.slice(0, signIn).every((verdict) => verdict.keep)).toBe(true);
    expect(verdicts.slice(signIn).every((verdict) => !verdict.keep)).toBe(true);
    expect(verdicts[signIn]).toEqual({ keep: false, reason: 'sign-in' });
  });

  it('a “Related” heading early in the text drops only its list, up to the next sentence', () => {
    const verdicts = classifyBlocks([
      { text: 'Related' },
      { text: 'Ferry fares to rise in spring' },
      { text: 'The council met on Tuesday and approved the budget for the coming year.' },
      { text: 'Its leader said the vote was close.' },
    ]);
    expect(verdicts.map((verdict) => verdict.keep)).toEqual([false, false, true, true]);
  });

  it('keeps sentences that merely start like furniture', () => {
    for (const sentence of [
      'Share prices fell 3 percent on Monday after the announcement.',
      'Copyright lawyers said the ruling would change the music industry.',
      'Sign in sheets at the shelter showed 40 people stayed overnight.',
      'Most read books of the year were announced by the library on Friday.',
      'Advertising revenue fell by a fifth, the company said.',
      'Photos of the flooded street were shared thousands of times on social media.',
      'Home owners in the valley were told to boil their water.',
    ]) {
      expect(furnitureReasonForLine(sentence), sentence).toBeNull();
      expect(classifyBlocks([{ text: sentence }])[0], sentence).toEqual({ keep: true });
    }
  });

  it('recognises furniture lines and class names', () => {
    expect(furnitureReasonForLine('Advertisement')).toBe('advertisement');
    expect(furnitureReasonForLine('Share on Twitter | Share on Facebook | Email')).toBe('share');
    expect(furnitureReasonForLine('Home | World | Politics | Business | Sport')).toBe('navigation');
    expect(furnitureReasonForLine('© 2025 The Daily. All rights reserved.')).toBe('copyright');
    expect(furnitureReasonForLine('The minister arrives in Kyiv. (AP Photo/Efrem Lukatsky)')).toBe('caption');
    expect(furnitureReasonForLine('Sign up for our morning newsletter')).toBe('newsletter');
    expect(furnitureReasonForNames(['share-bar'])).toBe('share');
    expect(furnitureReasonForNames(['ad-slot mpu'])).toBe('advertisement');
    expect(furnitureReasonForNames(['most_read'])).toBe('most-read');
    expect(furnitureReasonForNames(['shadow header article-body'])).toBeNull();
    expect(furnitureReasonForNames(['download thread'])).toBeNull();
  });

  it('splits plain text per line, or per paragraph when the lines are wrapped', () => {
    expect(splitPlainText('One line.\nAnother line.\n\n- a list item\n- another\n> quoted').map((b) => b.kind)).toEqual(
      ['paragraph', 'paragraph', 'bullet', 'bullet', 'quote'],
    );
    const wrapped = splitPlainText(
      'Every primary school pupil in the county will get free school meals from\nSeptember, the committee decided on Thursday.\n\nNext paragraph.',
    );
    expect(wrapped.map((block) => block.text)).toEqual([
      'Every primary school pupil in the county will get free school meals from September, the committee decided on Thursday.',
      'Next paragraph.',
    ]);
  });
});

describe('importing the seed story (plain text)', () => {
  it('keeps the eleven article paragraphs, drops the sign-in box and says what it dropped', async () => {
    const { server, cookie } = await newsroom();
    const seed = readFileSync(SEED, 'utf8');
    const { status, body } = await postImport(server, cookie, seed, 'text/plain; charset=utf-8');
    expect(status).toBe(201);
    expect(body.kept.blocks).toBe(11);
    expect(body.titleFrom).toBe('first-words');
    expect(body.title).toMatch(/^White House press secretary Karoline Leavitt said Tuesday/);
    expect(body.title.length).toBeLessThanOrEqual(101);
    expect(body.dropped.blocks).toBe(7);
    expect(body.dropped.items[0]).toEqual({ reason: 'sign-in', preview: 'Sign in', words: 2 });
    expect(body.dropped.items.map((item) => item.preview)).toContain('Check your email for a one-time code.');
    expect(body.dropped.items.find((item) => item.preview.startsWith('We encountered'))?.preview).toBe(
      'We encountered an error with the passcode sent to . Please reenter…',
    );
    expect(body.dropped.byReason).toMatchObject({ 'sign-in': 2 });

    const story = await exported(server, cookie, body.id);
    const lines = seed.split('\n');
    const articleLines = lines.slice(0, lines.indexOf('Sign in'));
    expect(story.text.split('\n')).toEqual(articleLines);
    for (const furniture of ['Sign in', 'one-time code', 'passcode', 'Log into your free account']) {
      expect(story.text).not.toContain(furniture);
    }
  });

  it('writes the body through the room: live in a connected client, audited, and still there after a restart', async () => {
    const { server, irene, cookie } = await newsroom();
    const { body } = await postImport(server, cookie, readFileSync(SEED, 'utf8'), 'text/plain');
    // The importer is the story's editor, and the story is in their list.
    const summary = await api<{ role: string; title: string }>(server.url, 'GET', `/api/stories/${body.id}`, {
      cookie,
    });
    expect(summary.body).toMatchObject({ role: 'editor', title: body.title });
    const list = await api<{ stories: { id: string }[] }>(server.url, 'GET', '/api/stories', { cookie });
    expect(list.body.stories.map((story) => story.id)).toContain(body.id);

    const client = connectClient(server.collabUrl, body.id, 'body', { token: await tokenFor(server.url, irene) });
    try {
      await client.synced;
      const flat = flattenBody(client.doc.getXmlFragment('body'));
      expect(flat.blocks).toHaveLength(11);
      expect(flat.blocks[0]?.text).toMatch(/^White House press secretary/);
      expect(readMetaField(client.doc.getMap('meta'), 'title')).toBe(body.title);
      // The imported text is the importer's: every Yjs client id in the body is owned by them, so
      // history and diffs name them as its author.
      const clientIds = [...new Set(clientIdsOf(client.doc))];
      expect(clientIds.length).toBeGreaterThan(0);
      const owners = await server.app.storage.documents.clientIdOwners(clientIds);
      expect(clientIds.map((id) => owners.get(id))).toEqual(clientIds.map(() => irene.user.id));
    } finally {
      client.destroy();
    }
    const audit = await api<{ entries: { action: string; detail: Record<string, unknown> }[] }>(
      server.url,
      'GET',
      `/api/stories/${body.id}/audit`,
      { cookie },
    );
    expect(audit.body.entries.find((entry) => entry.action === 'story-imported')?.detail).toMatchObject({
      format: 'text/plain',
      kept: { blocks: 11 },
    });

    const { dataDir } = server;
    await server.close({ keepData: true });
    servers.splice(servers.indexOf(server), 1);
    const again = await startTestServer({ dataDir });
    servers.push(again);
    const cookieAgain = await login(again.url, 'irene', irene.password);
    const story = await exported(again, cookieAgain, body.id);
    expect(story.text.split('\n')).toHaveLength(11);
  });
});

interface FixtureCase {
  file: string;
  type: string;
  title: string;
  titleFrom: ImportResult['titleFrom'];
  byline?: string;
  kept: string[];
  absent: string[];
  reasons: string[];
  links?: string[];
  blocks?: number;
  structure?: string[];
}

const CASES: FixtureCase[] = [
  {
    file: 'harbour-strike-page.html',
    type: 'text/html; charset=utf-8',
    title: 'Port strike enters second week as talks stall',
    titleFrom: 'headline',
    byline: 'By Jane Doe, Harbour correspondent',
    kept: [
      "The strike at Harbourside's container terminal entered its second week on Monday",
      'Union leader Maria Ortega said members were ready to stay out “as long as it takes”',
      'We will not go back to work without a signed contract.',
      'What the port authority says',
      '14 ships waiting at anchor',
      'about 20,000 containers stuck on the quay',
      'Shipping lines have begun diverting vessels to Northport',
      'The strike is the first at the port since 1989.',
    ],
    absent: [
      'We use cookies',
      'Accept all',
      'Sign in',
      'Subscribe for',
      'Skip to content',
      'Photograph: John Smith',
      'Advertisement',
      'Harbour Daily',
      'Sign up for our free newsletter',
      'Share this article',
      'Port talks collapse',
      'Town hall clock',
      'This strike is a disgrace',
      '© 2025',
      'About us',
      'document.cookie',
      'dataLayer',
    ],
    reasons: [
      'navigation',
      'cookie-notice',
      'share',
      'caption',
      'advertisement',
      'newsletter',
      'related',
      'comments',
      'most-read',
      'page-footer',
    ],
    // The relative link is made absolute against the page's canonical address.
    links: ['https://courier.example/documents/offer.pdf'],
    structure: ['heading', 'blockquote', 'bullet_list'],
  },
  {
    file: 'council-fragment.html',
    type: 'text/html',
    title: 'Council approves harbour budget after late-night vote',
    titleFrom: 'headline',
    kept: [
      'The city council approved the $4 million harbour budget early on Wednesday',
      'Councillor Ana Lima, who chairs the budget committee, said the vote was “a turning point for the harbour.”',
      'Seven councillors voted in favour and two against',
      'Read the full budget or the summary or write to the committee.',
      'Work on the new quay wall is due to start in May.',
    ],
    absent: [
      'Advertisement',
      'Photo by Sam Lee',
      'Getty Images',
      'Share this',
      'Twitter',
      'vector',
      'alert',
      'evil.example',
    ],
    reasons: ['caption', 'share', 'advertisement'],
    links: ['https://city.example/budget.pdf', 'mailto:budget@city.example'],
    blocks: 5,
  },
  {
    file: 'wire-story.md',
    type: 'text/markdown',
    title: 'Ferry operator cuts winter timetable',
    titleFrom: 'headline',
    byline: 'By Priya Nair, Transport desk',
    kept: [
      'The island ferry operator will run four crossings a day instead of six from November',
      '“We cannot keep running empty boats in January,” chief executive Tom Berg said in a statement.',
      'the 6:15 sailing is withdrawn',
      'the last crossing leaves at 19:30, not 22:00',
      "Read the operator's announcement",
      'Clicked text stays as text.',
    ],
    absent: [
      'Advertisement',
      'Ferry fares to rise',
      'Island school to close',
      'Island Wire Service',
      "alert('markdown')",
    ],
    reasons: ['advertisement', 'related', 'copyright'],
    links: ['https://ferries.example/news/winter'],
    structure: ['blockquote', 'bullet_list'],
  },
  {
    file: 'library-table-layout.html',
    type: 'text/html',
    title: 'Library to cut opening hours',
    titleFrom: 'page-title',
    kept: [
      'Valley Central Library will close on Mondays from next month',
      'Head librarian Olu Adeyemi said the decision was “painful but unavoidable”',
      'The library lends about 120,000 books a year',
      'A petition against the cuts has gathered 2,400 signatures.',
    ],
    absent: [
      'Local news',
      'Classifieds',
      'Home > News',
      'Sponsored',
      'Log in to comment',
      'Please enable JavaScript',
      'Shocking news',
      'Bridge closure',
      'Subscribe to our weekly',
      'Copyright 2025',
      '_gaq',
    ],
    reasons: ['navigation', 'advertisement', 'sign-in', 'comments', 'sidebar', 'copyright'],
    links: [],
    blocks: 4,
  },
  {
    file: 'storm-liveblog-page.html',
    type: 'text/html',
    title: 'Storm Elin: thousands without power as winds reach 90mph',
    titleFrom: 'headline',
    kept: [
      'Power cuts spread along the coast',
      'About 30,000 homes were without power on Saturday morning',
      'Ferries cancelled',
      'All ferry sailings have been cancelled until further notice, the operator said on its status page.',
      'Drivers have been told to avoid the coast road. More travel advice, maps and the bulletin.',
      'The Met Office has extended its amber wind warning until 6pm',
    ],
    absent: [
      'Hidden note',
      '0700 000000',
      'Invisible tracking',
      'Sign in to keep reading',
      'storm alerts',
      'WhatsApp',
      'Lifeboat rescues',
      'Coastal Media Group',
      'Home · News',
    ],
    reasons: ['page-header', 'navigation', 'sign-in', 'hidden', 'newsletter', 'share', 'most-read', 'page-footer'],
    links: ['https://coastalpost.example/travel/ferries', 'https://ferries.example/status'],
    structure: ['heading'],
  },
  {
    file: 'school-newsletter-email.txt',
    type: 'text/plain',
    title: 'School meals to be free for all primary pupils',
    titleFrom: 'headline',
    kept: [
      'Every primary school pupil in the county will get free school meals from September, the education committee decided on Thursday, in a move that will cost £3.2 million a year.',
      '"No child should learn on an empty stomach," she said.',
      "The scheme is funded from the council's reserves for its first two years.",
    ],
    absent: [
      'View this email',
      'Home | News',
      'Advertisement',
      'Share on Twitter',
      'Sign up to our newsletter',
      'Unsubscribe',
      '© 2025',
    ],
    reasons: ['newsletter', 'navigation', 'advertisement', 'share', 'copyright'],
    blocks: 4,
  },
];

describe('importing pages with boilerplate and hostile markup', () => {
  it.each(CASES)('$file: keeps the story, drops the furniture and reports it', async (fixture) => {
    const { server, cookie } = await newsroom();
    const input = readFileSync(join(FIXTURES, fixture.file), 'utf8');
    const { status, body } = await postImport(server, cookie, input, fixture.type);
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.title).toBe(fixture.title);
    expect(body.titleFrom).toBe(fixture.titleFrom);
    if (fixture.blocks !== undefined) expect(body.kept.blocks).toBe(fixture.blocks);
    const story = await exported(server, cookie, body.id);
    expect(story.story.title).toBe(fixture.title);
    if (fixture.byline !== undefined) expect(story.story.byline).toBe(fixture.byline);
    for (const text of fixture.kept) expect(story.text, `kept: ${text}`).toContain(text);
    for (const text of fixture.absent) {
      expect(story.text, `dropped: ${text}`).not.toContain(text);
      expect(story.story.title).not.toContain(text);
    }
    expect(Object.keys(body.dropped.byReason).sort()).toEqual(expect.arrayContaining(fixture.reasons.sort()));
    // Every dropped block is listed with its first words and counted.
    expect(body.dropped.items).toHaveLength(body.dropped.blocks);
    expect(body.dropped.words).toBe(body.dropped.items.reduce((sum, item) => sum + item.words, 0));
    for (const item of body.dropped.items) expect(item.preview.length).toBeGreaterThan(0);
    if (fixture.links !== undefined) expect(linkHrefs(story.doc).sort()).toEqual([...fixture.links].sort());
    for (const type of fixture.structure ?? []) expect(nodesOf(story.doc, type).length, type).toBeGreaterThan(0);
    if (fixture.type.startsWith('text/html') || fixture.type === 'text/markdown') {
      expect(body.dropped.unsafe).toBeGreaterThan(0);
    }
    // Nothing in the stored document can run: no href outside http, https, mailto.
    for (const href of linkHrefs(story.doc)) expect(href).toMatch(/^(https?|mailto):/);
  });

  it('keeps emphasis and links of the page', async () => {
    const { server, cookie } = await newsroom();
    const input = readFileSync(join(FIXTURES, 'harbour-strike-page.html'), 'utf8');
    const { body } = await postImport(server, cookie, input, 'text/html');
    const story = await exported(server, cookie, body.id);
    expect(markedText(story.doc, 'strong')).toEqual(['Maria Ortega']);
    expect(markedText(story.doc, 'em')).toEqual(['refusing to negotiate in good faith']);
    expect(markedText(story.doc, 'link')).toEqual(['“fair and final offer”']);
    // The most read list came after the story and is reported as such, with its first words.
    expect(body.dropped.items).toContainEqual({
      reason: 'most-read',
      preview: 'Most read Town hall clock stops at noon Seal spotted in the…',
      words: 20,
    });
  });
});

describe('markup jsdom would act on', () => {
  it('a <base>, <frame> or <iframe> is dropped without taking the text after it along', () => {
    const page = `<!DOCTYPE html><html><head><base href="javascript:alert(1)//"><title>T</title>
      <meta http-equiv="refresh" content="0;url=javascript:alert(2)"></head><body>
      <h1>Frames headline</h1><p>Before the frames.</p><frame src="javascript:alert(3)"><p>After a frame.</p>
      <iframe src="https://ads.example/"></iframe><p>After an iframe.</p><base target="_top"><p>After a base.</p>
      <style>p { color: red }</style><p>After a stylesheet.</p></body></html>`;
    const imported = importStory(page, 'text/html');
    expect(imported.title).toBe('Frames headline');
    expect(imported.doc.textBetween(0, imported.doc.content.size, '\n')).toBe(
      'Before the frames.\nAfter a frame.\nAfter an iframe.\nAfter a base.\nAfter a stylesheet.',
    );
    expect(imported.report.unsafe).toBeGreaterThanOrEqual(5);
  });
});

describe('what the import route accepts', () => {
  it('takes the headline from ?title=, and checks it', async () => {
    const { server, cookie } = await newsroom();
    const given = await postImport(
      server,
      cookie,
      'First line of the story.\nSecond.',
      'text/plain',
      '?title=Given%20headline',
    );
    expect(given.status).toBe(201);
    expect(given.body).toMatchObject({ title: 'Given headline', titleFrom: 'given' });
    const tooLong = await postImport<{ error: string }>(
      server,
      cookie,
      'Text.',
      'text/plain',
      `?title=${'x'.repeat(301)}`,
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('bad_request');
  });

  it('answers 415 for other media types, 400 for empty bodies, 413 for oversized ones, 401 without a session', async () => {
    const { server, cookie } = await newsroom();
    for (const type of ['application/json', 'image/png', 'application/x-www-form-urlencoded', 'text/csv']) {
      const answer = await postImport<{ error: string; message: string }>(server, cookie, '{"a":1}', type);
      expect(answer.status, type).toBe(415);
      expect(answer.body).toEqual({
        error: 'unsupported_media_type',
        message: 'Send the story as text/plain, text/html, text/markdown',
      });
    }
    // (A string body would make fetch send text/plain; bytes go without a type.)
    expect((await postImport(server, cookie, new Blob([new TextEncoder().encode('some text')]), null)).status).toBe(
      415,
    );
    for (const empty of ['', '   \n\n  ']) {
      const answer = await postImport<{ error: string }>(server, cookie, empty, 'text/plain');
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('bad_request');
    }
    const onlyFurniture = await postImport<{ message: string }>(
      server,
      cookie,
      '<nav>Home | World</nav><p>Advertisement</p><script>alert(1)</script>',
      'text/html',
    );
    expect(onlyFurniture.status).toBe(400);
    expect(onlyFurniture.body.message).toMatch(/Nothing is left to import/);
    const huge = await postImport<{ error: string }>(
      server,
      cookie,
      'x'.repeat(IMPORT_LIMITS.requestBytes + 1),
      'text/plain',
    );
    expect(huge.status).toBe(413);
    expect(huge.body.error).toBe('payload_too_large');
    const anonymous = await postImport<{ error: string }>(server, null, 'A story.', 'text/plain');
    expect(anonymous.status).toBe(401);
    // Nothing was created by the refused requests.
    const list = await api<{ stories: unknown[] }>(server.url, 'GET', '/api/stories', { cookie });
    expect(list.body.stories).toEqual([]);
  });

  it('decodes the declared charset and refuses unknown ones', async () => {
    const { server, cookie } = await newsroom();
    const latin1 = Uint8Array.from(
      [...'Caf\u00e9 opens on the quay\nIt serves cr\u00eapes.'].map((c) => c.charCodeAt(0)),
    );
    const answer = await postImport(server, cookie, new Blob([latin1]), 'text/plain; charset=iso-8859-1');
    expect(answer.status).toBe(201);
    const story = await exported(server, cookie, answer.body.id);
    expect(story.story.title).toBe('Café opens on the quay');
    expect(story.text).toBe('It serves crêpes.');
    const unknown = await postImport(server, cookie, 'text', 'text/plain; charset=klingon');
    expect(unknown.status).toBe(415);
  });
});
