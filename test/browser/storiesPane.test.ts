/**
 * The stories pane on the editor page, in real browsers. Rita (reporter) is on two stories: she opens
 * "Harbour budget" and sees both in the pane, the open one marked and showing its headline live as
 * she types it, the other with its workflow state ("Approved", "Changed since approval"). With the
 * keyboard only (Ctrl+Alt+S, arrow keys, Enter) she opens the other story: the editor shows its text,
 * and Edna, still on the first story, no longer sees Rita there (avatar and caret gone, no socket of
 * Rita's left in its rooms). She hides the pane and it stays hidden after a reload; on a narrower
 * screen it starts hidden and opens over the text without narrowing it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { StorySummary } from '../../shared/api.ts';
import type { StoryPart } from '../../shared/documentLayout.ts';
import {
  type BrowserFixture,
  builtClientDir,
  clickAfterStoryChar,
  logInThroughForm,
  openBrowser,
  remoteCursorNames,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import { type CollabClient, connectClient } from '../helpers/collabClient.ts';
import { type Newsroom, openNewsroom, plainText } from '../helpers/newsroom.ts';
import { api, createStory, type TestServer, tokenFor } from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
// A laptop screen: wide enough for the pane beside the text.
const WIDE = { width: 1280, height: 800 };
// Narrower than the pane's breakpoint (1200px): the pane starts hidden and opens over the text.
const NARROW = { width: 1000, height: 800 };
const PHONE = { width: 390, height: 760 };

const HARBOUR = [
  'The council approved the harbour budget on Tuesday.',
  'Mayor Ruth Okafor said the vote was “a turning point for the harbour.”',
];
const FERRY = ['The ferry timetable changes on Monday.', 'Two early crossings are cut.'];
const FERRY_ADDED = 'The late crossing stays.';
const HARBOUR_TITLE = 'Harbour budget';
const TITLE_ADDED = ' passes';

/** Polls `check` (in a hook, where `expect.poll` is not available) until it holds. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`never happened: ${what}`);
}

describe('the stories pane on the editor page', () => {
  const servers: TestServer[] = [];
  const clients: CollabClient[] = [];
  let room: Newsroom;
  let ferry: StorySummary;
  let browser: BrowserFixture;
  let rita: Page;
  let edna: Page;

  const pane = (page: Page) => page.getByTestId('stories-pane');
  const rows = (page: Page) => pane(page).locator('.stories-pane-row');
  const row = (page: Page, storyId: string) => pane(page).locator(`.stories-pane-row[href="/stories/${storyId}"]`);
  const currentRow = (page: Page) => pane(page).locator('.stories-pane-row[aria-current="page"]');
  const showButton = (page: Page) => pane(page).getByRole('button', { name: 'Stories', exact: true });
  const hideButton = (page: Page) => pane(page).getByRole('button', { name: 'Hide your stories', exact: true });
  const focused = (page: Page) =>
    page.evaluate(() => {
      const element = document.activeElement;
      return element === null ? null : { href: element.getAttribute('href'), text: element.textContent };
    });
  /** Rita's sockets still open in a room of the harbour story. */
  const ritaSockets = (part: StoryPart) =>
    room.server.app.rooms.peek({ storyId: room.story.id, part })?.connectionsOf(room.people.rita.user.id).length ?? 0;
  const sheetBox = async (page: Page) => {
    const box = await page.locator('.story-sheet').boundingBox();
    if (box === null) throw new Error('the story sheet is not on screen');
    return box;
  };

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    room = await openNewsroom({ servers, clients }, HARBOUR, { clientDir });
    const { server, people } = room;

    // The second story: Edna's, Rita reporting; written, approved, then changed.
    ferry = await createStory(server.url, people.edna.cookie, 'Ferry timetable');
    const member = await api(
      server.url,
      'PUT',
      `/api/stories/${ferry.id}/members/${people.rita.user.id}`,
      { cookie: people.edna.cookie },
      { role: 'reporter' },
    );
    expect(member.status).toBe(200);
    const writer = connectClient(server.collabUrl, ferry.id, 'body', {
      token: await tokenFor(server.url, people.rita),
    });
    clients.push(writer);
    await writer.synced;
    /** Adds `paragraphs` at the end (`replace`: instead of what the new story starts with). */
    const write = (paragraphs: string[], replace = false) => {
      const fragment = writer.doc.getXmlFragment('body');
      writer.doc.transact(() => {
        if (replace) fragment.delete(0, fragment.length);
        fragment.insert(
          fragment.length,
          paragraphs.map((text) => {
            const paragraph = new Y.XmlElement('paragraph');
            paragraph.insert(0, [new Y.XmlText(text)]);
            return paragraph;
          }),
        );
      });
    };
    const ferryText = () =>
      (server.app.rooms.peek({ storyId: ferry.id, part: 'body' })?.doc.getXmlFragment('body').toArray() ?? [])
        .map(plainText)
        .join('\n');
    write(FERRY, true);
    await until(async () => ferryText() === FERRY.join('\n'), 'the server has the ferry story');
    const approved = await api(
      server.url,
      'POST',
      `/api/stories/${ferry.id}/approve`,
      { cookie: people.edna.cookie },
      {},
    );
    expect(approved.status).toBe(200);
    write([FERRY_ADDED]);
    await until(async () => ferryText() === [...FERRY, FERRY_ADDED].join('\n'), 'the server has the change');
    const listed = async () => {
      const list = await api<{ stories: StorySummary[] }>(server.url, 'GET', '/api/stories', {
        cookie: people.rita.cookie,
      });
      return list.body.stories.find((story) => story.id === ferry.id)?.changedSinceApproval;
    };
    await until(async () => (await listed()) === true, 'the ferry story is flagged as changed since approval');

    // From here on Rita is only in her browser.
    writer.destroy();
    room.writer.destroy();
    await until(async () => ritaSockets('body') === 0, 'Rita’s live client has left');

    browser = await openBrowser(WIDE);
    rita = await browser.newPage();
    edna = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const client of clients.splice(0)) client.destroy();
    for (const server of servers.splice(0)) await server.close();
  }, 60_000);

  it('lists both of Rita’s stories beside the text, the open one marked, with state and role', async () => {
    await rita.goto(`${room.server.url}/stories/${room.story.id}`);
    await logInThroughForm(rita, 'rita', room.people.rita.password);
    await expect.poll(() => storyText(rita), SLOW).toBe(HARBOUR.join('\n'));
    await expect.poll(() => rows(rita).count(), SLOW).toBe(2);

    // Wide screen, nothing remembered yet: the pane is open beside the text.
    expect(await pane(rita).getAttribute('class')).toContain('is-open');
    expect(await showButton(rita).isVisible()).toBe(false);
    const paneBox = await pane(rita).boundingBox();
    const sheet = await sheetBox(rita);
    expect(paneBox).not.toBeNull();
    expect(sheet.x).toBeGreaterThanOrEqual((paneBox?.x ?? 0) + (paneBox?.width ?? 0));

    expect(await currentRow(rita).count()).toBe(1);
    expect(await currentRow(rita).getAttribute('href')).toBe(`/stories/${room.story.id}`);
    expect(await row(rita, room.story.id).locator('.stories-pane-title').textContent()).toBe(HARBOUR_TITLE);
    expect(await row(rita, room.story.id).locator('.badge').allTextContents()).toEqual(['Draft']);
    expect(await row(rita, room.story.id).locator('.stories-pane-role').textContent()).toBe('Reporter');
    const ferryRow = row(rita, ferry.id);
    expect(await ferryRow.getAttribute('aria-current')).toBeNull();
    expect(await ferryRow.locator('.stories-pane-title').textContent()).toBe('Ferry timetable');
    expect(await ferryRow.locator('.badge').allTextContents()).toEqual(['Approved', '⚠ Changed since approval']);
    expect(await ferryRow.locator('.stories-pane-role').textContent()).toBe('Reporter');
    // The way back to the whole list and to a new story.
    expect(await pane(rita).getByRole('link', { name: 'All stories' }).getAttribute('href')).toBe('/');
    expect(await pane(rita).getByRole('button', { name: '+ New story' }).isVisible()).toBe(true);
  }, 60_000);

  it('shows the open story’s headline live as Rita types it', async () => {
    await rita.getByLabel('Headline').click();
    await rita.keyboard.press('End');
    await rita.keyboard.type(TITLE_ADDED);
    await expect
      .poll(() => currentRow(rita).locator('.stories-pane-title').textContent(), SLOW)
      .toBe(`${HARBOUR_TITLE}${TITLE_ADDED}`);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-open.png') });
  }, 60_000);

  it('Rita opens the other story with the keyboard only; Edna no longer sees her on the first', async () => {
    await edna.goto(`${room.server.url}/stories/${room.story.id}`);
    await logInThroughForm(edna, 'edna', room.people.edna.password);
    await expect.poll(() => storyText(edna), SLOW).toBe(HARBOUR.join('\n'));
    await clickAfterStoryChar(rita, HARBOUR[0] ?? '', 3);
    await edna.locator('.status-bar .avatar[title="Rita"]').waitFor(SLOW);
    await expect.poll(async () => (await remoteCursorNames(edna)).flat(), SLOW).toEqual(['Rita']);
    for (const part of ['body', 'notes', 'desk'] as const) expect(ritaSockets(part)).toBe(1);

    // From the text, Ctrl+Alt+S moves to the open story's row; the arrow keys to the other one.
    await rita.keyboard.press('Control+Alt+s');
    await expect.poll(() => focused(rita), SLOW).toMatchObject({ href: `/stories/${room.story.id}` });
    const order = await rows(rita).evaluateAll((links) => links.map((link) => link.getAttribute('href')));
    const from = order.indexOf(`/stories/${room.story.id}`);
    const to = order.indexOf(`/stories/${ferry.id}`);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThanOrEqual(0);
    for (let step = from; step !== to; step += Math.sign(to - from)) {
      await rita.keyboard.press(to > from ? 'ArrowDown' : 'ArrowUp');
    }
    expect(await focused(rita)).toMatchObject({ href: `/stories/${ferry.id}` });
    // Still the harbour story until Enter.
    expect(new URL(rita.url()).pathname).toBe(`/stories/${room.story.id}`);
    // A mark on the page's window: it survives only if no page is loaded.
    await rita.evaluate(() => Object.assign(window, { storiesPaneMark: true }));
    await rita.keyboard.press('Enter');

    // In the app (no page load): the other story's text, the pane marking it, the focus on its row.
    await expect.poll(() => new URL(rita.url()).pathname, SLOW).toBe(`/stories/${ferry.id}`);
    await expect.poll(() => storyText(rita), SLOW).toBe([...FERRY, FERRY_ADDED].join('\n'));
    await expect.poll(() => rita.getByLabel('Headline').inputValue(), SLOW).toBe('Ferry timetable');
    await expect.poll(() => currentRow(rita).getAttribute('href'), SLOW).toBe(`/stories/${ferry.id}`);
    await expect.poll(() => focused(rita), SLOW).toMatchObject({ href: `/stories/${ferry.id}` });
    // The harbour row now shows the headline as saved, with Rita's change.
    await expect
      .poll(() => row(rita, room.story.id).locator('.stories-pane-title').textContent(), SLOW)
      .toBe(`${HARBOUR_TITLE}${TITLE_ADDED}`);
    expect(await rita.evaluate(() => 'storiesPaneMark' in window)).toBe(true);

    // Rita's session on the harbour story is gone: her avatar and caret leave Edna's page, and none
    // of her sockets is left in its rooms.
    await expect.poll(() => edna.locator('.status-bar .avatar[title="Rita"]').count(), SLOW).toBe(0);
    await expect.poll(async () => (await remoteCursorNames(edna)).flat(), SLOW).toEqual([]);
    expect(await edna.locator('.presence').textContent()).toBe('Only you are here');
    for (const part of ['body', 'notes', 'desk'] as const) await expect.poll(() => ritaSockets(part), SLOW).toBe(0);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-switched.png') });
    await edna.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-left-behind.png') });

    // Escape goes back to the text.
    await rita.keyboard.press('Escape');
    await expect
      .poll(() => rita.evaluate(() => document.activeElement?.classList.contains('ProseMirror')), SLOW)
      .toBe(true);
  }, 90_000);

  it('hides the pane on request, and keeps it hidden after a reload', async () => {
    const before = await sheetBox(rita);
    await hideButton(rita).click();
    await showButton(rita).waitFor(SLOW);
    expect(await rows(rita).first().isVisible()).toBe(false);
    expect(await rita.evaluate(() => localStorage.getItem('sourcedesk:stories-pane'))).toBe('collapsed');
    // The text gets the room back (it is centred, so its left edge moves left).
    await expect.poll(async () => (await sheetBox(rita)).x, SLOW).toBeLessThan(before.x);

    await rita.reload();
    await expect.poll(() => storyText(rita), SLOW).toBe([...FERRY, FERRY_ADDED].join('\n'));
    await showButton(rita).waitFor(SLOW);
    expect(await pane(rita).getAttribute('class')).toContain('is-collapsed');
    expect(await rows(rita).first().isVisible()).toBe(false);
    expect(await showButton(rita).getAttribute('aria-expanded')).toBe('false');
    // The shortcut is on the button, for the eye and for assistive technology.
    expect(await showButton(rita).getAttribute('aria-keyshortcuts')).toBe('Control+Alt+S');
    expect(await showButton(rita).getAttribute('title')).toBe('Show your stories (Ctrl+Alt+S)');
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-collapsed.png') });

    // The shortcut shows it again, on the open story's row.
    await rita.locator('.ProseMirror').click();
    await rita.keyboard.press('Control+Alt+s');
    await expect.poll(() => focused(rita), SLOW).toMatchObject({ href: `/stories/${ferry.id}` });
    expect(await rita.evaluate(() => localStorage.getItem('sourcedesk:stories-pane'))).toBe('open');
    // Pressed again in the pane, it goes back to the text (the pane stays).
    await rita.keyboard.press('Control+Alt+s');
    await expect
      .poll(() => rita.evaluate(() => document.activeElement?.classList.contains('ProseMirror')), SLOW)
      .toBe(true);
    expect(await rows(rita).first().isVisible()).toBe(true);
  }, 60_000);

  it('on a narrower screen starts hidden and opens over the text without narrowing it', async () => {
    await rita.setViewportSize(NARROW);
    await rita.reload();
    await expect.poll(() => storyText(rita), SLOW).toBe([...FERRY, FERRY_ADDED].join('\n'));
    // The wide screen's choice ("open") does not apply here.
    await showButton(rita).waitFor(SLOW);
    expect(await rows(rita).first().isVisible()).toBe(false);
    const before = await sheetBox(rita);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-narrow-hidden.png') });

    await rita.locator('.ProseMirror').click();
    await rita.keyboard.press('Control+Alt+s');
    await expect.poll(() => focused(rita), SLOW).toMatchObject({ href: `/stories/${ferry.id}` });
    expect(await rows(rita).count()).toBe(2);
    expect(await sheetBox(rita)).toEqual(before);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-narrow-open.png') });

    // Escape closes it and gives the text the focus back.
    await rita.keyboard.press('Escape');
    await showButton(rita).waitFor(SLOW);
    expect(await rows(rita).first().isVisible()).toBe(false);
    expect(await rita.evaluate(() => document.activeElement?.classList.contains('ProseMirror'))).toBe(true);
    // Nothing of this was remembered for the wide screen.
    expect(await rita.evaluate(() => localStorage.getItem('sourcedesk:stories-pane'))).toBe('open');

    // On a phone the open pane still leaves a strip of the page in view (a click there closes it).
    await rita.setViewportSize(PHONE);
    await showButton(rita).click();
    await expect.poll(() => focused(rita), SLOW).toMatchObject({ href: `/stories/${ferry.id}` });
    const paneBox = await pane(rita).boundingBox();
    expect((paneBox?.x ?? 0) + (paneBox?.width ?? Number.POSITIVE_INFINITY)).toBeLessThan(PHONE.width);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-phone.png') });
    await rita.mouse.click(PHONE.width - 10, 400);
    await showButton(rita).waitFor(SLOW);
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-phone-hidden.png') });
  }, 60_000);

  it('starts a new story from the pane', async () => {
    await rita.setViewportSize(WIDE);
    await pane(rita).getByRole('button', { name: '+ New story' }).click();
    await pane(rita).getByLabel('Working headline').fill('Bridge repairs');
    await rita.keyboard.press('Enter');
    await expect.poll(() => rita.getByLabel('Headline').inputValue(), SLOW).toBe('Bridge repairs');
    await expect.poll(() => rows(rita).count(), SLOW).toBe(3);
    expect(await currentRow(rita).locator('.stories-pane-title').textContent()).toBe('Bridge repairs');
    expect(await currentRow(rita).locator('.badge').allTextContents()).toEqual(['Draft']);
    expect(await currentRow(rita).locator('.stories-pane-role').textContent()).toBe('Editor');
    await rita.screenshot({ path: join(TEST_RESULTS_DIR, 'stories-pane-new-story.png') });
  }, 60_000);

  it('asks before leaving a story whose offline changes exist nowhere else, and stays if told to', async () => {
    // A browser that cannot keep a local copy (IndexedDB refused, as in some private windows).
    const page = await browser.newPage();
    await page.context().addInitScript(() => {
      indexedDB.open = () => {
        throw new DOMException('IndexedDB is off in this test', 'InvalidStateError');
      };
    });
    await page.goto(`${room.server.url}/stories/${room.story.id}`);
    await logInThroughForm(page, 'rita', room.people.rita.password);
    await expect.poll(() => page.getByRole('status').textContent(), SLOW).toContain('Connected');
    const dialogs: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });

    // Online, typing and leaving at once asks nothing: what is unconfirmed is already sent.
    await page.locator('.ProseMirror').click();
    await page.keyboard.press('End');
    await page.keyboard.type(' Online words.');
    await row(page, ferry.id).click();
    await expect.poll(() => new URL(page.url()).pathname, SLOW).toBe(`/stories/${ferry.id}`);
    expect(dialogs).toEqual([]);
    await row(page, room.story.id).click();
    await expect.poll(() => new URL(page.url()).pathname, SLOW).toBe(`/stories/${room.story.id}`);
    await expect.poll(() => page.getByRole('status').textContent(), SLOW).toContain('Connected');

    // Offline with no local copy: the words live only in this page.
    await page.context().setOffline(true);
    await expect.poll(() => page.getByRole('status').textContent(), SLOW).toContain('Offline');
    await page.locator('.ProseMirror').click();
    await page.keyboard.press('End');
    await page.keyboard.type(' Offline words.');
    await row(page, ferry.id).click();
    await expect.poll(() => dialogs.length, SLOW).toBe(1);
    expect(dialogs[0]).toMatch(/have not reached the server/);
    expect(new URL(page.url()).pathname).toBe(`/stories/${room.story.id}`);
    expect(await storyText(page)).toContain('Offline words.');

    // Back online, the words reach the server and leaving asks nothing any more.
    await page.context().setOffline(false);
    await expect.poll(() => page.getByRole('status').textContent(), SLOW).toContain('All changes saved');
    answer = true;
    await row(page, ferry.id).click();
    await expect.poll(() => new URL(page.url()).pathname, SLOW).toBe(`/stories/${ferry.id}`);
    expect(dialogs).toHaveLength(1);
    await page.close();
  }, 90_000);

  it('had no uncaught errors in either page', () => {
    expect(browser.errors.map((error) => error.message)).toEqual([]);
  });
});
