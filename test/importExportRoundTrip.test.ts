/**
 * Round trip: import a page, add sources and claims through the claims API (across formatting,
 * overlapping, in a quote, in a list, across two list items), export every format and check each:
 * the story JSON, clean HTML with claim spans and footnoted sources, Markdown with footnote
 * citations, plain text (which imports back to the same text), schema.org ClaimReview and W3C Web
 * Annotations whose selectors resolve to each claim's text in the text export. Then a claim whose
 * text is deleted is detached in the exports; and who may export what.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { ImportResult } from '../shared/importExport.ts';
import { type CollabClient, connectClient } from './helpers/collabClient.ts';
import { api, login, startTestServer, type TestServer, type TestUser, tokenFor } from './helpers/testServer.ts';

const PAGE = readFileSync(join(import.meta.dirname, 'fixtures', 'import', 'harbour-strike-page.html'), 'utf8');
const TITLE = 'Port strike enters second week as talks stall';
const FILE = 'port-strike-enters-second-week-as-talks-stall';

interface Source {
  id: string;
  url: string;
  title: string;
  outlet: string;
}
interface Claim {
  id: string;
  text: string;
  status: string;
  sourceIds: string[];
}

/** The claims of the story: the quote, its status, the sources (by key). */
const CLAIMS = {
  ortega: {
    quote: 'Union leader Maria Ortega said members were ready to stay out',
    status: 'verified',
    sources: ['union'],
  },
  members: { quote: 'Maria Ortega said members', status: 'disputed', sources: ['union', 'port'] },
  offer: { quote: '“fair and final offer” of a 4 percent raise', status: 'false', sources: ['port'] },
  ships: { quote: '14 ships waiting at anchor', status: 'in-review', sources: ['ships'] },
  quote: { quote: 'We will not go back to work without a signed contract.', status: 'unverified', sources: [] },
  across: { quote: 'at anchor\nabout 20,000 containers', status: 'verified', sources: ['ships'] },
} as const;
type ClaimKey = keyof typeof CLAIMS;

const SOURCES = {
  union: {
    url: 'https://union.example/statements/strike',
    outlet: 'Dockworkers Union',
    title: 'Statement on the strike',
    kind: 'official-statement',
    passage: 'Members will stay out as long as it takes.',
  },
  port: {
    url: 'https://port.example/offer',
    outlet: 'Harbourside Port Authority',
    title: 'Our offer to the union',
    kind: 'document',
    passage: 'A 4 percent raise over two years.',
  },
  ships: {
    url: 'https://data.example/ships?port=harbourside',
    outlet: 'Marine traffic data',
    title: 'Vessels at anchor',
    kind: 'data',
    passage: '',
    archiveUrl: 'https://archive.example/ships-2025-03-10',
  },
} as const;
type SourceKey = keyof typeof SOURCES;

describe('import, claim, export, validate', () => {
  let server: TestServer;
  let irene: TestUser;
  let cookie: string;
  let viewerCookie: string;
  let outsiderCookie: string;
  let storyId: string;
  const sources = {} as Record<SourceKey, Source>;
  const claims = {} as Record<ClaimKey, Claim>;
  const clients: CollabClient[] = [];

  const get = (path: string, who = cookie) =>
    fetch(`${server.url}/api/stories/${storyId}${path}`, { headers: { cookie: who } });
  const exportOf = async (format: string, who = cookie) => {
    const response = await get(`/export?format=${format}`, who);
    expect(response.status, format).toBe(200);
    return { response, text: await response.text() };
  };
  const sourcesOf = (key: ClaimKey) => CLAIMS[key].sources.map((source) => sources[source]);

  beforeAll(async () => {
    server = await startTestServer();
    irene = await server.addUser('irene', { name: 'Irene Importer' });
    const vic = await server.addUser('vic', { name: 'Vic Viewer' });
    const olga = await server.addUser('olga', { name: 'Olga Outsider' });
    cookie = await login(server.url, 'irene', irene.password);
    viewerCookie = await login(server.url, 'vic', vic.password);
    outsiderCookie = await login(server.url, 'olga', olga.password);
    const imported = await fetch(`${server.url}/api/stories/import`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/html' },
      body: PAGE,
    });
    expect(imported.status).toBe(201);
    storyId = ((await imported.json()) as ImportResult).id;
    await api(server.url, 'PUT', `/api/stories/${storyId}/members/${vic.user.id}`, { cookie }, { role: 'viewer' });
    for (const key of Object.keys(SOURCES) as SourceKey[]) {
      const created = await api<Source>(
        server.url,
        'POST',
        `/api/stories/${storyId}/sources`,
        { cookie },
        SOURCES[key],
      );
      expect(created.status).toBe(201);
      sources[key] = created.body;
    }
    for (const key of Object.keys(CLAIMS) as ClaimKey[]) {
      const { quote, status, sources: keys } = CLAIMS[key];
      const created = await api<Claim>(
        server.url,
        'POST',
        `/api/stories/${storyId}/claims`,
        { cookie },
        { quote, status, sourceIds: keys.map((source) => sources[source].id) },
      );
      expect(created.status, `${key}: ${JSON.stringify(created.body)}`).toBe(201);
      expect(created.body.text).toBe(quote);
      claims[key] = created.body;
    }
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.close();
  });

  it('json: the story, its ProseMirror document, claims with their text, sources, statuses, workflow state', async () => {
    const { response, text } = await exportOf('json');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.json"`);
    const story = JSON.parse(text);
    expect(story).toMatchObject({
      format: 'sourcedesk.story',
      version: 1,
      story: { id: storyId, title: TITLE, byline: 'By Jane Doe, Harbour correspondent', workflowState: 'draft' },
    });
    expect(story.doc.type).toBe('doc');
    expect(story.doc.content.map((node: { type: string }) => node.type)).toContain('blockquote');
    expect(story.claims).toHaveLength(6);
    for (const key of Object.keys(CLAIMS) as ClaimKey[]) {
      const claim = story.claims.find((candidate: Claim) => candidate.id === claims[key].id);
      expect(claim).toMatchObject({ text: CLAIMS[key].quote, status: CLAIMS[key].status });
      expect(story.text.slice(claim.from, claim.to)).toBe(CLAIMS[key].quote);
    }
    expect(story.statusCounts).toEqual({ verified: 2, disputed: 1, false: 1, 'in-review': 1, unverified: 1 });
    expect(story.sources.map((source: Source) => source.url).sort()).toEqual(
      Object.values(SOURCES)
        .map((source) => source.url)
        .sort(),
    );
    expect(story.people[irene.user.id]).toBe('Irene Importer');
  });

  it('html: clean and publishable; each claim a <span data-claim-id>, its sources as numbered notes', async () => {
    const { response, text } = await exportOf('html');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.html"`);
    expect(response.headers.get('content-security-policy')).toMatch(/sandbox/);
    const doc = new JSDOM(text).window.document;
    expect(doc.querySelector('h1')?.textContent).toBe(TITLE);
    expect(doc.querySelector('title')?.textContent).toBe(TITLE);
    expect(doc.querySelectorAll('script, style, iframe, img, form, link').length).toBe(0);
    for (const element of doc.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name.startsWith('on')).toBe(false);
        expect(attribute.name).not.toBe('style');
      }
    }
    expect(doc.querySelector('blockquote')?.textContent).toContain('We will not go back');
    expect(doc.querySelectorAll('ul li')).toHaveLength(2);
    expect(doc.querySelector('h2')?.textContent).toBe('What the port authority says');
    expect(doc.querySelector('strong')?.textContent).toBe('Maria Ortega');

    // Footnotes are numbered in the order the story first cites them.
    const notes = [...doc.querySelectorAll('section.sources li')];
    expect(notes.map((note) => note.querySelector('a')?.getAttribute('href'))).toEqual([
      sources.union.url,
      sources.port.url,
      sources.ships.url,
    ]);
    expect(notes[2]?.textContent).toContain('Archived copy');
    const number = { union: 1, port: 2, ships: 3 } as const;

    for (const key of Object.keys(CLAIMS) as ClaimKey[]) {
      const spans = [...doc.querySelectorAll(`span[data-claim-id="${claims[key].id}"]`)];
      expect(spans.length, key).toBeGreaterThan(0);
      expect(spans.every((span) => span.getAttribute('data-claim-status') === CLAIMS[key].status)).toBe(true);
      // Spans in different blocks are the claim's parts, one per block.
      const blocks = new Map<Element, string>();
      for (const span of spans) {
        const block = span.closest('p, li, h2, h3, h4') as Element;
        blocks.set(block, (blocks.get(block) ?? '') + span.textContent);
      }
      expect([...blocks.values()].join('\n'), key).toBe(CLAIMS[key].quote);
      expect(spans[0]?.id).toBe(`claim-${claims[key].id}`);
      // The claim's block cites its sources' notes, which exist.
      const last = spans.at(-1) as Element;
      const citations = CLAIMS[key].sources.map((source) => `#source-${number[source]}`);
      const cited = [...(last.closest('p, li, h2, h3, h4')?.querySelectorAll('sup a.citation') ?? [])].map((a) =>
        a.getAttribute('href'),
      );
      for (const citation of citations) expect(cited, key).toContain(citation);
      for (const citation of citations) expect(doc.querySelector(citation)).not.toBeNull();
    }
    // The link kept from the page, absolute, with rel.
    const offer = doc.querySelector('a[href="https://courier.example/documents/offer.pdf"]');
    expect(offer?.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('markdown: footnote citations after each claim that has sources', async () => {
    const { response, text } = await exportOf('markdown');
    expect(response.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.md"`);
    expect(text.startsWith(`# ${TITLE}\n\n`)).toBe(true);
    // Overlapping claims: "members" ends inside "ortega"; each gets its markers where it ends.
    expect(text).toContain('**Maria Ortega** said members[^1][^2] were ready to stay out[^1]');
    expect(text).toContain('of a 4 percent raise[^2]');
    expect(text).toContain('- 14 ships waiting at anchor[^3]');
    expect(text).toContain('- about 20,000 containers[^3] stuck on the quay');
    // No sources, no marker.
    expect(text).toContain('> We will not go back to work without a signed contract.\n');
    expect(text).toContain(
      `[^1]: [Statement on the strike](<${sources.union.url}>), Dockworkers Union, Official statement.`,
    );
    expect(text).toContain(`[^3]: [Vessels at anchor](<${sources.ships.url}>)`);
    expect(text).toContain('[Archived copy](<https://archive.example/ships-2025-03-10>)');
    // A Markdown reader sees the structure and the link.
    const html = new MarkdownIt().render(text);
    const doc = new JSDOM(html).window.document;
    expect(doc.querySelector('h1')?.textContent).toBe(TITLE);
    expect(doc.querySelector('blockquote')?.textContent?.trim()).toBe(CLAIMS.quote.quote);
    expect(doc.querySelectorAll('ul > li')).toHaveLength(2);
    expect(doc.querySelector('a[href="https://courier.example/documents/offer.pdf"]')?.textContent).toBe(
      '“fair and final offer”',
    );
  });

  it('text: the title, a blank line, then each block separated by a blank line; it imports back the same', async () => {
    const { response, text } = await exportOf('text');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.txt"`);
    const story = JSON.parse((await exportOf('json')).text) as { text: string };
    expect(text).toBe(`${TITLE}\n\n${story.text.split('\n').join('\n\n')}\n`);
    const again = await fetch(`${server.url}/api/stories/import`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain' },
      body: text,
    });
    const result = (await again.json()) as ImportResult;
    expect(result).toMatchObject({ title: TITLE, titleFrom: 'headline', dropped: { blocks: 0 } });
    const copy = await api<{ text: string }>(server.url, 'GET', `/api/stories/${result.id}/export?format=json`, {
      cookie,
    });
    expect(copy.body.text).toBe(story.text);
  });

  it('claimreview: one schema.org ClaimReview per claim with a verdict, rated, with its sources as appearances', async () => {
    const { response, text } = await exportOf('claimreview');
    expect(response.headers.get('content-type')).toBe('application/ld+json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.claimreview.jsonld"`);
    const graph = JSON.parse(text);
    expect(graph['@context']).toBe('https://schema.org');
    const reviews = graph['@graph'] as Record<string, unknown>[];
    const expected: [ClaimKey, number, string][] = [
      ['ortega', 5, 'True'],
      ['members', 3, 'Disputed'],
      ['offer', 1, 'False'],
      ['across', 5, 'True'],
    ];
    expect(reviews).toHaveLength(expected.length);
    for (const [key, ratingValue, alternateName] of expected) {
      const review = reviews.find((candidate) => String(candidate['@id']).endsWith(`#claim-${claims[key].id}`));
      expect(review, key).toMatchObject({
        '@type': 'ClaimReview',
        claimReviewed: CLAIMS[key].quote,
        author: { '@type': 'Person', name: 'Irene Importer' },
        reviewRating: { '@type': 'Rating', ratingValue, bestRating: 5, worstRating: 1, alternateName },
        itemReviewed: { '@type': 'Claim', text: CLAIMS[key].quote },
      });
      expect(String(review?.datePublished)).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      const item = review?.itemReviewed as { appearance: { '@type': string; url: string }[] };
      expect(item.appearance.map((appearance) => appearance.url)).toEqual(sourcesOf(key).map((source) => source.url));
      expect(item.appearance.every((appearance) => appearance['@type'] === 'CreativeWork')).toBe(true);
    }
  });

  it('annotations: a W3C AnnotationCollection whose selectors resolve to each claim in the text export', async () => {
    const { response, text } = await exportOf('annotations');
    expect(response.headers.get('content-type')).toMatch(
      /^application\/ld\+json; profile="http:\/\/www.w3.org\/ns\/anno.jsonld"/,
    );
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${FILE}.annotations.jsonld"`);
    const collection = JSON.parse(text);
    expect(collection).toMatchObject({
      '@context': 'http://www.w3.org/ns/anno.jsonld',
      type: 'AnnotationCollection',
      total: 6,
      first: { type: 'AnnotationPage', startIndex: 0 },
    });
    const plain = (await exportOf('text')).text;
    const items = collection.first.items as {
      id: string;
      type: string;
      motivation: string;
      body: { id?: string; type: string; purpose: string; value?: string }[];
      target: { source: string; selector: Record<string, unknown>[] };
    }[];
    expect(items).toHaveLength(6);
    for (const key of Object.keys(CLAIMS) as ClaimKey[]) {
      const annotation = items.find((item) => item.id.endsWith(`#claim-${claims[key].id}`));
      expect(annotation, key).toMatchObject({ type: 'Annotation', motivation: 'assessing' });
      if (annotation === undefined) continue;
      expect(annotation.target.source).toBe(`${server.url}/api/stories/${storyId}/export?format=text`);
      const quote = annotation.target.selector.find((selector) => selector.type === 'TextQuoteSelector') as {
        exact: string;
        prefix: string;
        suffix: string;
      };
      const position = annotation.target.selector.find((selector) => selector.type === 'TextPositionSelector') as {
        start: number;
        end: number;
      };
      // Both selectors resolve to the claim's text (a block break is a blank line in the text export).
      const expectedText = CLAIMS[key].quote.replaceAll('\n', '\n\n');
      expect(plain.slice(position.start, position.end), key).toBe(expectedText);
      expect(quote.exact).toBe(expectedText);
      expect(plain.slice(position.start - quote.prefix.length, position.start)).toBe(quote.prefix);
      expect(plain.slice(position.end, position.end + quote.suffix.length)).toBe(quote.suffix);
      expect(quote.prefix.length + quote.suffix.length).toBeGreaterThan(0);
      // Found by its quote alone: prefix + exact + suffix occurs once.
      expect(plain.split(quote.prefix + quote.exact + quote.suffix)).toHaveLength(2);
      expect(annotation.body).toContainEqual(
        expect.objectContaining({ type: 'TextualBody', purpose: 'assessing', value: CLAIMS[key].status }),
      );
      expect(annotation.body.filter((body) => body.id !== undefined).map((body) => body.id)).toEqual(
        sourcesOf(key).map((source) => source.url),
      );
    }
  });

  it('a claim whose text is deleted is detached: kept in the JSON, left out of the annotations', async () => {
    const client = connectClient(server.collabUrl, storyId, 'body', { token: await tokenFor(server.url, irene) });
    clients.push(client);
    await client.synced;
    const fragment = client.doc.getXmlFragment('body');
    const index = fragment
      .toArray()
      .findIndex((node) => node instanceof Y.XmlElement && node.nodeName === 'blockquote');
    expect(index).toBeGreaterThanOrEqual(0);
    fragment.delete(index, 1);
    const started = Date.now();
    for (;;) {
      const story = JSON.parse((await exportOf('json')).text) as { claims: Claim[] };
      if (story.claims.find((claim) => claim.id === claims.quote.id)?.status === 'detached') break;
      if (Date.now() - started > 10_000) throw new Error('the claim never became detached');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const annotations = JSON.parse((await exportOf('annotations')).text);
    expect(annotations.total).toBe(5);
    expect((await exportOf('text')).text).not.toContain('We will not go back');
    const html = (await exportOf('html')).text;
    expect(html).not.toContain(claims.quote.id);
  });

  it('any member may export; others get 404, anonymous 401, an unknown format 400', async () => {
    const { text } = await exportOf('markdown', viewerCookie);
    expect(text.startsWith(`# ${TITLE}`)).toBe(true);
    const defaulted = await get('/export', viewerCookie);
    expect(defaulted.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const outsider = await get('/export?format=html', outsiderCookie);
    expect(outsider.status).toBe(404);
    expect(await outsider.json()).toEqual({ error: 'not_found', message: 'No such story' });
    const anonymous = await fetch(`${server.url}/api/stories/${storyId}/export?format=html`);
    expect(anonymous.status).toBe(401);
    const unknown = await get('/export?format=docx');
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'bad_request' });
  });
});
