/**
 * Browser tests drive Debian's Chromium through `playwright-core` (no browser is ever downloaded).
 * Helpers to launch it, find the built client, and act as a person would: log in through the form,
 * read the story text the way it is shown.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

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
