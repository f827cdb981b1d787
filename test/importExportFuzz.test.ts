/**
 * Property: whatever HTML comes in (seeded random trees of real and made-up tags, event handlers,
 * styles, script URLs in every spelling, known mutation-XSS payloads, broken markup), nothing
 * unsafe comes out. Checked by parsing the output with a real HTML parser (jsdom) and walking it:
 * no script, style, iframe or other active element, no on* attribute, no style attribute, and no
 * URL but http, https, mailto (or a footnote's #fragment). Three outputs are checked: the imported
 * story (as the HTML export renders it), the editor's paste cleaning (the same shared code the
 * browser runs, here over jsdom), and, for a sample, the real server's import-then-export.
 * A failure names its seed: `prng(seed)` replays it.
 */
import { JSDOM } from 'jsdom';
import { DOMSerializer } from 'prosemirror-model';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExportModel } from '../server/importExport/exportModel.ts';
import { importStory } from '../server/importExport/importStory.ts';
import { renderHtml } from '../server/importExport/renderHtml.ts';
import { type CleaningWindow, cleanPastedHtml } from '../shared/htmlCleaning.ts';
import { flattenProseMirror } from '../shared/proseMirrorText.ts';
import { storySchema } from '../shared/schema.ts';
import { prng } from './helpers/prng.ts';
import { login, startTestServer, type TestServer } from './helpers/testServer.ts';

const PAYLOADS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<svg onload=alert(1)><circle r=1 /></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text>svg link</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="data:text/html,<script>alert(1)</script>">',
  '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">Go</button></form>',
  '<base href="javascript:alert(1)//">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<style>@import "javascript:alert(1)"; body { background: url(javascript:alert(1)) }</style>',
  '<div style="background-image: url(javascript:alert(1)); width: expression(alert(1))">styled</div>',
  '<details open ontoggle=alert(1)><summary>More</summary>hidden</details>',
  '<video><source onerror="alert(1)"></video>',
  '<body onload=alert(1)>',
  '<marquee onstart=alert(1)>moving</marquee>',
  '<template><img src=x onerror=alert(1)></template>',
  '<!--<img src=x onerror=alert(1)>-->',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<a href="javascript&colon;alert(1)">colon entity</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">hex entities</a>',
  '<a href="java\tscript:alert(1)">tab</a>',
  '<a href="java&#x0A;script:alert(1)">newline entity</a>',
  '<a href=" \u0001javascript:alert(1)">control char</a>',
  '<a href="https://ok.example/" onclick="alert(1)">ok link with handler</a>',
  '<a href=\'https://ok.example/"onmouseover="alert(1)\'>quote breakout</a>',
  '<x-widget onclick=alert(1)>custom</x-widget>',
  '<isindex action=javascript:alert(1) type=image>',
  '<textarea><script>alert(1)</script></textarea>',
  '<title><img src=x onerror=alert(1)></title>',
  '<xmp><img src=x onerror=alert(1)></xmp>',
  '<plaintext><img src=x onerror=alert(1)>',
  '<frameset onload=alert(1)><frame src="javascript:alert(1)"></frameset>',
  '<applet code="evil.class"></applet>',
  '<input autofocus onfocus=alert(1)>',
  '<select onchange=alert(1)><option>1</option></select>',
  '<h1 onclick=alert(1)>Headline <script>alert(1)</script></h1>',
];

const TAGS = [
  'p',
  'div',
  'span',
  'a',
  'b',
  'i',
  'em',
  'strong',
  'h1',
  'h2',
  'h3',
  'h5',
  'ul',
  'ol',
  'li',
  'blockquote',
  'table',
  'tr',
  'td',
  'br',
  'pre',
  'code',
  'font',
  'center',
  'section',
  'article',
  'main',
  'nav',
  'aside',
  'header',
  'footer',
  'figure',
  'figcaption',
  'script',
  'style',
  'iframe',
  'img',
  'svg',
  'math',
  'object',
  'embed',
  'form',
  'input',
  'button',
  'noscript',
  'template',
  'textarea',
  'select',
  'base',
  'meta',
  'link',
  'video',
  'audio',
  'source',
  'details',
  'summary',
  'marquee',
  'dialog',
  'x-custom',
  'title',
  'xmp',
];

const ATTRIBUTES = [
  'onclick',
  'onerror',
  'onload',
  'onmouseover',
  'onfocus',
  'ontoggle',
  'OnClIcK',
  'style',
  'href',
  'src',
  'srcdoc',
  'action',
  'formaction',
  'xlink:href',
  'data',
  'poster',
  'background',
  'srcset',
  'class',
  'id',
  'title',
  'role',
  'hidden',
  'aria-hidden',
  'data-x',
  'autofocus',
  'target',
  'rel',
  'data-pm-slice',
];

const URLS = [
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java&#x09;script:alert(1)',
  '&#106;avascript:alert(1)',
  'javascript&colon;alert(1)',
  'vbscript:msgbox(1)',
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'data:image/svg+xml,<svg onload=alert(1)>',
  'file:///etc/passwd',
  'https://ok.example/path?q=1',
  'http://ok.example/',
  'mailto:desk@example.com',
  '//evil.example/x',
  '/relative/path',
  '#frag',
  '  https://spaced.example  ',
  'https://ok.example/"><script>alert(1)</script>',
];

const WORDS = [
  'Council approves budget.',
  'Advertisement',
  'Share on Facebook',
  'The mayor said “yes”.',
  '<',
  '>',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '"quoted"',
  "it's",
  '&amp;',
  'javascript:alert(1)',
  'Sign in',
  '© 2025 X',
  'Photo: A/Getty Images',
  'Related',
  'The port reopened on Monday after a week-long strike, officials said.',
  '\u0000',
  '\u2028',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
];

const BREAKAGE = ['<', '">', "'>", '<!--', '-->', ']]>', '</p>', '</div></div>', '<p', '&', '&#', '\u0000'];

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}

function attributeValue(random: () => number, name: string): string {
  if (/href|src|action|data|poster|background/.test(name.toLowerCase())) return pick(random, URLS);
  if (name.toLowerCase().startsWith('on')) return 'alert(document.cookie)';
  if (name === 'style')
    return pick(random, ['color:red', 'display:none', 'background:url(javascript:alert(1))', 'x:expression(alert(1))']);
  return pick(random, ['share-bar', 'article-body', 'ad-slot', 'navigation', 'true', 'x" onclick="alert(1)', 'main']);
}

function escapeAttribute(value: string, random: () => number): string {
  // Sometimes left raw, to break out of the attribute.
  return random() < 0.2 ? value : value.replaceAll('"', '&quot;');
}

function randomNode(random: () => number, depth: number): string {
  const roll = random();
  if (roll < 0.25 || depth > 4) return pick(random, WORDS);
  if (roll < 0.37) return pick(random, PAYLOADS);
  if (roll < 0.4) return pick(random, BREAKAGE);
  const tag = pick(random, TAGS);
  const attributes: string[] = [];
  const count = Math.floor(random() * 4);
  for (let i = 0; i < count; i++) {
    const name = pick(random, ATTRIBUTES);
    attributes.push(`${name}="${escapeAttribute(attributeValue(random, name), random)}"`);
  }
  const children: string[] = [];
  const childCount = Math.floor(random() * 4);
  for (let i = 0; i < childCount; i++) children.push(randomNode(random, depth + 1));
  const close = random() < 0.9 ? `</${tag}>` : '';
  return `<${tag}${attributes.length > 0 ? ` ${attributes.join(' ')}` : ''}>${children.join('')}${close}`;
}

function randomDocument(seed: number): string {
  const random = prng(seed);
  const parts: string[] = [];
  const count = 1 + Math.floor(random() * 8);
  for (let i = 0; i < count; i++) parts.push(randomNode(random, 0));
  const body = parts.join(random() < 0.5 ? '\n' : '');
  return random() < 0.3 ? `<!DOCTYPE html><html><head><title>T</title></head><body>${body}</body></html>` : body;
}

/** Elements an exported or cleaned story may contain (plus the export's own head). */
const ALLOWED_ELEMENTS = new Set([
  'html',
  'head',
  'body',
  'title',
  'meta',
  'article',
  'header',
  'section',
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'em',
  'i',
  'strong',
  'b',
  'br',
  'span',
  'sup',
  'div',
  'main',
  'pre',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'dl',
  'dt',
  'dd',
]);
const ALLOWED_ATTRIBUTES = new Set([
  'href',
  'title',
  'rel',
  'id',
  'class',
  'lang',
  'charset',
  'name',
  'content',
  'start',
  'aria-label',
  'aria-labelledby',
  'target',
  'data-claim-id',
  'data-claim-status',
  'data-story-id',
  'data-workflow-state',
  'data-pm-slice',
]);

const parser = new JSDOM('');
function parserWindow(): JSDOM['window'] {
  return parser.window;
}

/** jsdom lets go of closed windows and parsed documents only once the event loop turns. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Fails unless `html`, parsed by a real HTML parser, holds nothing that can run or load. */
function assertSafe(html: string, context: string): void {
  const doc = new (parserWindow().DOMParser)().parseFromString(html, 'text/html');
  for (const element of doc.querySelectorAll('*')) {
    const tag = element.tagName.toLowerCase();
    expect(ALLOWED_ELEMENTS.has(tag), `${context}: <${tag}> in ${html}`).toBe(true);
    if (tag === 'meta') expect(element.closest('head'), `${context}: meta outside head`).not.toBeNull();
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      expect(name.startsWith('on'), `${context}: ${name} on <${tag}>`).toBe(false);
      expect(ALLOWED_ATTRIBUTES.has(name), `${context}: attribute ${name} on <${tag}> in ${html}`).toBe(true);
      if (name === 'href') {
        const href = attribute.value;
        if (href.startsWith('#')) continue;
        const url = new URL(href);
        expect(['http:', 'https:', 'mailto:'], `${context}: href ${href}`).toContain(url.protocol);
      }
      if (name === 'target') expect(attribute.value, context).toBe('_blank');
      if (name === 'content') expect(attribute.value.toLowerCase(), context).not.toContain('url=');
    }
  }
}

function exportModelOf(doc: ReturnType<typeof importStory>, random: () => number): ExportModel {
  const flat = flattenProseMirror(doc.doc);
  const from = Math.floor(random() * flat.text.length);
  const to = Math.min(flat.text.length, from + 1 + Math.floor(random() * 40));
  const claims =
    flat.text.length === 0
      ? []
      : [
          {
            id: 'claim-fuzz-1',
            status: 'verified' as const,
            storedStatus: 'verified' as const,
            quote: flat.text.slice(from, to),
            text: flat.text.slice(from, to),
            from,
            to,
            sourceIds: [],
            note: '<script>alert(1)</script>',
            createdBy: 'u',
            createdAt: '2025-01-01T00:00:00.000Z',
            statusBy: 'u',
            statusAt: '2025-01-01T00:00:00.000Z',
            changedSinceVerified: null,
          },
        ];
  return {
    id: 'fuzz-story',
    title: doc.title ?? '<img src=x onerror=alert(1)>',
    dek: '',
    byline: doc.byline ?? '',
    workflowState: 'draft',
    changedSinceApproval: false,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    doc: doc.doc,
    flat,
    claims,
    sources: [],
    sourcesById: new Map(),
    people: new Map(),
    baseUrl: 'http://127.0.0.1',
    exportedAt: '2025-01-01T00:00:00.000Z',
  };
}

/** More with FUZZ_SEEDS=5000 (a longer hunt); CI runs the default. */
const SEEDS = Array.from({ length: Number(process.env.FUZZ_SEEDS ?? 240) }, (_, index) => index + 1);

describe('arbitrary HTML never yields unsafe output', () => {
  it('the importer: stored document and HTML export', { timeout: 60_000 + SEEDS.length * 100 }, async () => {
    for (const seed of SEEDS) {
      await nextTurn();
      const html = randomDocument(seed);
      const random = prng(seed * 7919);
      const asMarkdown = random() < 0.2;
      const imported = importStory(html, asMarkdown ? 'text/markdown' : 'text/html');
      // The stored document, serialized by the schema, as the editor would draw it.
      const { document } = parserWindow();
      const fragment = DOMSerializer.fromSchema(storySchema).serializeFragment(imported.doc.content, { document });
      const container = document.createElement('div');
      container.appendChild(fragment);
      assertSafe(container.innerHTML, `seed ${seed} (stored)`);
      assertSafe(renderHtml(exportModelOf(imported, random)), `seed ${seed} (export)`);
    }
  });

  it('the paste cleaning of the editor (shared code, here over jsdom)', {
    timeout: 60_000 + SEEDS.length * 50,
  }, async () => {
    // jsdom's window has what the cleaning needs (DOMPurify's parts and an inert DOMParser).
    const window = new JSDOM('').window as unknown as CleaningWindow;
    for (const seed of SEEDS) {
      await nextTurn();
      const html = randomDocument(seed + 100_000);
      const { html: cleaned } = cleanPastedHtml(html, window);
      assertSafe(cleaned, `paste seed ${seed + 100_000}`);
    }
  });

  describe('the real server: import, then export as HTML', () => {
    let server: TestServer;
    let cookie: string;
    afterAll(async () => {
      await server?.close();
    });

    it('stays safe for a sample of random pages', async () => {
      server = await startTestServer();
      const fuzzer = await server.addUser('fuzzer');
      cookie = await login(server.url, 'fuzzer', fuzzer.password);
      for (const seed of SEEDS.slice(0, 24)) {
        const html = `<h1>Fuzz ${seed}</h1><p>The council met on Tuesday.</p>${randomDocument(seed + 200_000)}`;
        const imported = await fetch(`${server.url}/api/stories/import`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'text/html' },
          body: html,
        });
        expect(imported.status, `seed ${seed + 200_000}`).toBe(201);
        const { id } = (await imported.json()) as { id: string };
        const exported = await fetch(`${server.url}/api/stories/${id}/export?format=html`, { headers: { cookie } });
        expect(exported.status).toBe(200);
        assertSafe(await exported.text(), `server seed ${seed + 200_000}`);
      }
    });
  });
});
