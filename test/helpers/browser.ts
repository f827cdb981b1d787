/**
 * Browser tests drive Debian's Chromium through `playwright-core` (no browser is ever downloaded).
 * Helpers to launch it, find the built client, and act as a person would: log in through the form,
 * read the story text the way it is shown.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const projectRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Where browser tests save their screenshots (ignored by git). */
export const TEST_RESULTS_DIR = join(projectRoot, 'test-results');

/** The built client (`npm run build`); fails with instructions when it is missing. */
export function builtClientDir(): string {
  const dir = join(projectRoot, 'dist', 'client');
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`${dir}/index.html is missing: build the client first with \`npm run build\` (npm test does).`);
  }
  return dir;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: run \`node scripts/ensure-chromium.mjs\` (npm test does).`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** One Chromium for a suite, with a page per person. */
export interface BrowserFixture {
  browser: Browser;
  /** Uncaught errors of every page opened here (a suite asserts at its end that there were none). */
  errors: Error[];
  /** A page in a context of its own (its own cookies and IndexedDB: another person, another device). */
  newPage(): Promise<Page>;
  /** Closes every context and the browser (never throws). */
  close(): Promise<void>;
}

/** Launches Chromium; every page it opens has `viewport` and reports its uncaught errors. */
export async function openBrowser(viewport: { width: number; height: number }): Promise<BrowserFixture> {
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const errors: Error[] = [];
  return {
    browser,
    errors,
    async newPage() {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      collectPageErrors(page, errors);
      return page;
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
    },
  };
}

/** Logs in through the real login form on whatever page is showing it, and waits for it to go away. */
export async function logInThroughForm(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** The story text as the person reads it: other people's cursor labels left out, blocks on their own lines. */
export async function storyText(page: Page): Promise<string> {
  return page.locator('.ProseMirror').evaluate((editor) => {
    const copy = editor.cloneNode(true) as HTMLElement;
    for (const cursor of copy.querySelectorAll('.ProseMirror-yjs-cursor')) cursor.remove();
    return [...copy.children].map((block) => (block.textContent ?? '').replaceAll('\u2060', '')).join('\n');
  });
}

/**
 * The names on other people's carets as drawn on screen, paragraph by paragraph: `[[], ['Bob']]` when
 * Bob's caret is in the second paragraph. The label is generated content (`::after`), so this reads
 * what the browser renders.
 */
export async function remoteCursorNames(page: Page): Promise<string[][]> {
  return page.locator('.ProseMirror').evaluate((editor) =>
    [...editor.children].map((block) =>
      [...block.querySelectorAll('.ProseMirror-yjs-cursor')].map((cursor) => {
        const content = getComputedStyle(cursor, '::after').content;
        // `content` is a CSS string: "\"Bob Checker\"" (or "none" when nothing is drawn).
        return content.startsWith('"') ? (JSON.parse(content) as string) : '';
      }),
    ),
  );
}

/** Collects the uncaught errors of a page into `errors`, so a test can assert there were none. */
export function collectPageErrors(page: Page, errors: Error[]): void {
  page.on('pageerror', (error) => errors.push(error));
}

/** The on-screen box of character `index` of the first occurrence of `text` in the story text. */
export async function storyCharBox(
  page: Page,
  text: string,
  index: number,
): Promise<{ x: number; y: number; width: number; height: number }> {
  return page.locator('.ProseMirror').evaluate(
    (editor, [wanted, offset]) => {
      // Decorations split the text into several nodes; read them as one string (carets left out).
      const walker = document.createTreeWalker(editor, NodeFilter.SHOW_TEXT, {
        acceptNode: (node) =>
          node.parentElement?.closest('.ProseMirror-yjs-cursor') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
      });
      const nodes: { node: Text; start: number }[] = [];
      let full = '';
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        nodes.push({ node: node as Text, start: full.length });
        full += (node as Text).data;
      }
      const at = full.indexOf(wanted as string);
      if (at < 0) throw new Error(`"${wanted}" is not in the story text`);
      const target = at + (offset as number);
      const entry = nodes.findLast((candidate) => candidate.start <= target);
      if (entry === undefined) throw new Error('no text node');
      const range = document.createRange();
      range.setStart(entry.node, target - entry.start);
      range.setEnd(entry.node, target - entry.start + 1);
      const box = range.getBoundingClientRect();
      return { x: box.x, y: box.y, width: box.width, height: box.height };
    },
    [text, index] as const,
  );
}

/**
 * Waits until the page stops scrolling (a Space or an arrow key in a read-only page scrolls it
 * smoothly, which would move text away from coordinates measured meanwhile).
 */
export async function waitForScrollToSettle(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        let last = Number.NaN;
        const check = () => {
          if (window.scrollY === last) resolve();
          else {
            last = window.scrollY;
            setTimeout(check, 100);
          }
        };
        check();
      }),
  );
}

/** Selects `text` in the story by dragging the mouse over it, as a person would. */
export async function selectStoryText(page: Page, text: string): Promise<void> {
  await waitForScrollToSettle(page);
  const first = await storyCharBox(page, text, 0);
  const last = await storyCharBox(page, text, text.length - 1);
  await page.mouse.move(first.x + 1, first.y + first.height / 2);
  await page.mouse.down();
  await page.mouse.move(last.x + last.width / 2, last.y + last.height / 2, { steps: 4 });
  await page.mouse.move(last.x + last.width - 1, last.y + last.height / 2, { steps: 2 });
  await page.mouse.up();
}

/** Clicks just after character `index` of `text` in the story (puts the caret there). */
export async function clickAfterStoryChar(page: Page, text: string, index: number): Promise<void> {
  await waitForScrollToSettle(page);
  const box = await storyCharBox(page, text, index);
  await page.mouse.click(box.x + box.width - 1, box.y + box.height / 2);
}
