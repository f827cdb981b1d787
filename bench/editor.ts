/**
 * Benchmark: keystroke-to-paint in the real editor, in Debian's Chromium (playwright-core, headless),
 * for a short story, a long one, and the long one with many claims drawn on it.
 *
 *   npm run build && npm run bench:editor             # full: long story = automerge-paper's text
 *   npm run bench:editor -- --quick                    # a shorter long story, fewer claims and keys
 *
 * The server is the real one (`buildServer`, in this process, serving the built client from
 * dist/client). Each story's body is written through its room (stored, then live), claims through
 * `POST /api/stories/:id/claims`. The page logs in through the form, opens the story, puts the caret
 * at the end of a paragraph in the middle and types at a fast typist's pace.
 *
 * Keystroke-to-paint: from the keydown event's timestamp to the first task after the next animation
 * frame (requestAnimationFrame, then a MessageChannel message), i.e. after the frame that shows the
 * character was produced. Long tasks (> 50 ms) during the typing are counted too.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { prosemirrorToYXmlFragment } from 'y-prosemirror';
import { buildServer } from '../server/app.ts';
import { createUser } from '../server/users.ts';
import { YName } from '../shared/documentLayout.ts';
import { storySchema } from '../shared/schema.ts';
import { builtClientDir, logInThroughForm, openBrowser } from '../test/helpers/browser.ts';
import { loadTrace } from '../test/helpers/traces.ts';
import { fixed, machineDescription, percentiles, table } from './lib/report.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const quick = values.quick;
const KEYS = quick ? 60 : 200;
const KEY_DELAY_MS = 60;
const LONG_CHARS = quick ? 30_000 : Number.POSITIVE_INFINITY;
const CLAIMS = quick ? 60 : 300;
const STATUSES = ['unverified', 'in-review', 'verified', 'disputed', 'false'] as const;

interface Scenario {
  name: string;
  paragraphs: string[];
  claims: number;
}

interface Measured {
  scenario: Scenario;
  chars: number;
  claimsMade: number;
  openMs: number;
  keystrokeMs: Float64Array;
  longTasks: number;
  longTaskMs: number;
}

/** Paragraphs of the automerge-paper trace's final text (a real 100k-character document). */
function longParagraphs(limit: number): string[] {
  const paragraphs = loadTrace('sequential-automerge-paper')
    .endContent.split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const kept: string[] = [];
  let total = 0;
  for (const paragraph of paragraphs) {
    if (total >= limit) break;
    kept.push(paragraph);
    total += paragraph.length;
  }
  return kept;
}

/** Sentences of 30–200 characters that occur once in the text: claims with an unambiguous quote. */
function claimQuotes(paragraphs: string[], count: number): string[] {
  const flat = paragraphs.join('\n');
  const sentences = paragraphs
    .flatMap((paragraph) => paragraph.split(/(?<=[.!?])\s+/))
    .filter((sentence) => sentence.length >= 30 && sentence.length <= 200)
    .filter((sentence) => flat.indexOf(sentence) === flat.lastIndexOf(sentence));
  const step = Math.max(1, sentences.length / count);
  const picked: string[] = [];
  for (let i = 0; i < sentences.length && picked.length < count; i += step) {
    const sentence = sentences[Math.floor(i)];
    if (sentence !== undefined) picked.push(sentence);
  }
  return picked;
}

async function measure(
  page: Page,
  baseUrl: string,
  storyId: string,
  paragraphCount: number,
): Promise<Omit<Measured, 'scenario' | 'chars' | 'claimsMade'>> {
  const opened = performance.now();
  await page.goto(`${baseUrl}/stories/${storyId}`);
  const editor = page.locator('.ProseMirror[contenteditable="true"]');
  await editor.waitFor({ timeout: 60_000 });
  // Open means every paragraph is shown, not only the empty editor.
  const paragraphs = editor.locator(':scope > p');
  while ((await paragraphs.count()) < paragraphCount) await page.waitForTimeout(5);
  const openMs = performance.now() - opened;
  // A paragraph in the middle of the story: caret at its end.
  const middle = paragraphs.nth(Math.floor((await paragraphs.count()) / 2));
  await middle.scrollIntoViewIfNeeded();
  await middle.click();
  await page.keyboard.press('End');
  await page.evaluate(() => {
    const state = window as unknown as { __paint: number[]; __long: number[] };
    state.__paint = [];
    state.__long = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) state.__long.push(entry.duration);
    }).observe({ type: 'longtask' });
    document.addEventListener(
      'keydown',
      (event) => {
        const start = event.timeStamp;
        requestAnimationFrame(() => {
          const channel = new MessageChannel();
          channel.port1.onmessage = () => state.__paint.push(performance.now() - start);
          channel.port2.postMessage(null);
        });
      },
      true,
    );
  });
  const typed = ' The quick brown fox jumps over the lazy dog, said the editor.'
    .repeat(Math.ceil(KEYS / 60))
    .slice(0, KEYS);
  await page.keyboard.type(typed, { delay: KEY_DELAY_MS });
  await page.waitForTimeout(500);
  const { paint, long } = await page.evaluate(() => {
    const state = window as unknown as { __paint: number[]; __long: number[] };
    return { paint: state.__paint, long: state.__long };
  });
  return {
    openMs,
    keystrokeMs: Float64Array.from(paint),
    longTasks: long.length,
    longTaskMs: long.reduce((sum, duration) => sum + duration, 0),
  };
}

const clientDir = builtClientDir();
const dataDir = mkdtempSync(join(tmpdir(), 'sourcedesk-bench-editor-'));
const app = await buildServer({ dataDir, clientDir });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
const baseUrl = `http://127.0.0.1:${address.port}`;
const password = 'bench-editor-password-1';
await createUser(app.storage, { username: 'editor', password, name: 'Bench Editor' });
const login = await fetch(`${baseUrl}/api/session`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'editor', password }),
});
const cookie = (login.headers.getSetCookie().find((line) => line.startsWith('sd_session=')) ?? '').split(';')[0] ?? '';

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const long = longParagraphs(LONG_CHARS);
const scenarios: Scenario[] = [
  { name: 'short story', paragraphs: longParagraphs(2000), claims: 0 },
  { name: 'long story', paragraphs: long, claims: 0 },
  { name: 'long story, many claims', paragraphs: long, claims: CLAIMS },
];

const browser = await openBrowser({ width: 1280, height: 900 });
const results: Measured[] = [];
try {
  const page = await browser.newPage();
  await page.goto(baseUrl);
  await logInThroughForm(page, 'editor', password);
  for (const scenario of scenarios) {
    process.stderr.write(`[bench:editor] ${scenario.name}\n`);
    const created = await post('/api/stories', { title: scenario.name });
    const storyId = (created.json as { id: string }).id;
    const pmDoc = storySchema.node(
      'doc',
      null,
      scenario.paragraphs.map((text) => storySchema.node('paragraph', null, [storySchema.text(text)])),
    );
    await app.rooms.withRoom({ storyId, part: 'body' }, (room) =>
      room.change((doc) => prosemirrorToYXmlFragment(pmDoc, doc.getXmlFragment(YName.body))),
    );
    let claimsMade = 0;
    for (const [index, quote] of claimQuotes(scenario.paragraphs, scenario.claims).entries()) {
      const status = STATUSES[index % STATUSES.length];
      const made = await post(`/api/stories/${storyId}/claims`, { quote, status });
      if (made.status === 201) claimsMade++;
    }
    const measured = await measure(page, baseUrl, storyId, scenario.paragraphs.length);
    results.push({
      scenario,
      chars: scenario.paragraphs.reduce((sum, paragraph) => sum + paragraph.length, 0),
      claimsMade,
      ...measured,
    });
  }
  if (browser.errors.length > 0) throw browser.errors[0];
} finally {
  await browser.close();
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const built = statSync(join(clientDir, 'index.html')).mtime.toISOString();
console.log(`Command: \`npm run bench:editor${quick ? ' -- --quick' : ''}\``);
console.log(
  `Date: ${new Date().toISOString()}. Client built ${built}. Headless Chromium (/usr/bin/chromium), 1280×900.`,
);
console.log(machineDescription());
console.log(
  `Typing: ${KEYS} keys, one every ${KEY_DELAY_MS} ms, at the end of a paragraph in the middle of the story.`,
);
console.log();
console.log(
  table(
    [
      'story',
      'characters',
      'paragraphs',
      'claims',
      'open → all text shown ms',
      'keys',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'long tasks (ms total)',
    ],
    results.map((result) => {
      const p = percentiles(result.keystrokeMs);
      return [
        result.scenario.name,
        result.chars,
        result.scenario.paragraphs.length,
        result.claimsMade,
        fixed(result.openMs, 0),
        p.count,
        fixed(p.p50, 1),
        fixed(p.p95, 1),
        fixed(p.p99, 1),
        fixed(p.max, 1),
        `${result.longTasks} (${fixed(result.longTaskMs, 0)})`,
      ];
    }),
  ),
);
