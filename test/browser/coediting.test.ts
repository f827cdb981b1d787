/**
 * Two people co-write a story in two real browsers (separate Chromium contexts, so separate
 * cookies and IndexedDB) against the real server and the built client: they log in through the
 * form, see each other's text, cursors and headline live, the status bar confirms every change is
 * saved, a reload shows the whole story again, undo takes back only one's own typing, and edits
 * made offline survive closing the page and arrive once back online.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorySummary } from '../../shared/api.ts';
import {
  type BrowserFixture,
  builtClientDir,
  collectPageErrors,
  logInThroughForm,
  openBrowser,
  remoteCursorNames,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import { api, createStory, login, startTestServer, type TestServer, type TestUser } from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
const VIEWPORT = { width: 1280, height: 800 };

const ALICE_SENTENCE = 'The council approved the harbour budget on Tuesday.';
const BOB_SENTENCE = 'Opponents said the vote was rushed.';
const OFFLINE_SENTENCE = 'A spokesperson declined to comment.';
const NEW_HEADLINE = 'Council approves harbour budget after late-night vote';

describe('co-editing in two browsers', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let story: StorySummary;
  let browser: BrowserFixture;
  let pageA: Page;
  let pageB: Page;

  const editor = (page: Page) => page.locator('.ProseMirror');
  const editableEditor = (page: Page) => page.locator('.ProseMirror[contenteditable="true"]');
  const saveState = (page: Page) => page.getByTestId('save-state');

  /** Clicks just right of the end of the text of paragraph `index` (puts the caret at its end). */
  async function clickEndOfParagraph(page: Page, index: number): Promise<void> {
    const paragraph = editor(page).locator(':scope > p').nth(index);
    const box = await paragraph.boundingBox();
    if (box === null) throw new Error(`paragraph ${index} is not on screen`);
    await paragraph.click({ position: { x: box.width - 4, y: box.height / 2 } });
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    server = await startTestServer({ clientDir });
    alice = await server.addUser('alice', { name: 'Alice Reporter' });
    bob = await server.addUser('bob', { name: 'Bob Checker' });
    const aliceCookie = await login(server.url, 'alice', alice.password);
    story = await createStory(server.url, aliceCookie, 'Council vote on the harbour budget');
    const member = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${bob.user.id}`,
      { cookie: aliceCookie },
      { role: 'reporter' },
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

  it('Alice logs in through the form and opens the story from her list', async () => {
    await pageA.goto(`${server.url}/`);
    await pageA.getByRole('heading', { name: 'Log in to the newsroom' }).waitFor();
    await pageA.screenshot({ path: join(TEST_RESULTS_DIR, 'login.png') });

    await logInThroughForm(pageA, 'alice', alice.password);
    const row = pageA.getByRole('link', { name: /Council vote on the harbour budget/ });
    await row.waitFor();
    await pageA.screenshot({ path: join(TEST_RESULTS_DIR, 'story-list.png') });

    await row.focus();
    await pageA.keyboard.press('Enter');
    await pageA.waitForURL(`**/stories/${story.id}`);
    await editableEditor(pageA).waitFor();
    expect(await pageA.getByLabel('Headline').inputValue()).toBe('Council vote on the harbour budget');
  }, 90_000);

  it('Bob follows a link to the story, logs in, and lands in the editor', async () => {
    await pageB.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageB, 'bob', bob.password);
    await editableEditor(pageB).waitFor();
    expect(new URL(pageB.url()).pathname).toBe(`/stories/${story.id}`);
  }, 90_000);

  it("each sees the other's typing", async () => {
    await editor(pageA).click();
    await pageA.keyboard.type(ALICE_SENTENCE);
    await expect.poll(() => storyText(pageB), SLOW).toContain(ALICE_SENTENCE);

    await editor(pageB).click();
    await pageB.keyboard.press('Control+End');
    await pageB.keyboard.press('Enter');
    await pageB.keyboard.type(BOB_SENTENCE);
    await expect.poll(() => storyText(pageA), SLOW).toBe(`${ALICE_SENTENCE}\n${BOB_SENTENCE}`);
    await expect.poll(() => storyText(pageB), SLOW).toBe(`${ALICE_SENTENCE}\n${BOB_SENTENCE}`);
  }, 90_000);

  it("each sees the other's cursor, labelled with their name", async () => {
    // Alice moves back to the end of her own sentence, so the two carets sit on different lines.
    // (End must stay on Alice's line even with Bob's label drawn over it.)
    await editor(pageA).click();
    await pageA.keyboard.press('Control+Home');
    await pageA.keyboard.press('End');
    await expect.poll(() => remoteCursorNames(pageA), SLOW).toEqual([[], ['Bob Checker']]);
    await expect.poll(() => remoteCursorNames(pageB), SLOW).toEqual([['Alice Reporter'], []]);
  }, 60_000);

  it('shows who else is here in the status bar', async () => {
    await pageA.locator('.status-bar .avatar[title="Bob Checker"]').waitFor(SLOW);
    await pageB.locator('.status-bar .avatar[title="Alice Reporter"]').waitFor(SLOW);
  }, 60_000);

  it("shows Alice's headline change to Bob as she types it", async () => {
    await pageA.getByLabel('Headline').fill(NEW_HEADLINE);
    await expect.poll(() => pageB.getByLabel('Headline').inputValue(), SLOW).toBe(NEW_HEADLINE);
  }, 60_000);

  it('says "All changes saved" to both once the server has stored everything', async () => {
    await expect.poll(() => saveState(pageA).textContent(), SLOW).toBe('All changes saved');
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
    expect(await pageA.getByRole('status').textContent()).toContain('Connected');

    // Put Alice's caret back at the end of her sentence for the screenshots, with a click as a
    // person would (the headline field had her focus).
    await clickEndOfParagraph(pageA, 0);
    await expect.poll(() => remoteCursorNames(pageB), SLOW).toEqual([['Alice Reporter'], []]);
    await expect.poll(() => remoteCursorNames(pageA), SLOW).toEqual([[], ['Bob Checker']]);
    await pageA.screenshot({ path: join(TEST_RESULTS_DIR, 'coediting-A.png') });
    await pageB.screenshot({ path: join(TEST_RESULTS_DIR, 'coediting-B.png') });
  }, 60_000);

  it('still shows the whole story to Bob after a reload', async () => {
    await pageB.reload();
    await editableEditor(pageB).waitFor();
    await expect.poll(() => storyText(pageB), SLOW).toBe(`${ALICE_SENTENCE}\n${BOB_SENTENCE}`);
    await expect.poll(() => pageB.getByLabel('Headline').inputValue(), SLOW).toBe(NEW_HEADLINE);
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
  }, 90_000);

  it("undoes only Alice's own typing when she presses Ctrl+Z, and redoes it", async () => {
    await clickEndOfParagraph(pageA, 0);
    // Typing may have been grouped into several undo steps; undo until her sentence is gone.
    await expect
      .poll(async () => {
        await pageA.keyboard.press('Control+z');
        return storyText(pageA);
      }, SLOW)
      .not.toContain(ALICE_SENTENCE);
    await expect.poll(() => storyText(pageB), SLOW).toBe(`\n${BOB_SENTENCE}`);
    expect(await storyText(pageA)).toBe(`\n${BOB_SENTENCE}`);

    await expect
      .poll(async () => {
        await pageA.keyboard.press('Control+Shift+z');
        return storyText(pageA);
      }, SLOW)
      .toBe(`${ALICE_SENTENCE}\n${BOB_SENTENCE}`);
    await expect.poll(() => storyText(pageB), SLOW).toBe(`${ALICE_SENTENCE}\n${BOB_SENTENCE}`);
    await expect.poll(() => saveState(pageA).textContent(), SLOW).toBe('All changes saved');
  }, 90_000);

  it("keeps Bob's offline edits through closing the page and delivers them when he is back", async () => {
    const bobsContext = pageB.context();
    await bobsContext.setOffline(true);
    await expect.poll(() => pageB.getByRole('status').textContent(), SLOW).toContain('Offline');
    await clickEndOfParagraph(pageB, 1);
    await pageB.keyboard.press('Enter');
    await pageB.keyboard.type(OFFLINE_SENTENCE);
    // Closed only once the status bar confirms the edit is stored on this device.
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toMatch(/^Unsynced changes.*kept on this device$/);

    // The page goes away with the edit unsent; only IndexedDB has it.
    await pageB.close();
    await bobsContext.setOffline(false);
    pageB = await bobsContext.newPage();
    collectPageErrors(pageB, browser.errors);
    await pageB.goto(`${server.url}/stories/${story.id}`);
    await editableEditor(pageB).waitFor();

    const fullText = `${ALICE_SENTENCE}\n${BOB_SENTENCE}\n${OFFLINE_SENTENCE}`;
    await expect.poll(() => storyText(pageB), SLOW).toBe(fullText);
    await expect.poll(() => storyText(pageA), SLOW).toBe(fullText);
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
  }, 90_000);

  it('had no uncaught errors in either page', () => {
    expect(browser.errors.map((error) => error.message)).toEqual([]);
  });
});
