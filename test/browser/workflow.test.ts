/**
 * The editorial workflow in two real browsers: Rita (reporter) and Edna (editor) each have the story
 * open. Rita requests review with the keyboard and Edna's status bar says "In review" at once; Edna
 * approves, the claims that block it are listed (one opens in the claims panel), and she approves
 * anyway with a written reason, shown on the story for both. Rita adds a sentence and changes the
 * headline: Edna's bar flags "Changed since approval"; the changes since her approval show Rita's
 * insertions in Rita's colour with her name, and the fact-checker's verdict change below. The history panel lists the versions
 * by kind, names one, opens one read-only and compares it with now; Rita restores the approved
 * version after a confirmation; the story list shows the state as a badge.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserFixture,
  builtClientDir,
  clickAfterStoryChar,
  logInThroughForm,
  openBrowser,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import type { CollabClient } from '../helpers/collabClient.ts';
import { type Newsroom, openNewsroom } from '../helpers/newsroom.ts';
import type { TestServer } from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
// A laptop screen: the status bar must hold the workflow's state and actions at this width.
const VIEWPORT = { width: 1280, height: 800 };

const LEAD = 'The council approved the harbour budget on Tuesday.';
const MAYOR = 'Mayor Ruth Okafor said the vote was “a turning point for the harbour.”';
const COST = 'According to the city, the plan costs $4 million.';
const STORY = [LEAD, MAYOR, COST];
/** Verified before the approval, disputed after it. */
const FIGURE = 'the plan costs $4 million';
/** Left unverified: it blocks the approval. */
const BLOCKER = 'The council approved the harbour budget';
const ADDED = ' Two members voted against.';
const REASON = 'Budget vote confirmed by the council clerk by phone.';
const TITLE = 'Harbour budget';
const TITLE_ADDED = ' passes';

describe('the editorial workflow in two browsers', () => {
  const servers: TestServer[] = [];
  const clients: CollabClient[] = [];
  let room: Newsroom;
  let browser: BrowserFixture;
  let edna: Page;
  let rita: Page;
  let figureClaim: string;

  const workflowState = (page: Page) => page.getByTestId('workflow-state');
  const statusBar = (page: Page) => page.locator('footer.status-bar');
  const action = (page: Page, name: string) => statusBar(page).getByRole('button', { name, exact: true });
  const historyButton = (page: Page) => statusBar(page).getByRole('button', { name: /^History/ });
  const strip = (page: Page) => page.getByTestId('workflow-strip');
  const review = (page: Page) => page.getByTestId('review-view');
  const history = (page: Page) => page.getByTestId('history-panel');

  async function openStory(page: Page, who: 'edna' | 'rita'): Promise<void> {
    await page.goto(`${room.server.url}/stories/${room.story.id}`);
    await logInThroughForm(page, who, room.people[who].password);
    await expect.poll(() => storyText(page), SLOW).toBe(STORY.join('\n'));
    await expect.poll(() => workflowState(page).textContent(), SLOW).toBe('Draft');
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    room = await openNewsroom({ servers, clients }, STORY, { clientDir, versionPauseMs: 1500 });
    const verified = await room.call<{ id: string }>('fay', 'POST', '/claims', { quote: FIGURE, status: 'verified' });
    expect(verified.status).toBe(201);
    figureClaim = verified.body.id;
    const open = await room.call<{ id: string }>('fay', 'POST', '/claims', { quote: BLOCKER });
    expect(open.status).toBe(201);
    browser = await openBrowser(VIEWPORT);
    edna = await browser.newPage();
    rita = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const client of clients.splice(0)) client.destroy();
    for (const server of servers.splice(0)) await server.close();
  }, 60_000);

  it('shows each person the story as a draft, with the actions of their role', async () => {
    await openStory(edna, 'edna');
    await openStory(rita, 'rita');
    expect(await action(rita, 'Request review').isVisible()).toBe(true);
    expect(await action(rita, 'Approve').count()).toBe(0);
    for (const name of ['Request review', 'Approve']) expect(await action(edna, name).isVisible()).toBe(true);
    expect(await action(edna, 'Publish').count()).toBe(0);
    expect(await action(rita, 'Request review').getAttribute('aria-keyshortcuts')).toBe('Control+Alt+R');
  }, 60_000);

  it('Rita requests review with the keyboard; Edna sees "In review" at once', async () => {
    await clickAfterStoryChar(rita, LEAD, 3);
    await rita.keyboard.press('Control+Alt+r');
    await expect.poll(() => workflowState(rita).textContent(), SLOW).toBe('In review');
    await expect.poll(() => workflowState(edna).textContent(), SLOW).toBe('In review');
    await expect.poll(() => strip(edna).textContent(), SLOW).toContain('requested by Rita');
    // Rita may now only withdraw it; Edna may approve it or send it back.
    await action(rita, 'Back to draft').waitFor(SLOW);
    expect(await action(rita, 'Request review').count()).toBe(0);
    await action(edna, 'Back to draft').waitFor(SLOW);
  }, 60_000);

  it('Edna approves: the blocking claim is listed, opens in the panel, and approving anyway needs a reason', async () => {
    await action(edna, 'Approve').click();
    const dialog = edna.getByTestId('approve-dialog');
    await dialog.waitFor(SLOW);
    const claims = dialog.locator('.blocking-claim');
    await expect.poll(() => claims.allTextContents(), SLOW).toEqual([`Unverified${BLOCKER}`]);
    // The dialog holds the focus, on the first claim.
    expect(await edna.evaluate(() => document.activeElement?.classList.contains('blocking-claim'))).toBe(true);

    // Enter on the claim opens it in the claims panel, its text selected in the story.
    await edna.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached', ...SLOW });
    const panelItem = edna.getByTestId('claims-panel').locator('.claim-item-button', { hasText: BLOCKER });
    await expect.poll(() => panelItem.getAttribute('aria-expanded'), SLOW).toBe('true');
    // (Drawn in pieces where Rita's caret sits.)
    expect((await edna.locator('.claim-mark.is-active').allTextContents()).join('')).toBe(BLOCKER);
    expect(await edna.evaluate(() => document.activeElement?.textContent)).toContain(BLOCKER);
    expect(await workflowState(edna).textContent()).toBe('In review');

    // Approve again, with the keyboard this time: the dialog comes back.
    await edna.keyboard.press('Control+Alt+a');
    await dialog.waitFor(SLOW);
    await dialog.getByRole('button', { name: 'Approve anyway' }).click();
    await expect.poll(() => dialog.locator('.field-error').textContent(), SLOW).toContain('Write why');
    expect(await workflowState(edna).textContent()).toBe('In review');
    await dialog.getByLabel(/Approve anyway: why/).fill(REASON);
    await edna.screenshot({ path: join(TEST_RESULTS_DIR, 'workflow-approve-dialog.png') });
    await dialog.getByRole('button', { name: 'Approve anyway' }).click();
    await dialog.waitFor({ state: 'detached', ...SLOW });

    for (const page of [edna, rita]) {
      await expect.poll(() => workflowState(page).textContent(), SLOW).toBe('Approved');
      await expect
        .poll(() => page.getByTestId('approval-override').textContent(), SLOW)
        .toBe(`Approved over 1 open claim: ${REASON}`);
    }
    expect(await strip(rita).textContent()).toContain('Approved by Edna');
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'workflow-reporter-approved.png') });
    await action(edna, 'Publish').waitFor(SLOW);
  }, 90_000);

  it('Rita adds a sentence: Edna’s status bar flags "Changed since approval", naming Rita', async () => {
    expect(await edna.getByTestId('changed-since-approval').count()).toBe(0);
    await clickAfterStoryChar(rita, LEAD, LEAD.length - 1);
    await rita.keyboard.type(ADDED);
    await expect.poll(() => storyText(edna), SLOW).toContain(`${LEAD}${ADDED}`);
    // And the headline.
    await rita.getByLabel('Headline').click();
    await rita.keyboard.press('End');
    await rita.keyboard.type(TITLE_ADDED);
    await expect.poll(() => edna.getByLabel('Headline').inputValue(), SLOW).toBe(`${TITLE}${TITLE_ADDED}`);
    const flag = edna.getByTestId('changed-since-approval');
    await flag.waitFor(SLOW);
    expect(await flag.getAttribute('title')).toContain('by Rita');
    await expect.poll(() => strip(edna).textContent(), SLOW).toContain('first change by Rita');
    // Changed: it must be approved again before it is published.
    await action(edna, 'Approve changes').waitFor(SLOW);
    expect(await action(edna, 'Publish').count()).toBe(0);
    // Meanwhile the fact-checker disputes the figure that was verified at the approval.
    const disputed = await room.call('fay', 'PATCH', `/claims/${figureClaim}`, { status: 'disputed' });
    expect(disputed.status).toBe(200);
  }, 60_000);

  it('Edna sees the changes since her approval: Rita’s insertion marked with her name and colour', async () => {
    await edna.locator('.ProseMirror').click();
    await edna.keyboard.press('Control+Alt+d');
    await review(edna).waitFor(SLOW);
    expect(await review(edna).getByRole('heading', { level: 2 }).textContent()).toBe('Changes since your approval');
    // The editor is out of the way while the changes are shown.
    expect(await edna.locator('.story-sheet').isVisible()).toBe(false);

    const inserted = review(edna).locator('.diff-text ins.diff-run');
    await expect.poll(() => inserted.allTextContents(), SLOW).toEqual([ADDED]);
    expect(await inserted.getAttribute('title')).toBe('Inserted by Rita');
    const ritaColour = room.people.rita.user.color;
    expect(await inserted.evaluate((element) => getComputedStyle(element).getPropertyValue('--author').trim())).toBe(
      ritaColour,
    );
    expect(await review(edna).locator('.diff-legend').textContent()).toContain('Rita');
    const headline = review(edna).locator('.diff-headline');
    await expect.poll(() => headline.locator('ins.diff-run').allTextContents(), SLOW).toEqual([TITLE_ADDED]);
    expect(await headline.textContent()).toContain('Headline changed');
    // The rest of the story is there, unmarked.
    expect(await review(edna).locator('.diff-text').textContent()).toContain(MAYOR);
    await expect
      .poll(() => review(edna).getByTestId('claim-change').allTextContents(), SLOW)
      .toEqual([expect.stringMatching(/^“the plan costs \$4 million”: verified → disputed by Fay/)]);

    // The line that said "approved" goes with its ✕ (it would cover the claim changes in the picture).
    const notice = edna.getByTestId('workflow-notice');
    if ((await notice.count()) > 0) await notice.getByRole('button', { name: 'Dismiss this message' }).click();
    await edna.mouse.move(0, 0);
    await edna.screenshot({ path: join(TEST_RESULTS_DIR, 'workflow-changes.png') });

    // Escape: back to editing, the text shown again.
    await edna.keyboard.press('Escape');
    await review(edna).waitFor({ state: 'detached', ...SLOW });
    expect(await edna.locator('.story-sheet').isVisible()).toBe(true);
  }, 60_000);

  it('the history panel lists the versions, names one, opens one read-only and compares it with now', async () => {
    await edna.keyboard.press('Control+Alt+h');
    await history(edna).waitFor(SLOW);
    const kinds = () => history(edna).locator('.version-kind').allTextContents();
    await expect.poll(kinds, SLOW).toEqual(expect.arrayContaining(['Approved', 'Review requested']));
    // The first text was kept by an autosave once the typing paused.
    await expect.poll(kinds, SLOW).toContain('Autosave');
    expect(await history(edna).locator('.version-approval').textContent()).toContain('approval in force');

    await history(edna).getByLabel('Name the story as it is now').fill('With the vote count');
    await history(edna).getByRole('button', { name: 'Save version' }).click();
    await expect.poll(kinds, SLOW).toContain('With the vote count');
    expect((await kinds())[0]).toBe('With the vote count');

    // The review request's version, read-only: without Rita's sentence.
    await history(edna).locator('.version-review .version-main').click();
    await review(edna).waitFor(SLOW);
    const sheet = review(edna).locator('.review-sheet');
    await expect.poll(() => sheet.locator('.story-text').textContent(), SLOW).toBe(STORY.join(''));
    expect(await sheet.locator('.review-title').textContent()).toBe(TITLE);
    expect(await review(edna).getByRole('heading', { level: 2 }).textContent()).toBe('Review requested');
    await edna.mouse.move(0, 0);
    await edna.screenshot({ path: join(TEST_RESULTS_DIR, 'workflow-history.png') });

    await review(edna).getByRole('button', { name: 'Compare with now' }).click();
    await expect
      .poll(() => review(edna).getByRole('heading', { level: 2 }).textContent(), SLOW)
      .toBe('Changes since “Review requested”');
    await expect.poll(() => review(edna).locator('.diff-text ins.diff-run').allTextContents(), SLOW).toEqual([ADDED]);
    await edna.keyboard.press('Escape');
    await review(edna).waitFor({ state: 'detached', ...SLOW });
    // The history panel keyboard: arrows move between versions, Escape closes it.
    await history(edna).locator('.version-main').first().focus();
    await edna.keyboard.press('ArrowDown');
    expect(await edna.evaluate(() => document.activeElement?.closest('li')?.previousElementSibling !== null)).toBe(
      true,
    );
    await edna.keyboard.press('Escape');
    await history(edna).waitFor({ state: 'detached', ...SLOW });
  }, 90_000);

  it('Rita restores the approved version after a confirmation; both editors show it', async () => {
    await historyButton(rita).click();
    await history(rita).waitFor(SLOW);
    // A reporter may restore, but only reporters and editors see the button.
    await history(rita).locator('.version-approval').getByRole('button', { name: 'Restore…' }).click();
    const confirm = rita.getByTestId('confirm-dialog');
    await confirm.waitFor(SLOW);
    expect(await confirm.textContent()).toContain('“Approved”');
    await confirm.getByRole('button', { name: 'Restore', exact: true }).click();
    for (const page of [rita, edna]) {
      await expect.poll(() => storyText(page), SLOW).toBe(STORY.join('\n'));
      await expect.poll(() => page.getByLabel('Headline').inputValue(), SLOW).toBe(TITLE);
    }
    await expect.poll(() => rita.getByTestId('workflow-notice').textContent(), SLOW).toContain('Restored');
    await expect
      .poll(() => history(rita).locator('.version-kind').allTextContents(), SLOW)
      .toEqual(expect.arrayContaining(['Restore']));
  }, 60_000);

  it('the story list shows the workflow state as a badge, with the changed flag', async () => {
    await rita.getByRole('link', { name: '← All stories' }).click();
    const row = rita.getByRole('link', { name: /Harbour budget/ });
    await row.waitFor(SLOW);
    expect(await row.locator('.badge-workflow').textContent()).toBe('Approved');
    expect(await row.locator('.badge-changed').textContent()).toContain('Changed since approval');
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'workflow-story-list.png') });
  }, 60_000);

  it('had no uncaught errors in either page', () => {
    expect(browser.errors.map((error) => error.message)).toEqual([]);
  });
});
