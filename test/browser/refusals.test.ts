/**
 * Changes the server refuses, seen from a real browser against the real server and the built
 * client. Bob, a reporter, is made a viewer while the story is open: when he types, the server
 * refuses the change; he is told what was refused, his text becomes read-only, his copy goes back to
 * the server's, and the refused typing does not come back after a reload (the local copy is
 * discarded). Alice never sees it. When Alice removes him from the story he is told so. Carol's
 * socket is routed through the test so that it can answer an update with the "update refused" close
 * code: her copy is reloaded from the server once, and a second refusal stops instead of looping.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StorySummary } from '../../shared/api.ts';
import { CloseCode, MessageType, SyncMessageType } from '../../shared/protocol.ts';
import {
  type BrowserFixture,
  builtClientDir,
  logInThroughForm,
  openBrowser,
  storyText,
  TEST_RESULTS_DIR,
} from '../helpers/browser.ts';
import { api, createStory, login, startTestServer, type TestServer, type TestUser } from '../helpers/testServer.ts';

// The machine running the suite may have two cores shared with other suites: wait generously,
// and never assert on how long anything took.
const SLOW = { timeout: 30_000, interval: 100 };
const VIEWPORT = { width: 1280, height: 900 };

const ALICE_SENTENCE = 'The council approved the harbour budget on Tuesday.';
const BOB_SENTENCE = 'Opponents said the vote was rushed.';
const REFUSED_TYPING = ' Bob adds a line he may no longer write.';
const CAROL_FIRST_REFUSED = ' Carol adds a sentence the server turns down.';
const CAROL_SECOND_REFUSED = ' Carol tries once more.';
const REFUSAL_REASON = 'the update breaks the rules of this room';
const SAVED_TEXT = `${ALICE_SENTENCE}\n${BOB_SENTENCE}`;

describe('changes the server refuses', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let aliceCookie: string;
  let story: StorySummary;
  let browser: BrowserFixture;
  let pageA: Page;
  let pageB: Page;
  let pageC: Page;
  /** Set by a test: Carol's next update on the body socket is answered with `updateRefused`. */
  let refuseCarolsNextUpdate = false;
  /** How many of Carol's updates were refused that way. */
  let carolRefusals = 0;

  const editor = (page: Page) => page.locator('.ProseMirror');
  const editableEditor = (page: Page) => page.locator('.ProseMirror[contenteditable="true"]');
  const readOnlyEditor = (page: Page) => page.locator('.ProseMirror[contenteditable="false"]');
  const saveState = (page: Page) => page.getByTestId('save-state');
  const refusalNotice = (page: Page) => page.getByTestId('refusal-notice');

  /** Puts the caret at the very end of the story, as a person would with the keyboard. */
  async function caretAtEnd(page: Page): Promise<void> {
    await editor(page).click();
    await page.keyboard.press('Control+End');
  }

  /** From now on, notes whether `text` ever appears in the page's story text (see `sawText`). */
  async function watchForText(page: Page, text: string): Promise<void> {
    await page.locator('.ProseMirror').evaluate((element, wanted) => {
      const record = window as unknown as { sawWatchedText: boolean };
      record.sawWatchedText = false;
      const check = () => {
        if ((element.textContent ?? '').includes(wanted)) record.sawWatchedText = true;
      };
      new MutationObserver(check).observe(element, { subtree: true, childList: true, characterData: true });
      check();
    }, text);
  }

  async function sawText(page: Page): Promise<boolean> {
    return page.evaluate(() => (window as unknown as { sawWatchedText: boolean }).sawWatchedText);
  }

  async function setRole(userId: string, role: string): Promise<void> {
    const member = await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${userId}`,
      { cookie: aliceCookie },
      { role },
    );
    expect(member.status).toBe(200);
  }

  /**
   * Passes Carol's body socket through to the server, except that, when the test asks for it, her
   * next update is not delivered and her socket is closed as the server closes a refused update.
   */
  function routeCarolsBodySocket(route: WebSocketRoute): void {
    const toServer = route.connectToServer();
    route.onMessage((message) => {
      const bytes = typeof message === 'string' ? null : message;
      const isUpdate = bytes !== null && bytes[0] === MessageType.sync && bytes[1] === SyncMessageType.update;
      if (isUpdate && refuseCarolsNextUpdate) {
        refuseCarolsNextUpdate = false;
        carolRefusals += 1;
        void route.close({ code: CloseCode.updateRefused, reason: REFUSAL_REASON });
        void toServer.close();
        return;
      }
      toServer.send(message);
    });
  }

  beforeAll(async () => {
    const clientDir = builtClientDir();
    mkdirSync(TEST_RESULTS_DIR, { recursive: true });
    server = await startTestServer({ clientDir });
    alice = await server.addUser('alice', { name: 'Alice Editor' });
    bob = await server.addUser('bob', { name: 'Bob Reporter' });
    carol = await server.addUser('carol', { name: 'Carol Reporter' });
    aliceCookie = await login(server.url, 'alice', alice.password);
    story = await createStory(server.url, aliceCookie, 'Council vote on the harbour budget');
    await setRole(bob.user.id, 'reporter');
    await setRole(carol.user.id, 'reporter');
    browser = await openBrowser(VIEWPORT);
    pageA = await browser.newPage();
    pageB = await browser.newPage();
    pageC = await browser.newPage();
    await pageC.routeWebSocket((url) => url.pathname === `/collab/${story.id}/body`, routeCarolsBodySocket);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  }, 60_000);

  it('Bob, a reporter, types in the story and Alice sees it', async () => {
    await pageA.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageA, 'alice', alice.password);
    await editableEditor(pageA).waitFor(SLOW);
    await editor(pageA).click();
    await pageA.keyboard.type(ALICE_SENTENCE);

    await pageB.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageB, 'bob', bob.password);
    await editableEditor(pageB).waitFor(SLOW);
    await expect.poll(() => storyText(pageB), SLOW).toBe(ALICE_SENTENCE);
    await caretAtEnd(pageB);
    await pageB.keyboard.press('Enter');
    await pageB.keyboard.type(BOB_SENTENCE);

    await expect.poll(() => storyText(pageA), SLOW).toBe(SAVED_TEXT);
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
  }, 90_000);

  it('Bob, made a viewer meanwhile, is told his typing was refused, and his text goes back to the saved one', async () => {
    await watchForText(pageA, REFUSED_TYPING.trim());
    await setRole(bob.user.id, 'viewer');
    // His page still thinks he is a reporter: he types, and the server refuses the change.
    await caretAtEnd(pageB);
    await pageB.keyboard.insertText(REFUSED_TYPING);

    const notice = refusalNotice(pageB);
    await expect
      .poll(() => notice.locator('.refusal-title').textContent(), SLOW)
      .toBe("You can't edit the text of this story (your role: viewer). Your last change was not saved.");
    // The refused typing is named, once the saved version has loaded.
    await expect
      .poll(() => notice.locator('.refusal-changes').textContent(), SLOW)
      .toBe(`Typed in the text: “${REFUSED_TYPING.trim()}”`);
    expect(await notice.getByText('The story now shows the saved version.').count()).toBe(1);
    // The whole version he had is there to copy from.
    expect(await notice.getByLabel('Your version of the story').inputValue()).toBe(
      `Council vote on the harbour budget\n\n${SAVED_TEXT}${REFUSED_TYPING}`,
    );

    // His text is the saved one again, and read-only, as for any viewer.
    await readOnlyEditor(pageB).waitFor(SLOW);
    await expect.poll(() => storyText(pageB), SLOW).toBe(SAVED_TEXT);
    expect(await pageB.getByLabel('Headline').getAttribute('readonly')).not.toBeNull();
    await expect
      .poll(() => pageB.locator('.status-bar .role').textContent(), SLOW)
      .toBe('Your role: Viewer (read only)');
    await pageB.getByText("You're a viewer on this story").waitFor(SLOW);
    await expect.poll(() => pageB.getByRole('status').textContent(), SLOW).toContain('Connected');
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
    expect(await pageB.locator('.toolbar-row').count()).toBe(0);

    await pageB.screenshot({ path: join(TEST_RESULTS_DIR, 'refused-edit.png') });
    expect(await storyText(pageA)).toBe(SAVED_TEXT);
  }, 90_000);

  it('keeps the notice until Bob dismisses it', async () => {
    await refusalNotice(pageB).getByRole('button', { name: 'Dismiss' }).click();
    await refusalNotice(pageB).waitFor({ state: 'detached', ...SLOW });
    // Still a viewer: the text stays read-only.
    await readOnlyEditor(pageB).waitFor(SLOW);
  }, 60_000);

  it('brings nothing of the refused typing back when Bob reloads (his local copy was discarded)', async () => {
    await pageB.reload();
    await readOnlyEditor(pageB).waitFor(SLOW);
    await expect.poll(() => pageB.getByRole('status').textContent(), SLOW).toContain('Connected');
    await expect.poll(() => saveState(pageB).textContent(), SLOW).toBe('All changes saved');
    expect(await storyText(pageB)).toBe(SAVED_TEXT);
    expect(await refusalNotice(pageB).count()).toBe(0);
  }, 90_000);

  it('never showed Alice the refused typing', async () => {
    expect(await sawText(pageA)).toBe(false);
    expect(await storyText(pageA)).toBe(SAVED_TEXT);
    // A fresh look at the server's copy, not only what her open page has.
    await pageA.reload();
    await editableEditor(pageA).waitFor(SLOW);
    await expect.poll(() => saveState(pageA).textContent(), SLOW).toBe('All changes saved');
    expect(await storyText(pageA)).toBe(SAVED_TEXT);
  }, 90_000);

  it('tells Bob when Alice removes him from the story', async () => {
    const removed = await api(server.url, 'DELETE', `/api/stories/${story.id}/members/${bob.user.id}`, {
      cookie: aliceCookie,
    });
    expect(removed.status).toBeLessThan(300);
    const alert = pageB.getByRole('alert').filter({ hasText: 'You were removed from this story' });
    await alert.waitFor(SLOW);
    expect(await alert.textContent()).toContain(
      'You were removed from this story, so it is no longer open here. Ask its editor if you need it again.',
    );
    expect(await alert.getByRole('link', { name: 'Back to your stories' }).count()).toBe(1);
    // The role he had no longer applies.
    expect(await pageB.locator('.status-bar .role').count()).toBe(0);
    expect(await pageB.getByText("You're a viewer on this story").count()).toBe(0);
    await readOnlyEditor(pageB).waitFor(SLOW);
    await pageB.screenshot({ path: join(TEST_RESULTS_DIR, 'removed-from-story.png') });
  }, 60_000);

  it("reloads Carol's copy from the server when an update of hers is refused, and names the refused text", async () => {
    await pageC.goto(`${server.url}/stories/${story.id}`);
    await logInThroughForm(pageC, 'carol', carol.password);
    await editableEditor(pageC).waitFor(SLOW);
    await expect.poll(() => storyText(pageC), SLOW).toBe(SAVED_TEXT);

    refuseCarolsNextUpdate = true;
    await caretAtEnd(pageC);
    await pageC.keyboard.insertText(CAROL_FIRST_REFUSED);

    const notice = refusalNotice(pageC);
    await expect
      .poll(() => notice.locator('.refusal-title').textContent(), SLOW)
      .toBe(`The server refused your last change to the text (${REFUSAL_REASON}). It was not saved.`);
    await expect
      .poll(() => notice.locator('.refusal-changes').textContent(), SLOW)
      .toBe(`Typed in the text: “${CAROL_FIRST_REFUSED.trim()}”`);
    await expect.poll(() => storyText(pageC), SLOW).toBe(SAVED_TEXT);
    expect(carolRefusals).toBe(1);
    // Her role allows editing: once reloaded, the text is hers to edit again.
    await editableEditor(pageC).waitFor(SLOW);
    await expect.poll(() => saveState(pageC).textContent(), SLOW).toBe('All changes saved');
  }, 90_000);

  it('stops instead of reloading again when the fresh copy is refused too', async () => {
    refuseCarolsNextUpdate = true;
    await caretAtEnd(pageC);
    await pageC.keyboard.insertText(CAROL_SECOND_REFUSED);

    const notice = refusalNotice(pageC);
    await notice.getByText('The server refused a change from this page again').waitFor(SLOW);
    await readOnlyEditor(pageC).waitFor(SLOW);
    // Her typing stays in view (and in the version to copy); nothing was sent again.
    expect(await storyText(pageC)).toBe(`${SAVED_TEXT}${CAROL_SECOND_REFUSED}`);
    expect(await notice.getByLabel('Your version of the story').inputValue()).toContain(CAROL_SECOND_REFUSED);
    expect(carolRefusals).toBe(2);
    await expect.poll(() => pageC.getByRole('status').textContent(), SLOW).toContain('Disconnected');
    await pageC.screenshot({ path: join(TEST_RESULTS_DIR, 'refused-again.png') });

    // A reload starts from the server's copy: the refused typing is gone for good.
    await notice.getByRole('button', { name: 'Reload' }).click();
    await editableEditor(pageC).waitFor(SLOW);
    await expect.poll(() => saveState(pageC).textContent(), SLOW).toBe('All changes saved');
    expect(await storyText(pageC)).toBe(SAVED_TEXT);
    expect(carolRefusals).toBe(2);
    expect(await storyText(pageA)).toBe(SAVED_TEXT);
  }, 90_000);

  it('had no uncaught errors in any page', () => {
    expect(browser.errors.map((error) => error.message)).toEqual([]);
  });
});
