/**
 * Nothing anyone can write runs script in another person's browser. A corpus of known XSS payloads
 * (OWASP's filter-evasion cheat sheet, PortSwigger's XSS cheat sheet, DOMPurify's mutation-XSS
 * cases) goes in through every path text takes: the HTTP API (story title, people's names, claim
 * notes, sources, discussion, version names, an approval's override reason), the socket (body
 * text, link marks and element attributes written straight into the Yjs document, the headline,
 * dek and byline, a source written into the notes room), paste into the editor, and import
 * (`POST /api/stories/import`, HTML and Markdown). Then an editor looks at all of it in a real
 * Chromium: story list, editor, claims panel with every claim opened, history, a version, the
 * export. Each payload calls `xss(<n>)` (or `alert`); the test asserts none ever did, and that
 * the page holds no element or attribute that could run script later (event handler attributes,
 * `javascript:` URLs, scripts, frames). It also checks the payloads were really shown, as text.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { writeSource } from '../../shared/claims.ts';
import { metaText } from '../../shared/metaText.ts';
import { type BrowserFixture, builtClientDir, openBrowser } from '../helpers/browser.ts';
import { type CollabClient, connectClient, waitFor } from '../helpers/collabClient.ts';
import { api, login, startTestServer, type TestServer } from '../helpers/testServer.ts';

const SLOW = { timeout: 30_000, interval: 100 };

/** Every payload calls `xss(n)` (its own number) if it ever runs. */
const PAYLOADS: string[] = [
  '<script>xss(1)</script>',
  '<img src=x onerror=xss(2)>',
  '<svg onload=xss(3)>',
  '<svg><script>xss(4)</script></svg>',
  '<iframe src="javascript:xss(5)"></iframe>',
  '<iframe srcdoc="<script>parent.xss(6)</script>"></iframe>',
  '<a href="javascript:xss(7)">link seven</a>',
  '<a href="JaVaScRiPt:xss(8)">link eight</a>',
  '<a href="&#106;avascript:xss(9)">link nine</a>',
  '<a href="java&#x09;script:xss(10)">link ten</a>',
  '<details open ontoggle=xss(11)>',
  '<body onload=xss(12)>',
  '"><img src=x onerror=xss(13)>',
  "'><svg/onload=xss(14)>",
  '<input autofocus onfocus=xss(15)>',
  '<video><source onerror=xss(16)></video>',
  '<object data="javascript:xss(17)"></object>',
  '<embed src="javascript:xss(18)">',
  '<form><button formaction="javascript:xss(19)">go nineteen</button></form>',
  '<math><mtext><table><mglyph><style><img src=x onerror=xss(20)>',
  '<noscript><p title="</noscript><img src=x onerror=xss(21)>">',
  "<style>@import 'javascript:xss(22)';</style>",
  '<meta http-equiv="refresh" content="0;url=javascript:xss(23)">',
  '<base href="javascript:xss(24)//">',
  '<template><img src=x onerror=xss(25)></template>',
  '<scr<script>ipt>xss(26)</script>',
  '<svg><a xlink:href="javascript:xss(27)"><text x="20" y="20">link twenty-seven</text></a></svg>',
  '<img src="x" onerror="&#x78;ss(28)">',
  '<marquee onstart=xss(29)>marquee</marquee>',
  '<a href="data:text/html,<script>parent.xss(30)</script>">link thirty</a>',
  'javascript:xss(31)',
  '<div style="background:url(javascript:xss(32))">styled</div>',
  '<img src=x:x onerror=xss(33)//',
  '</textarea><img src=x onerror=xss(34)>',
  '</title><img src=x onerror=xss(35)>',
  "{{constructor.constructor('xss(36)')()}}",
  '<select autofocus onfocus=xss(37)>',
  '<audio src=x onerror=xss(38)>',
  '<x contenteditable onfocus=xss(39) autofocus>x</x>',
  '<img src=x onerror=alert(40)>',
  '<svg><animate onbegin=xss(41) attributeName=x dur=1s>',
  '<a href=" &#14;  javascript:xss(42)">link forty-two</a>',
  '<div id="x"></div><script>document.getElementById("x").innerHTML="<img src=x onerror=xss(43)>"</script>',
  '<img srcset="x" onerror=xss(44)>',
  '<p style="x:expression(xss(45))">old ie</p>',
];

/** A short payload for fields with small limits. */
const SHORT = '<img src=x onerror=xss(90)>';
const NAME_EDNA = '<img src=x onerror=xss(91)>Edna';
const NAME_RITA = '"><svg onload=xss(92)>Rita';

/** Installed before any page script: what a payload would call. */
async function installTraps(page: Page, dialogs: string[]): Promise<void> {
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.addInitScript(() => {
    const fired: string[] = [];
    Object.assign(window, { __xss: fired, xss: (id: unknown) => fired.push(String(id)) });
  });
}

/**
 * What ran (`xss` calls), and anything in the page that could run script later: event-handler
 * attributes, `javascript:` or `data:` URLs, scripts, frames, objects, `<base>` in the body.
 */
async function inspect(page: Page): Promise<{ fired: string[]; dangerous: string[] }> {
  return page.evaluate(() => {
    const fired = ((window as unknown as { __xss?: string[] }).__xss ?? []).slice();
    const dangerous: string[] = [];
    const urlAttributes = [
      'href',
      'src',
      'action',
      'formaction',
      'data',
      'xlink:href',
      'srcdoc',
      'background',
      'poster',
    ];
    const unsafeUrl = (value: string) => {
      // Browsers ignore control characters and whitespace around and inside the scheme.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: that is what is stripped here
      const scheme = value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
      return scheme.startsWith('javascript:') || scheme.startsWith('data:text/html') || scheme.startsWith('vbscript:');
    };
    for (const element of document.body.querySelectorAll('*')) {
      const tag = element.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'base', 'frame', 'frameset', 'meta'].includes(tag)) {
        dangerous.push(`<${tag}>`);
      }
      for (const attribute of element.attributes) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith('on')) dangerous.push(`${tag}[${name}]`);
        if (urlAttributes.includes(name) && unsafeUrl(attribute.value))
          dangerous.push(`${tag}[${name}=${attribute.value}]`);
        if (name === 'style' && /expression|javascript:/i.test(attribute.value)) dangerous.push(`${tag}[style]`);
      }
    }
    return { fired, dangerous };
  });
}

describe('XSS payloads through every path, shown to another person in Chromium', () => {
  let server: TestServer;
  let browser: BrowserFixture;
  let page: Page;
  const dialogs: string[] = [];
  let storyId = '';
  const importedIds: string[] = [];
  let pasteStoryId = '';
  let ednaCookie = '';
  const writers: CollabClient[] = [];

  async function expectClean(where: string): Promise<void> {
    // Give handlers that would fire on load, error, focus or animation a moment to do so.
    await page.waitForTimeout(300);
    const { fired, dangerous } = await inspect(page);
    expect(fired, `${where}: payloads that ran`).toEqual([]);
    expect(dialogs, `${where}: dialogs opened`).toEqual([]);
    expect(dangerous, `${where}: dangerous markup in the page`).toEqual([]);
    expect(browser.errors.map(String), `${where}: page errors`).toEqual([]);
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    server = await startTestServer({ clientDir });
    const admin = await server.addUser('admin', { admin: true });
    const adminCookie = await login(server.url, 'admin', admin.password);
    // People's names through the API.
    for (const [username, name] of [
      ['edna', NAME_EDNA],
      ['rita', NAME_RITA],
    ] as const) {
      const created = await api(
        server.url,
        'POST',
        '/api/users',
        { cookie: adminCookie },
        { username, password: `${username}-password-1`, name },
      );
      expect(created.status).toBe(201);
    }
    ednaCookie = await login(server.url, 'edna', 'edna-password-1');
    const ritaCookie = await login(server.url, 'rita', 'rita-password-1');
    const me = (cookie: string) => api<{ id: string }>(server.url, 'GET', '/api/me', { cookie });
    const ednaId = (await me(ednaCookie)).body.id;

    // The title through the API.
    const story = await api<{ id: string }>(
      server.url,
      'POST',
      '/api/stories',
      { cookie: ritaCookie },
      { title: `${PAYLOADS[1]} ${PAYLOADS[12]}` },
    );
    expect(story.status).toBe(201);
    storyId = story.body.id;
    await api(
      server.url,
      'PUT',
      `/api/stories/${storyId}/members/${ednaId}`,
      { cookie: ritaCookie },
      { role: 'editor' },
    );

    // The body, headline, dek and byline through the socket, with hostile marks and attributes.
    const ritaToken = (
      await api<{ token: string }>(server.url, 'POST', '/api/tokens', { cookie: ritaCookie }, { name: 'script' })
    ).body.token;
    const body = connectClient(server.collabUrl, storyId, 'body', { token: ritaToken });
    const notes = connectClient(server.collabUrl, storyId, 'notes', { token: ritaToken });
    writers.push(body, notes);
    await Promise.all([body.synced, notes.synced]);
    body.provider.awareness.setLocalStateField('user', {
      name: SHORT,
      color: 'red;background:url(javascript:xss(93))',
    });
    body.doc.transact(() => {
      const fragment = body.doc.getXmlFragment('body');
      fragment.delete(0, fragment.length);
      fragment.insert(
        0,
        PAYLOADS.map((payload, index) => {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.setAttribute('onclick', `xss(${100 + index})`);
          const text = new Y.XmlText();
          text.insert(0, `Claim ${index}: ${payload}`);
          // A link mark whose href no editor would ever write.
          text.format(0, 5, { link: { href: `javascript:xss(${200 + index})`, title: payload } });
          paragraph.insert(0, [text]);
          return paragraph;
        }),
      );
      // Elements the schema does not know, as a hostile client could write them.
      const script = new Y.XmlElement('script');
      script.insert(0, [new Y.XmlText('xss(300)')]);
      const image = new Y.XmlElement('img');
      image.setAttribute('src', 'x');
      image.setAttribute('onerror', 'xss(301)');
      fragment.insert(fragment.length, [script, image]);
      const meta = body.doc.getMap('meta');
      metaText(meta, 'title').insert(0, ` ${PAYLOADS[2]}`);
      metaText(meta, 'dek').insert(0, PAYLOADS[19] as string);
      metaText(meta, 'byline').insert(0, PAYLOADS[20] as string);
    });
    // A source written straight into the notes room (valid for the schema, hostile in content).
    notes.doc.transact(() =>
      writeSource(notes.doc, {
        id: 'sourceFromSocket1',
        url: 'https://example.org/"><img src=x onerror=xss(94)>',
        outlet: PAYLOADS[5] as string,
        title: PAYLOADS[6] as string,
        kind: 'document',
        passage: PAYLOADS[26] as string,
        accessedAt: new Date().toISOString(),
        archiveUrl: null,
        createdBy: 'rita',
        createdAt: new Date().toISOString(),
      }),
    );
    const room = () => server.app.rooms.peek({ storyId, part: 'notes' });
    await waitFor(() => room()?.doc.getMap('sources').has('sourceFromSocket1') === true, 'the socket source is stored');
    await waitFor(
      () =>
        (server.app.rooms.peek({ storyId, part: 'body' })?.doc.getXmlFragment('body').length ?? 0) >= PAYLOADS.length,
      'the body is stored',
    );

    // Claims, sources, discussion through the API.
    const call = (method: string, path: string, payload?: unknown) =>
      api<{ id: string }>(server.url, method, `/api/stories/${storyId}${path}`, { cookie: ritaCookie }, payload);
    const source = await call('POST', '/sources', {
      url: 'https://example.org/?q="><script>xss(95)</script>',
      outlet: PAYLOADS[3],
      title: PAYLOADS[4],
      kind: 'news-report',
      passage: PAYLOADS[9],
      archiveUrl: 'https://archive.example.org/"onmouseover="xss(96)',
    });
    expect(source.status).toBe(201);
    for (const index of [0, 1, 6, 12, 19, 20]) {
      const claim = await call('POST', '/claims', {
        quote: `Claim ${index}: ${PAYLOADS[index]}`,
        note: PAYLOADS[(index + 7) % PAYLOADS.length],
        sourceIds: [source.body.id, 'sourceFromSocket1'],
      });
      expect(claim.status, JSON.stringify(claim.body)).toBe(201);
      const message = await call('POST', `/claims/${claim.body.id}/messages`, {
        text: PAYLOADS[(index + 3) % PAYLOADS.length],
      });
      expect(message.status).toBeLessThan(300);
    }
    // Workflow: a version name and an approval override reason.
    expect((await call('POST', '/versions', { name: PAYLOADS[13] })).status).toBe(201);
    expect((await call('POST', '/review')).status).toBe(200);
    const approved = await api(
      server.url,
      'POST',
      `/api/stories/${storyId}/approve`,
      { cookie: ednaCookie },
      { override: { reason: `${PAYLOADS[14]} ${PAYLOADS[15]}` } },
    );
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // A change after the approval, so the diff has something to show.
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(`After approval: ${PAYLOADS[16]}`)]);
    body.doc.getXmlFragment('body').insert(0, [paragraph]);

    // Import: a whole page of payloads as HTML, and as Markdown.
    const importedPage = `<!doctype html><html><head><title>${PAYLOADS[33]}</title><base href="javascript:xss(97)//"></head>
      <body onload="xss(98)"><article><h1>Imported ${PAYLOADS[1]}</h1>
      ${PAYLOADS.map((payload) => `<p>Paragraph ${payload} ends.</p>`).join('\n')}
      </article></body></html>`;
    for (const [type, text] of [
      ['text/html', importedPage],
      [
        'text/markdown',
        `# Markdown ${PAYLOADS[2]}\n\n${PAYLOADS.map((payload) => `Para ${payload}\n\n[link](javascript:xss(99))`).join('\n\n')}`,
      ],
    ] as const) {
      const response = await fetch(`${server.url}/api/stories/import`, {
        method: 'POST',
        headers: { cookie: ednaCookie, 'content-type': type },
        body: text,
      });
      expect(response.status, await response.clone().text()).toBe(201);
      importedIds.push(((await response.json()) as { id: string }).id);
    }
    const blank = await api<{ id: string }>(
      server.url,
      'POST',
      '/api/stories',
      { cookie: ednaCookie },
      { title: 'Paste here' },
    );
    pasteStoryId = blank.body.id;

    browser = await openBrowser({ width: 1280, height: 900 });
    page = await browser.newPage();
    await installTraps(page, dialogs);
    await page.goto(server.url);
    await page.getByLabel('Username').fill('edna');
    await page.getByLabel('Password').fill('edna-password-1');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor(SLOW);
  }, 180_000);

  afterAll(async () => {
    for (const client of writers) client.destroy();
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('the story list shows hostile titles as text', async () => {
    await expect.poll(() => page.locator('body').textContent(), SLOW).toContain(PAYLOADS[1]);
    // The person's own name (set through the API) in the top bar, as written.
    expect(await page.locator('body').textContent()).toContain(NAME_EDNA);
    await expectClean('story list');
  });

  it('the editor shows hostile body text, links, headline, dek, byline and names as text', async () => {
    await page.goto(`${server.url}/stories/${storyId}`);
    const editor = page.locator('.ProseMirror');
    await expect.poll(() => editor.textContent(), SLOW).toContain(`Claim 0: ${PAYLOADS[0]}`);
    expect(await editor.textContent()).toContain(PAYLOADS[43]);
    // The link marks kept their text, and no link points at script.
    expect(await editor.locator('a[href]').count()).toBe(0);
    await expect.poll(() => page.locator('body').textContent(), SLOW).toContain(PAYLOADS[19]);
    // Rita is connected: her presence shows the name the server stamped (hers, as written).
    await expect.poll(() => page.locator('.presence').first().textContent(), SLOW).toContain(NAME_RITA);
    expect(await page.locator('body').textContent()).toContain(NAME_RITA);
    await expectClean('editor');
  });

  it('the claims panel, every claim opened, shows notes, sources and discussion as text', async () => {
    const panel = page.getByTestId('claims-panel');
    await expect.poll(() => panel.locator('.claim-item-button').count(), SLOW).toBe(6);
    for (let index = 0; index < 6; index++) {
      await panel.locator('.claim-item-button').nth(index).click();
      await panel.locator('.claim-detail').first().waitFor(SLOW);
      await expectClean(`claim ${index}`);
    }
    await expect.poll(() => panel.textContent(), SLOW).toContain(PAYLOADS[4]);
    for (const link of await panel.locator('a[href]').all()) {
      expect(await link.getAttribute('href')).toMatch(/^https?:\/\//);
    }
  });

  it('history, a version and the changes since approval show hostile text as text', async () => {
    await page
      .locator('footer.status-bar')
      .getByRole('button', { name: /^History/ })
      .click();
    const history = page.getByTestId('history-panel');
    await history.waitFor(SLOW);
    await expect.poll(() => history.textContent(), SLOW).toContain(PAYLOADS[13]);
    await expectClean('history');
    await history.locator('.version-main').first().click();
    await page.getByTestId('review-view').waitFor(SLOW);
    await expectClean('version');
    const compare = page.getByTestId('review-view').getByRole('button', { name: 'Compare with now' });
    if ((await compare.count()) > 0) {
      await compare.click();
      await page.waitForTimeout(500);
      await expectClean('diff');
    }
  });

  it('imported pages (HTML and Markdown) open without running anything', async () => {
    for (const id of importedIds) {
      await page.goto(`${server.url}/stories/${id}`);
      await expect.poll(() => page.locator('.ProseMirror').textContent(), SLOW).toContain('Para');
      await expectClean(`imported story ${id}`);
    }
  });

  it('pasting every payload as HTML into the editor runs none of them', async () => {
    await page.goto(`${server.url}/stories/${pasteStoryId}`);
    const editor = page.locator('.ProseMirror[contenteditable="true"]');
    await editor.waitFor(SLOW);
    await editor.click();
    for (const payload of PAYLOADS) {
      await editor.evaluate((element, html) => {
        const data = new DataTransfer();
        data.setData('text/html', html);
        data.setData('text/plain', html);
        element.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      }, `<p>pasted ${payload} end</p>`);
    }
    await expect.poll(() => editor.textContent(), SLOW).toContain('pasted');
    await expectClean('paste');
  });

  it('the story exported as HTML holds nothing that runs, even outside its sandbox', async () => {
    const response = await fetch(`${server.url}/api/stories/${storyId}/export?format=html`, {
      headers: { cookie: ednaCookie },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    const html = await response.text();
    const exported = await browser.newPage();
    await installTraps(exported, dialogs);
    // Loaded as a normal page (no sandbox): its markup alone must be inert.
    await exported.setContent(html);
    await exported.waitForTimeout(300);
    const { fired, dangerous } = await inspect(exported);
    expect(fired).toEqual([]);
    expect(dangerous).toEqual([]);
    expect(await exported.locator('body').textContent()).toContain(PAYLOADS[0]);
  });
});
