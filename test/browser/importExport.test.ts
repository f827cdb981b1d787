/**
 * Import and export in a real browser against the real server and the built client. Rita imports
 * the seed story by pasting its text into "Import a story" and sees what was left out before she
 * opens it; she uploads a saved news page as a file; she pastes formatted text copied from a page.
 * In the editor, hostile HTML pasted into the story leaves only clean content (nothing runs, nothing
 * unsafe is drawn or stored). The Download menu offers every format and works from the keyboard;
 * choosing one downloads that file.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorySummary } from '../../shared/api.ts';
import { EXPORT_FORMAT_INFO, EXPORT_MENU_ORDER } from '../../shared/importExport.ts';
import {
  builtClientDir,
  collectPageErrors,
  launchChromium,
  logInThroughForm,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import { api, createStory, login, startTestServer, type TestServer, type TestUser } from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
const VIEWPORT = { width: 1280, height: 900 };

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'import');
const SEED = readFileSync(
  join(import.meta.dirname, '..', '..', '..', 'shared', 'fixtures', 'seed-article.txt'),
  'utf8',
);
const SEED_LINES = SEED.split('\n');
const SEED_ARTICLE = SEED_LINES.slice(0, SEED_LINES.indexOf('Sign in'));

const HOSTILE_PASTE = `
<h1 onclick="window.__pwned = 'h1'">Pasted headline</h1>
<p style="color:red; position:fixed" onmouseover="window.__pwned = 'p'">First pasted paragraph with a <a href="javascript:window.__pwned='link'">bad link</a> and a <a href="https://ok.example/report" onclick="window.__pwned='a'">good link</a>.</p>
<img src="x" onerror="window.__pwned = 'img'">
<script>window.__pwned = 'script'</script>
<iframe src="javascript:window.__pwned='iframe'"></iframe>
<div class="share-bar"><a href="https://facebook.com/sharer">Share on Facebook</a></div>
<p>Advertisement</p>
<figure><img src="y.jpg"><figcaption>Photo: Someone/Getty Images</figcaption></figure>
<svg onload="window.__pwned = 'svg'"><text>vector</text></svg>
<p><a href="data:text/html,<script>alert(1)</script>">data link</a> stays text.</p>
<p>Second pasted paragraph.</p>`;

describe('import and export in the browser', () => {
  let server: TestServer;
  let rita: TestUser;
  let ritaCookie: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: Error[] = [];

  const importButton = () => page.getByRole('button', { name: 'Import…' });
  const importForm = () => page.getByRole('form', { name: 'Import a story' });
  const report = () => page.getByRole('region', { name: /^Imported/ });

  /** Pastes `html` (with `text` as its plain version) into `selector`, as the clipboard would. */
  async function paste(selector: string, html: string, text: string): Promise<void> {
    await page.locator(selector).evaluate(
      (element, [pastedHtml, pastedText]) => {
        const data = new DataTransfer();
        data.setData('text/html', pastedHtml as string);
        data.setData('text/plain', pastedText as string);
        element.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      },
      [html, text] as const,
    );
  }

  async function openImport(): Promise<void> {
    await page.goto(`${server.url}/`);
    await importButton().click();
    await importForm().waitFor(SLOW);
  }

  async function storyId(): Promise<string> {
    await page.waitForURL(/\/stories\/[A-Za-z0-9_-]+$/, SLOW);
    return page.url().split('/').at(-1) as string;
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    server = await startTestServer({ clientDir });
    rita = await server.addUser('rita', { name: 'Rita Reporter' });
    ritaCookie = await login(server.url, 'rita', rita.password);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
    page = await context.newPage();
    collectPageErrors(page, errors);
    await page.goto(`${server.url}/`);
    await logInThroughForm(page, 'rita', rita.password);
  }, 120_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.close();
  }, 60_000);

  it('pasting the seed story as text: the report lists what was left out, then the story opens', async () => {
    // I opens the import panel from the list, and the text box has the focus.
    await page.getByRole('heading', { name: 'Your stories' }).waitFor(SLOW);
    await page.keyboard.press('i');
    await importForm().waitFor(SLOW);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('import-text');
    await page.getByLabel('Story text').fill(SEED);
    await page.getByRole('button', { name: 'Import story' }).click();

    await report().waitFor(SLOW);
    const reportText = (await report().textContent()) ?? '';
    expect(reportText).toContain('Kept 11 paragraphs');
    expect(reportText).toContain('Left out 7 blocks');
    const leftOut = await page.getByRole('list', { name: 'Left out' }).getByRole('listitem').allTextContents();
    expect(leftOut).toHaveLength(7);
    expect(leftOut[0]).toBe('Sign-in noticeSign in');
    expect(leftOut.some((item) => item.includes('Check your email for a one-time code.'))).toBe(true);
    // "Open the story" has the focus: Enter opens it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Open the story');
    // The list behind the report already shows the new story.
    await page.locator('.story-row').first().waitFor(SLOW);
    await page.screenshot({ path: join(TEST_RESULTS_DIR, 'import-report.png'), fullPage: true });
    await page.keyboard.press('Enter');
    await storyId();
    await expect.poll(() => storyText(page), SLOW).toBe(SEED_ARTICLE.join('\n'));
    expect(await page.getByLabel('Headline').inputValue()).toMatch(/^White House press secretary Karoline Leavitt/);
  }, 90_000);

  it('uploading a saved news page: the article is kept, the page furniture is not', async () => {
    await openImport();
    await page
      .getByLabel('Or upload a file (.txt, .html, .md)')
      .setInputFiles(join(FIXTURES, 'harbour-strike-page.html'));
    await expect
      .poll(() => page.locator('.import-source').textContent(), SLOW)
      .toMatch(/The file harbour-strike-page\.html \(\d+ kB\) will be imported/);
    await page.screenshot({ path: join(TEST_RESULTS_DIR, 'import-form.png'), fullPage: true });
    await page.getByRole('button', { name: 'Import story' }).click();
    await report().waitFor(SLOW);
    expect(await report().getByRole('heading').textContent()).toBe(
      'Imported “Port strike enters second week as talks stall”',
    );
    const leftOut = (await page.getByRole('list', { name: 'Left out' }).textContent()) ?? '';
    for (const reason of [
      'Cookie notice',
      'Share buttons',
      'Photo caption or credit',
      '“Most read” list',
      'Comments',
    ]) {
      expect(leftOut).toContain(reason);
    }
    expect((await report().textContent()) ?? '').toMatch(/Also removed: \d+ pieces of unsafe code/);
    await page.getByRole('button', { name: 'Open the story' }).click();
    await storyId();
    await expect.poll(() => storyText(page), SLOW).toContain('The strike is the first at the port since 1989.');
    const text = await storyText(page);
    for (const furniture of ['We use cookies', 'Most read', 'Advertisement', 'Photograph', 'Sign up']) {
      expect(text).not.toContain(furniture);
    }
    expect(await page.getByLabel('Headline').inputValue()).toBe('Port strike enters second week as talks stall');
    await expect.poll(() => page.locator('.ProseMirror blockquote').count(), SLOW).toBe(1);
  }, 90_000);

  it('pasting formatted text from a page into the import box keeps its structure and cleans it', async () => {
    await openImport();
    const fragment = readFileSync(join(FIXTURES, 'council-fragment.html'), 'utf8');
    await paste(
      '#import-text',
      fragment,
      'Council approves harbour budget after late-night vote\nThe city council approved…',
    );
    await expect.poll(() => page.locator('.import-source').textContent(), SLOW).toContain('Formatted text pasted');
    // The format choice is not needed for formatted text.
    expect(await page.getByLabel('The text is').count()).toBe(0);
    await page.getByRole('button', { name: 'Import story' }).click();
    await report().waitFor(SLOW);
    expect(await report().getByRole('heading').textContent()).toBe(
      'Imported “Council approves harbour budget after late-night vote”',
    );
    await page.getByRole('button', { name: 'Open the story' }).click();
    await storyId();
    await expect.poll(() => storyText(page), SLOW).toContain('Work on the new quay wall is due to start in May.');
    expect(await storyText(page)).not.toContain('Advertisement');
    expect(await page.locator('.ProseMirror a[href="https://city.example/budget.pdf"]').count()).toBe(1);
    expect(await page.locator('.ProseMirror a[href^="javascript"], .ProseMirror a[href^="data"]').count()).toBe(0);
  }, 90_000);

  it('hostile HTML pasted into the editor leaves only clean content, on screen and on the server', async () => {
    const story: StorySummary = await createStory(server.url, ritaCookie, 'Pasted story');
    await page.goto(`${server.url}/stories/${story.id}`);
    const editor = page.locator('.ProseMirror[contenteditable="true"]');
    await editor.waitFor(SLOW);
    await editor.click();
    await paste('.ProseMirror', HOSTILE_PASTE, 'Pasted headline\nFirst pasted paragraph');
    await expect.poll(() => storyText(page), SLOW).toContain('Second pasted paragraph.');
    const text = await storyText(page);
    expect(text).toContain('Pasted headline');
    expect(text).toContain('First pasted paragraph with a bad link and a good link.');
    expect(text).toContain('data link stays text.');
    for (const furniture of ['Share on Facebook', 'Advertisement', 'Getty Images', 'vector', '__pwned']) {
      expect(text).not.toContain(furniture);
    }
    // Nothing ran, nothing unsafe is drawn.
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
    const unsafe = await page.locator('.ProseMirror').evaluate((root) => {
      const found: string[] = [];
      for (const element of root.querySelectorAll('*')) {
        const tag = element.tagName.toLowerCase();
        if (['script', 'style', 'iframe', 'img', 'svg', 'object', 'embed', 'form'].includes(tag)) found.push(tag);
        for (const attribute of element.attributes) {
          if (attribute.name.startsWith('on')) found.push(`${tag}[${attribute.name}]`);
          if (attribute.name === 'style' && !element.closest('.ProseMirror-yjs-cursor')) found.push(`${tag}[style]`);
          if (attribute.name === 'href' && !/^(https?|mailto):/.test(attribute.value))
            found.push(`href ${attribute.value}`);
        }
      }
      return found;
    });
    expect(unsafe).toEqual([]);
    expect(await page.locator('.ProseMirror h2').textContent()).toBe('Pasted headline');
    expect(
      await page.locator('.ProseMirror a').evaluateAll((links) => links.map((a) => a.getAttribute('href'))),
    ).toEqual(['https://ok.example/report']);
    await page.screenshot({ path: join(TEST_RESULTS_DIR, 'paste-cleaned.png') });

    // The server stored the same clean text.
    await expect
      .poll(
        async () =>
          (
            await api<{ text: string }>(server.url, 'GET', `/api/stories/${story.id}/export?format=json`, {
              cookie: ritaCookie,
            })
          ).body.text,
        SLOW,
      )
      .toContain('Second pasted paragraph.');
    const html = await (
      await fetch(`${server.url}/api/stories/${story.id}/export?format=html`, { headers: { cookie: ritaCookie } })
    ).text();
    expect(html).not.toMatch(/<script|onerror|onclick|javascript:|<iframe|<img|style=/i);
  }, 90_000);

  it('the Download menu offers every format, works from the keyboard, and downloads the file', async () => {
    const button = page.getByRole('button', { name: 'Download' });
    await button.waitFor(SLOW);
    expect(await button.getAttribute('aria-haspopup')).toBe('menu');
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    await button.focus();
    await page.keyboard.press('Enter');
    const menu = page.getByRole('menu');
    await menu.waitFor(SLOW);
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    const items = menu.getByRole('menuitem');
    const labels = await items.locator('.download-label').allTextContents();
    expect(labels).toEqual(EXPORT_MENU_ORDER.map((format) => EXPORT_FORMAT_INFO[format].label));
    const hrefs = await items.evaluateAll((links) => links.map((link) => link.getAttribute('href')));
    expect(hrefs.map((href) => new URL(href ?? '', 'http://x').searchParams.get('format'))).toEqual([
      ...EXPORT_MENU_ORDER,
    ]);

    const focused = () =>
      page.evaluate(() => document.activeElement?.querySelector('.download-label')?.textContent ?? null);
    await expect.poll(focused).toBe('Web page (HTML)');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('Markdown');
    await page.keyboard.press('End');
    await expect.poll(focused).toBe('Annotations (W3C)');
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('Web page (HTML)');
    await page.keyboard.press('ArrowUp');
    await expect.poll(focused).toBe('Annotations (W3C)');
    await page.screenshot({ path: join(TEST_RESULTS_DIR, 'download-menu.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => menu.count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('download-button');

    // ArrowDown opens it too; Enter on "Markdown" downloads the Markdown file.
    await page.keyboard.press('ArrowDown');
    await expect.poll(focused).toBe('Web page (HTML)');
    await page.keyboard.press('ArrowDown');
    const downloading = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('pasted-story.md');
    const markdown = readFileSync(await download.path(), 'utf8');
    expect(markdown.startsWith('# Pasted story\n')).toBe(true);
    expect(markdown).toContain('## Pasted headline');
    expect(markdown).toContain('[good link](<https://ok.example/report>)');
    await expect.poll(() => menu.count()).toBe(0);
    expect(errors).toEqual([]);
  }, 90_000);
});
