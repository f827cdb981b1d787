/**
 * Claims and sources in two real browsers: Alice (editor) writes the story; Bob (fact-checker, who
 * cannot change the text) selects a sentence, makes it a claim with the shortcut and adds a source
 * through the form; Alice sees the highlight and the panel entry live. Claims in every status are
 * drawn in their colours, a verified claim whose text Alice edits is flagged for a re-check, the
 * panel filters and finds the sentences that need a source, works from the keyboard, and a click on
 * a highlight opens its claim.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import type { StorySummary } from '../../shared/api.ts';
import {
  type BrowserFixture,
  builtClientDir,
  clickAfterStoryChar,
  logInThroughForm,
  openBrowser,
  selectStoryText,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import { connectClient } from '../helpers/collabClient.ts';
import {
  api,
  createStory,
  login,
  startTestServer,
  type TestServer,
  type TestUser,
  tokenFor,
} from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
const VIEWPORT = { width: 1400, height: 900 };

const COUNCIL = 'The council approved the harbour budget on Tuesday.';
const VOTE = 'The vote was seven to two.';
const MAYOR = 'Mayor Ruth Okafor said the plan would create 400 jobs.';
const CRITICS = 'Critics called the vote rushed.';
const PORT = 'According to the port authority, dredging starts in May.';
const MASTER = 'The harbour master told reporters the work will take two years.';
const UNION = 'A spokesperson for the dockworkers said members would vote on the deal next week.';
/** Inside the mayor's sentence: a claim on it overlaps his. */
const JOBS = 'create 400 jobs';
const PARAGRAPHS = [`${COUNCIL} ${VOTE}`, `${MAYOR} ${CRITICS}`, `${PORT} ${MASTER}`, UNION];

const SOURCE = {
  url: 'https://harbourside.example/news/budget-vote',
  outlet: 'City of Harbourside',
  title: 'Mayor welcomes harbour budget',
  passage: 'The plan will create 400 jobs over the next five years, the mayor said.',
};

describe('claims and sources in two browsers', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let bobCookie: string;
  let story: StorySummary;
  let browser: BrowserFixture;
  let pageA: Page;
  let pageB: Page;

  const editor = (page: Page) => page.locator('.ProseMirror');
  const panel = (page: Page) => page.getByTestId('claims-panel');
  const claimItem = (page: Page, text: string) => panel(page).locator('.claim-item', { hasText: text });
  const claimButton = (page: Page, text: string) => claimItem(page, text).locator('.claim-item-button');
  const highlight = (page: Page, text: string) => editor(page).locator('.claim-mark', { hasText: text });
  const filterCount = (page: Page, filter: string) =>
    panel(page).locator(`.filter-chip[data-filter="${filter}"] .filter-count`).textContent();

  /** Opens the claim of `text` in `page`'s panel (unless it is open already) and returns its details. */
  async function openClaim(page: Page, text: string): Promise<Locator> {
    const button = claimButton(page, text);
    await button.waitFor(SLOW);
    if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
    const detail = claimItem(page, text).locator('.claim-detail');
    await detail.waitFor(SLOW);
    return detail;
  }

  async function setStatus(page: Page, text: string, status: string, label: string, note?: string): Promise<void> {
    const detail = await openClaim(page, text);
    await detail.getByLabel('Status', { exact: true }).selectOption(status);
    if (note !== undefined) await detail.getByLabel(/^Note/).fill(note);
    await detail.getByRole('button', { name: `Set to ${label}` }).click();
    await expect.poll(() => claimItem(page, text).locator('.status-chip').textContent(), SLOW).toBe(label);
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    server = await startTestServer({ clientDir });
    alice = await server.addUser('alice', { name: 'Alice Editor' });
    bob = await server.addUser('bob', { name: 'Bob Checker' });
    const aliceCookie = await login(server.url, 'alice', alice.password);
    bobCookie = await login(server.url, 'bob', bob.password);
    story = await createStory(server.url, aliceCookie, 'Harbour budget passes');
    const member = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${bob.user.id}`,
      { cookie: aliceCookie },
      { role: 'fact-checker' },
    );
    expect(member.status).toBe(200);
    browser = await openBrowser(VIEWPORT);
    pageA = await browser.newPage();
    pageB = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('Alice writes the story; the sentences that quote someone are marked as needing a source', async () => {
    await pageA.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageA, 'alice', alice.password);
    await pageA.locator('.ProseMirror[contenteditable="true"]').waitFor(SLOW);
    await editor(pageA).click();
    for (const [index, paragraph] of PARAGRAPHS.entries()) {
      if (index > 0) await pageA.keyboard.press('Enter');
      await pageA.keyboard.type(paragraph);
    }
    await expect.poll(() => storyText(pageA), SLOW).toBe(PARAGRAPHS.join('\n'));
    await expect
      .poll(() => editor(pageA).locator('.needs-source').allTextContents(), SLOW)
      .toEqual([MAYOR, PORT, MASTER, UNION]);
    await expect.poll(() => filterCount(pageA, 'needs-source'), SLOW).toBe('4');
    expect(await panel(pageA).textContent()).toContain('No claims yet');
  }, 90_000);

  it('Bob, a fact-checker, can read the story but typing does not change it', async () => {
    await pageB.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageB, 'bob', bob.password);
    await expect.poll(() => storyText(pageB), SLOW).toBe(PARAGRAPHS.join('\n'));
    expect(await editor(pageB).getAttribute('contenteditable')).toBe('false');
    await pageB.getByText('you can add claims, sources and notes, but not change its text').waitFor();

    await clickAfterStoryChar(pageB, COUNCIL, 3);
    await pageB.keyboard.type('Not allowed ');
    await pageB.keyboard.press('Backspace');
    await pageB.keyboard.press('Enter');
    // Give a stray edit every chance to reach Alice before checking that none did.
    await expect.poll(() => pageA.getByTestId('save-state').textContent(), SLOW).toBe('All changes saved');
    expect(await storyText(pageB)).toBe(PARAGRAPHS.join('\n'));
    expect(await storyText(pageA)).toBe(PARAGRAPHS.join('\n'));
  }, 90_000);

  it('Bob selects a sentence and makes it a claim with the shortcut, then adds a source through the form', async () => {
    await selectStoryText(pageB, MAYOR);
    await pageB.keyboard.press('Control+Alt+c');
    const detail = await claimItem(pageB, MAYOR).locator('.claim-detail');
    await detail.waitFor(SLOW);
    expect(await claimButton(pageB, MAYOR).getAttribute('aria-expanded')).toBe('true');
    expect(await claimItem(pageB, MAYOR).locator('.claim-item-text').textContent()).toBe(MAYOR);
    await highlight(pageB, 'Mayor Ruth Okafor').waitFor(SLOW);

    await detail.getByRole('button', { name: '+ Add a new source' }).click();
    const form = detail.getByRole('form', { name: 'New source' });
    // A web address that is not http(s) is refused before anything is sent.
    await form.getByLabel('Web address').fill('javascript:alert(1)');
    await form.getByLabel('Kind').selectOption('official-statement');
    await form.getByRole('button', { name: 'Add source' }).click();
    await form.getByText('Enter the full web address').waitFor();

    await form.getByLabel('Web address').fill(SOURCE.url);
    expect(await form.getByText('Enter the full web address').count()).toBe(0);
    await form.getByLabel('Outlet').fill(SOURCE.outlet);
    await form.getByLabel('Title').fill(SOURCE.title);
    await form.getByLabel('Quoted passage').fill(SOURCE.passage);
    expect(await form.getByLabel('Accessed').inputValue()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await pageB.screenshot({ path: join(TEST_RESULTS_DIR, 'claims-source-form.png') });
    await form.getByRole('button', { name: 'Add source' }).click();
    await detail.locator('.source-card', { hasText: SOURCE.title }).waitFor(SLOW);
    await expect
      .poll(() => claimItem(pageB, MAYOR).locator('.claim-item-sources').textContent(), SLOW)
      .toBe('1 source');
  }, 90_000);

  it('Alice sees the highlight in her text and the claim with its source in her panel', async () => {
    await highlight(pageA, 'Mayor Ruth Okafor').waitFor(SLOW);
    expect(await highlight(pageA, 'Mayor Ruth Okafor').getAttribute('data-looks')).toBe('unverified');
    // The sentence has a claim now, so it no longer needs a source.
    await expect
      .poll(() => editor(pageA).locator('.needs-source').allTextContents(), SLOW)
      .toEqual([PORT, MASTER, UNION]);
    await expect
      .poll(() => claimItem(pageA, MAYOR).locator('.claim-item-sources').textContent(), SLOW)
      .toBe('1 source');

    const detail = await openClaim(pageA, MAYOR);
    const link = detail.getByRole('link', { name: SOURCE.title });
    expect(await link.getAttribute('href')).toBe(SOURCE.url);
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await detail.locator('.source-card').textContent()).toContain('City of Harbourside · Official statement');
    expect(await detail.locator('.source-passage').textContent()).toBe(SOURCE.passage);
    expect(await detail.textContent()).toContain('Added by Bob Checker');
    // Opening it from the panel selected its text in the story.
    expect(await pageA.evaluate(() => document.getSelection()?.toString())).not.toBe(null);
  }, 60_000);

  it('claims are made from the sentence at the cursor, from the needs-a-source list and from the button', async () => {
    // Bob: a click in a sentence (no selection), then the shortcut.
    await clickAfterStoryChar(pageB, MASTER, 10);
    await pageB.keyboard.press('Control+Alt+c');
    await claimItem(pageB, MASTER).waitFor(SLOW);
    expect(await claimItem(pageB, MASTER).locator('.claim-item-text').textContent()).toBe(MASTER);

    // Alice: the needs-a-source filter lists what is left, with a one-click "Add claim".
    await panel(pageA).locator('.filter-chip[data-filter="needs-source"]').click();
    await expect.poll(() => panel(pageA).locator('.sentence-text').allTextContents(), SLOW).toEqual([PORT, UNION]);
    await panel(pageA)
      .getByRole('button', { name: `Add a claim on: ${PORT}` })
      .click();
    await expect.poll(() => filterCount(pageA, 'needs-source'), SLOW).toBe('1');
    await panel(pageA).locator('.filter-chip[data-filter="all"]').click();
    await claimItem(pageA, PORT).waitFor(SLOW);

    // Alice: select text, then the panel's button.
    await selectStoryText(pageA, COUNCIL);
    await panel(pageA)
      .getByRole('button', { name: /^Add a claim on the selected text/ })
      .click();
    await claimItem(pageA, COUNCIL).waitFor(SLOW);

    // And one through the API, set straight to "false": it arrives live like the others.
    const created = await api(
      server.url,
      'POST',
      `/api/stories/${story.id}/claims`,
      { cookie: bobCookie },
      { quote: VOTE, status: 'false', note: 'The minutes show six to three.' },
    );
    expect(created.status).toBe(201);
    await claimItem(pageA, VOTE).waitFor(SLOW);
    await claimItem(pageB, VOTE).waitFor(SLOW);

    // A claim inside another: both stay readable, each with its own underline.
    const inner = await api(
      server.url,
      'POST',
      `/api/stories/${story.id}/claims`,
      { cookie: bobCookie },
      { quote: JOBS, status: 'in-review' },
    );
    expect(inner.status).toBe(201);
    const overlap = editor(pageA).locator('.claim-mark', { hasText: JOBS });
    await expect.poll(() => overlap.getAttribute('data-looks'), SLOW).toBe('unverified in-review');
    expect(await overlap.getAttribute('class')).toContain('claim-lanes-2');

    // Story order, for both.
    for (const page of [pageA, pageB]) {
      await expect
        .poll(() => panel(page).locator('.claim-item-text').allTextContents(), SLOW)
        .toEqual([COUNCIL, VOTE, MAYOR, JOBS, PORT, MASTER]);
    }
  }, 90_000);

  it('statuses are set with a note and drawn in their colours for everyone', async () => {
    await setStatus(pageB, MAYOR, 'verified', 'Verified', "Matches the mayor's statement of 12 March.");
    await setStatus(pageB, MASTER, 'disputed', 'Disputed', 'The port says three years.');
    await setStatus(pageA, PORT, 'in-review', 'In review');

    const looks = {
      [COUNCIL]: 'unverified',
      [VOTE]: 'false',
      [MAYOR]: 'verified',
      [PORT]: 'in-review',
      [MASTER]: 'disputed',
    };
    for (const page of [pageA, pageB]) {
      for (const [text, look] of Object.entries(looks)) {
        await expect.poll(() => highlight(page, text.slice(0, 20)).getAttribute('data-looks'), SLOW).toBe(look);
      }
    }
    // A reporter-only status list is not what Bob gets: he may give verdicts.
    const detail = await openClaim(pageB, COUNCIL);
    const options = await detail.getByLabel('Status', { exact: true }).locator('option').allTextContents();
    expect(options).toEqual(['Unverified', 'In review', 'Verified', 'Disputed', 'False']);
    // The note went into the discussion.
    const mayor = await openClaim(pageA, MAYOR);
    await mayor.locator('.thread-text', { hasText: "Matches the mayor's statement" }).waitFor(SLOW);
  }, 90_000);

  it('flags a verified claim whose text Alice changes, for both, until it is verified again', async () => {
    // "400" becomes "450" inside the verified claim.
    await clickAfterStoryChar(pageA, '400 jobs', 0);
    await pageA.keyboard.press('Delete');
    await pageA.keyboard.type('5');
    const changed = MAYOR.replace('400', '450');
    await expect.poll(() => storyText(pageB), SLOW).toContain(changed);

    for (const page of [pageA, pageB]) {
      await expect.poll(() => highlight(page, 'Mayor Ruth Okafor').getAttribute('data-looks'), SLOW).toBe('changed');
      await expect
        .poll(() => claimItem(page, changed).locator('.status-chip').textContent(), SLOW)
        .toBe('Changed since verified');
    }
    const detail = await openClaim(pageB, changed);
    expect(await detail.locator('.claim-changed-banner').textContent()).toContain(
      'Changed since verified by Alice Editor',
    );

    // The screenshot: several claims in different statuses, one flagged, the panel beside them.
    await openClaim(pageA, changed);
    await pageA.mouse.move(0, 0);
    await pageA.screenshot({ path: join(TEST_RESULTS_DIR, 'claims-editor.png') });
    await editor(pageA).screenshot({ path: join(TEST_RESULTS_DIR, 'claims-text.png') });
    await pageB.screenshot({ path: join(TEST_RESULTS_DIR, 'claims-fact-checker.png') });

    await detail.getByRole('button', { name: 'Verified again as it reads now' }).click();
    for (const page of [pageA, pageB]) {
      await expect.poll(() => highlight(page, 'Mayor Ruth Okafor').getAttribute('data-looks'), SLOW).toBe('verified');
    }
    await expect.poll(() => claimItem(pageA, changed).locator('.status-chip').textContent(), SLOW).toBe('Verified');
  }, 90_000);

  it('the discussion on a claim is live for both', async () => {
    const detail = await openClaim(pageA, MASTER);
    await detail.getByLabel('Add to the discussion').fill('Can we get the port authority on the record?');
    await detail.getByRole('button', { name: 'Post' }).click();
    const bobs = await openClaim(pageB, MASTER);
    await bobs.locator('.thread-message', { hasText: 'Can we get the port authority on the record?' }).waitFor(SLOW);
    expect(await bobs.locator('.thread-message').first().textContent()).toContain('Bob Checker');
    expect(await bobs.locator('.thread-message').last().textContent()).toContain('Alice Editor');
  }, 60_000);

  it('the panel works from the keyboard: focus it, move with arrows and j/k, open with Enter, back with Escape', async () => {
    await editor(pageA).click();
    await pageA.keyboard.press('Control+Alt+p');
    const focusedText = () =>
      pageA.evaluate(() => document.activeElement?.querySelector('.claim-item-text')?.textContent ?? null);
    await expect.poll(focusedText, SLOW).not.toBe(null);
    // Start from the top, whichever claim was open.
    await pageA.keyboard.press('Home');
    expect(await focusedText()).toBe(COUNCIL);
    await pageA.keyboard.press('ArrowDown');
    expect(await focusedText()).toBe(VOTE);
    await pageA.keyboard.press('j');
    expect(await focusedText()).toBe(MAYOR.replace('400', '450'));
    await pageA.keyboard.press('j');
    expect(await focusedText()).toBe(JOBS.replace('400', '450'));
    await pageA.keyboard.press('k');
    await pageA.keyboard.press('ArrowUp');
    expect(await focusedText()).toBe(VOTE);
    await pageA.keyboard.press('Enter');
    await claimItem(pageA, VOTE).locator('.claim-detail').waitFor(SLOW);
    expect(await highlight(pageA, VOTE).getAttribute('class')).toContain('is-active');

    await pageA.keyboard.press('Escape');
    await expect
      .poll(() => pageA.evaluate(() => document.activeElement?.classList.contains('ProseMirror')), SLOW)
      .toBe(true);
    expect(await pageA.evaluate(() => document.getSelection()?.toString())).toBe(VOTE);
  }, 60_000);

  it('a click on a highlight opens its claim in the panel', async () => {
    await clickAfterStoryChar(pageB, PORT, 5);
    await claimItem(pageB, PORT).locator('.claim-detail').waitFor(SLOW);
    expect(await claimButton(pageB, PORT).getAttribute('aria-expanded')).toBe('true');
  }, 60_000);

  it('filters by status', async () => {
    await panel(pageB).locator('.filter-chip[data-filter="disputed"]').click();
    await expect.poll(() => panel(pageB).locator('.claim-item-text').allTextContents(), SLOW).toEqual([MASTER]);
    await panel(pageB).locator('.filter-chip[data-filter="all"]').click();
    await expect.poll(() => panel(pageB).locator('.claim-item').count(), SLOW).toBe(6);
  }, 60_000);

  it("highlights stay on their claims' exact text while Alice and a colleague type next to them", async () => {
    // Carol, a reporter, types from a stock Yjs client in Node.
    const carol = await server.addUser('carol', { name: 'Carol Reporter' });
    const aliceCookie = await login(server.url, 'alice', alice.password);
    const member = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${carol.user.id}`,
      { cookie: aliceCookie },
      { role: 'reporter' },
    );
    expect(member.status).toBe(200);
    const client = connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, carol) });
    try {
      await client.synced;
      // A "." typed before the vote claim's last character (its "."): inside the claim in Yjs, though
      // the text alone ("two.." either way) cannot tell which of the two dots is new.
      const texts = (client.doc.getXmlFragment('body').toArray() as Y.XmlElement[]).map(
        (block) => block.get(0) as Y.XmlText,
      );
      const voteText = texts.find((text) => text.toString().includes(VOTE));
      if (voteText === undefined) throw new Error('the vote is not in the story');
      voteText.insert(voteText.toString().indexOf(VOTE) + VOTE.length - 1, '.');
      // Alice types "." before the port claim's final "." in her editor: y-prosemirror writes it
      // after that dot into Yjs (it compares texts), so it is outside the claim for everyone.
      await clickAfterStoryChar(pageA, PORT, PORT.length - 2);
      await pageA.keyboard.type('.');
      for (const page of [pageA, pageB]) {
        await expect.poll(() => storyText(page), SLOW).toContain('seven to two..');
        await expect.poll(() => storyText(page), SLOW).toContain('starts in May..');
      }
      const claims = await api<{ claims: { id: string; text: string }[] }>(
        server.url,
        'GET',
        `/api/stories/${story.id}/claims`,
        { cookie: bobCookie },
      );
      const wanted = Object.fromEntries(claims.body.claims.map((claim) => [claim.id, claim.text]));
      expect(Object.values(wanted)).toContain(`${VOTE.slice(0, -1)}..`);
      expect(Object.values(wanted)).toContain(PORT);
      for (const page of [pageA, pageB]) {
        await expect
          .poll(
            () =>
              editor(page).evaluate((element) => {
                const copy = element.cloneNode(true) as HTMLElement;
                for (const cursor of copy.querySelectorAll('.ProseMirror-yjs-cursor')) cursor.remove();
                const shown: Record<string, string> = {};
                for (const mark of copy.querySelectorAll<HTMLElement>('.claim-mark')) {
                  for (const id of (mark.dataset.claims ?? '').split(' ')) {
                    shown[id] = (shown[id] ?? '') + mark.textContent;
                  }
                }
                return shown;
              }),
            SLOW,
          )
          .toEqual(wanted);
      }
    } finally {
      client.destroy();
    }
  }, 60_000);

  it('had no uncaught errors in either page', () => {
    expect(browser.errors.map((error) => error.message)).toEqual([]);
  });
});
