/**
 * The editor page of one story: the stories pane on the left (`StoriesPane`), headline, formatting
 * toolbar, the live ProseMirror text with other people's cursors and the claims drawn over it, the
 * claims panel beside it, and the status bar with the workflow (`client/src/workflow/`: state,
 * actions, history, changes since approval).
 * Opens the story's rooms through `openStorySession` and closes them when the page is left.
 */

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { keydownHandler } from 'prosemirror-keymap';
import type { EditorState } from 'prosemirror-state';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import type { Role, StorySummary, User } from '../../../shared/api.ts';
import { canEditBody, canEditNotes } from '../../../shared/permissions.ts';
import { ApiError, api } from '../api.ts';
import type { ConnectionState, LocalCopyState } from '../collab/RoomConnection.ts';
import type { StorySession } from '../collab/storySession.ts';
import { ClaimsPanel } from '../components/claims/ClaimsPanel.tsx';
import { LinkEditor } from '../components/LinkEditor.tsx';
import { RefusalBanner } from '../components/RefusalBanner.tsx';
import { StatusBar } from '../components/StatusBar.tsx';
import { StoriesPane } from '../components/StoriesPane.tsx';
import { TitleField } from '../components/TitleField.tsx';
import { Toolbar } from '../components/Toolbar.tsx';
import { createStoryEditor } from '../editor/createStoryEditor.ts';
import { Shortcut } from '../editor/shortcuts.ts';
import { useCreateClaim } from '../hooks/useCreateClaim.ts';
import { usePeople, useRoomStatus, useStoryStatus } from '../hooks/useRoomStatus.ts';
import { type RefusalNotice, useStorySession } from '../hooks/useStorySession.ts';
import { useUsers } from '../hooks/useUsers.ts';
import { DownloadMenu } from '../importExport/DownloadMenu.tsx';
import { roleLabel } from '../roles.ts';
import { followLink, guardLeaving } from '../router.ts';
import { ReviewView } from '../workflow/ReviewView.tsx';
import { useWorkflow } from '../workflow/useWorkflow.ts';
import { WorkflowLayer } from '../workflow/WorkflowLayer.tsx';
import { WorkflowStatus } from '../workflow/WorkflowStatus.tsx';
import { WorkflowStrip } from '../workflow/WorkflowStrip.tsx';

export interface EditorViewProps {
  storyId: string;
  user: User;
  /** The server says the session is over: show the login screen (local edits stay in IndexedDB). */
  onSessionEnded(): void;
}

type StoryInfo =
  | { status: 'loading' }
  | { status: 'ready'; story: StorySummary }
  | { status: 'missing' }
  /** The server could not be reached and this tab has not seen the story: role unknown for now. */
  | { status: 'unreachable' };

export function EditorView({ storyId, user, onSessionEnded }: EditorViewProps) {
  const [info, setInfo] = useState<StoryInfo>(() => {
    const known = api.knownStory(storyId);
    return known === undefined ? { status: 'loading' } : { status: 'ready', story: known };
  });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    api.getStory(storyId).then(
      (story) => {
        if (!cancelled) setInfo({ status: 'ready', story });
      },
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 404) setInfo({ status: 'missing' });
        else setInfo((previous) => (previous.status === 'ready' ? previous : { status: 'unreachable' }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [storyId, attempt]);

  const unreachable = info.status === 'unreachable';
  const retryIfUnreachable = useCallback(() => {
    if (unreachable) setAttempt((count) => count + 1);
  }, [unreachable]);
  // The server refused a change: the person's role may have changed since the page opened.
  const checkRole = useCallback(() => setAttempt((count) => count + 1), []);

  if (info.status === 'missing') {
    return (
      <main class="message-page">
        <h1>Story not found</h1>
        <p>This story doesn't exist or you're not on it. Ask its editor to add you.</p>
        <p>
          <a href="/" onClick={(event) => followLink(event, '/')}>
            Back to your stories
          </a>
        </p>
      </main>
    );
  }
  if (info.status === 'loading') {
    return (
      <main class="message-page">
        <p class="muted">Opening the story…</p>
      </main>
    );
  }
  return (
    <StoryWorkspace
      storyId={storyId}
      user={user}
      role={info.status === 'ready' ? info.story.role : null}
      onSessionEnded={onSessionEnded}
      onConnected={retryIfUnreachable}
      onRefused={checkRole}
    />
  );
}

interface StoryWorkspaceProps {
  storyId: string;
  user: User;
  /** `null` while unknown (server unreachable): the text is read-only until it is known. */
  role: Role | null;
  onSessionEnded(): void;
  /** Called when the body room connects (to retry what failed while offline). */
  onConnected(): void;
  /** Called when the server refuses a change made here (to check the person's role again). */
  onRefused(): void;
}

/**
 * Holds the story's rooms across refused changes: a refused room is replaced by a fresh one, and
 * everything bound to the old one (editor, headline, claims) is built again around the new session.
 */
function StoryWorkspace({ storyId, user, role, onSessionEnded, onConnected, onRefused }: StoryWorkspaceProps) {
  const { session, generation, refusal, readOnly, dismissRefusal } = useStorySession(storyId, user, onRefused);
  return (
    <SessionWorkspace
      key={generation}
      session={session}
      user={user}
      role={role}
      textLocked={readOnly.has('body')}
      refusal={refusal}
      onDismissRefusal={dismissRefusal}
      onSessionEnded={onSessionEnded}
      onConnected={onConnected}
    />
  );
}

interface SessionWorkspaceProps {
  session: StorySession;
  user: User;
  role: Role | null;
  /** The text may not be edited whatever the role says (refused for this role, or being reloaded). */
  textLocked: boolean;
  refusal: RefusalNotice | null;
  onDismissRefusal(): void;
  onSessionEnded(): void;
  onConnected(): void;
}

function SessionWorkspace({
  session,
  user,
  role,
  textLocked,
  refusal,
  onDismissRefusal,
  onSessionEnded,
  onConnected,
}: SessionWorkspaceProps) {
  const { storyId } = session;
  const status = useRoomStatus(session.body);
  const storyStatus = useStoryStatus(session);
  const people = usePeople(session.body, user.id);
  const newsroom = useUsers();
  const mount = useRef<HTMLDivElement>(null);
  const [editor, setEditor] = useState<{ view: ProseMirrorView; state: EditorState } | null>(null);
  const [linkEditorOpen, setLinkEditorOpen] = useState(false);
  const [title, setTitle] = useState('');

  const closed = status.closed;
  // Any room of the story closed for good (the body's reason first) is explained in the banner.
  const storyClosed = storyStatus.closed;
  // Removed from the story (or it is gone): the role this page knew no longer applies.
  const shutOut = storyClosed !== null && storyClosed.remedy === 'none';
  // After a permanent close the text stays editable only when the fix is to log in again or
  // reload: those edits are kept in IndexedDB and sent once the room is open again.
  const editable = role !== null && canEditBody(role) && !textLocked && (closed === null || closed.remedy !== 'none');
  const editableRef = useRef(editable);
  editableRef.current = editable;
  // Bind the editor only to a document that has content (the local copy or the server's), never
  // to an empty one that the first sync then fills in beside an empty paragraph.
  const ready = status.localCopy !== 'loading' && (status.everSynced || session.yBody.length > 0);

  useEffect(() => {
    const element = mount.current;
    if (!ready || element === null) return;
    const view = createStoryEditor({
      mount: element,
      session,
      isEditable: () => editableRef.current,
      editLink: () => setLinkEditorOpen(true),
      onStateChange: (changed) => setEditor({ view: changed, state: changed.state }),
    });
    setEditor({ view, state: view.state });
    return () => {
      view.destroy();
      setEditor(null);
    };
  }, [ready, session]);

  useEffect(() => {
    // Re-reads `isEditable` (role known, or room closed).
    editor?.view.setProps({});
  }, [editable, editor?.view]);

  // Declared after the editor's effect so that, on leaving the page (or on a reload after a refused
  // change), the editor lets go of the document (and of its cursor in the awareness) before the
  // rooms are closed.
  useEffect(() => () => session.destroy(), [session]);

  useEffect(() => {
    // Changes neither confirmed by the server nor stored in the local copy (IndexedDB unavailable,
    // or still being written) live only in this page: ask before it is closed or reloaded.
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      const { status } = session.body;
      if (session.body.hasUnsavedChanges && !status.localCopyUpToDate) event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    // The same question before a link inside the app (another story, the story list) is followed.
    // While connected, what is unconfirmed is already on its way (the socket sends it before it
    // closes), so only changes made offline without a local copy are at risk.
    const removeGuard = guardLeaving(() => {
      const atRisk = [session.body, session.notes].some(
        (room) => room.hasUnsavedChanges && !room.status.localCopyUpToDate && room.status.connection !== 'connected',
      );
      return atRisk
        ? 'Some of your changes to this story have not reached the server, and this browser could not keep a local copy of them. Leave anyway and lose them?'
        : null;
    });
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      removeGuard();
    };
  }, [session]);

  useEffect(() => {
    if (status.connection === 'connected') onConnected();
  }, [status.connection, onConnected]);

  useEffect(() => {
    document.title = `${title.trim() || 'Untitled story'} — Sourcedesk`;
  }, [title]);

  const focusText = useCallback(() => {
    editor?.view.focus();
  }, [editor?.view]);

  const [announcement, setAnnouncement] = useState('');
  // A trailing no-break space alternates so that the same words twice are announced twice.
  const announce = useCallback(
    (message: string) => setAnnouncement((previous) => (previous === message ? `${message}\u00a0` : message)),
    [],
  );
  const claimCreation = useCreateClaim(storyId, editor?.view ?? null, session.yBody, announce);
  const createClaim = claimCreation.create;
  const panel = useRef<HTMLElement>(null);
  const mayEditNotes = role !== null && canEditNotes(role);
  const workflow = useWorkflow({ session, user, role: shutOut ? null : role, editorView: editor?.view ?? null });
  // Changes since an approval, or an earlier version, shown read-only in the editor's place.
  const reviewing = workflow.review !== null;

  useEffect(() => {
    const view = editor?.view;
    if (view === undefined) return;
    // On the window, not in the editor's keymap: a read-only text (fact-checkers) never has the
    // keyboard focus, and the panel's own controls should answer the same keys.
    const focusPanel = keydownHandler({
      [Shortcut.focusClaims]: () => {
        const root = panel.current;
        const target =
          root?.querySelector<HTMLElement>('[data-panel-focus="true"]') ?? root?.querySelector<HTMLElement>('h2');
        target?.focus();
        return target != null;
      },
    });
    const makeClaim = keydownHandler({
      [Shortcut.createClaim]: () => {
        if (!mayEditNotes) return false;
        void createClaim();
        return true;
      },
    });
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      // In the headline or a form field the claim shortcut would act on a selection the person is
      // not looking at; moving to the panel works from anywhere.
      const inField = event.target instanceof Element && event.target.closest('input, textarea, select') !== null;
      if (focusPanel(view, event) || (!inField && makeClaim(view, event))) event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [editor?.view, createClaim, mayEditNotes]);

  return (
    <div class="workspace">
      <StoriesPane
        user={user}
        storyId={storyId}
        liveTitle={ready ? title : null}
        liveState={workflow.known ? workflow.desk.state : null}
        liveChangedSinceApproval={workflow.changedSinceApproval}
        editorView={editor?.view ?? null}
        paused={workflow.dialogOpen}
      />
      <main class="editor-page" aria-label="Story editor">
        {refusal !== null && <RefusalBanner notice={refusal} role={role} onDismiss={onDismissRefusal} />}
        {storyClosed !== null && (
          <div class="banner banner-error" role="alert">
            <p>{storyClosed.message}</p>
            {storyClosed.remedy === 'login' && (
              <button type="button" class="button button-primary" onClick={onSessionEnded}>
                Log in again
              </button>
            )}
            {storyClosed.remedy === 'reload' && (
              <button type="button" class="button" onClick={() => location.reload()}>
                Reload
              </button>
            )}
            {storyClosed.remedy === 'none' && (
              <a class="button" href="/" onClick={(event) => followLink(event, '/')}>
                Back to your stories
              </a>
            )}
          </div>
        )}
        {!shutOut && role !== null && !canEditBody(role) && (
          <p class="banner banner-info">
            You're a {roleLabel(role).toLowerCase()} on this story:{' '}
            {canEditNotes(role)
              ? 'you can add claims, sources and notes, but not change its text.'
              : 'you can read it and its claims and see who is working on it, but not change anything.'}
          </p>
        )}
        {!shutOut && role === null && (
          <p class="banner banner-info">
            Can't reach the server to check your role on this story. Editing turns on once the connection is back.
          </p>
        )}
        {!shutOut && <WorkflowStrip workflow={workflow} people={newsroom} />}
        {workflow.review !== null && <ReviewView workflow={workflow} target={workflow.review} people={newsroom} />}
        {editable && editor !== null && (
          <div class="toolbar-row" hidden={reviewing}>
            <Toolbar view={editor.view} state={editor.state} onEditLink={() => setLinkEditorOpen(true)} />
            {linkEditorOpen && <LinkEditor view={editor.view} onClose={() => setLinkEditorOpen(false)} />}
          </div>
        )}
        <div class="story-actions" hidden={reviewing}>
          <DownloadMenu storyId={storyId} />
        </div>
        <article class="story-sheet" aria-busy={ready ? 'false' : 'true'} hidden={reviewing}>
          <TitleField yMeta={session.yMeta} readOnly={!editable} onLeave={focusText} onTitle={setTitle} />
          {!ready && <StoryLoading connection={status.connection} localCopy={status.localCopy} />}
          <div ref={mount} class="story-body" />
        </article>
      </main>
      <ClaimsPanel
        storyId={storyId}
        role={role}
        editor={editor}
        yNotes={session.yNotes}
        people={newsroom}
        onCreateClaim={(range) => void createClaim(range)}
        creating={claimCreation.busy}
        createError={claimCreation.error}
        announcement={announcement}
        announce={announce}
        panelRef={panel}
      />
      {!shutOut && <WorkflowLayer workflow={workflow} people={newsroom} />}
      <StatusBar
        status={storyStatus}
        people={people}
        role={shutOut ? null : role}
        workflow={shutOut ? null : <WorkflowStatus workflow={workflow} people={newsroom} />}
      />
    </div>
  );
}

function StoryLoading({ connection, localCopy }: { connection: ConnectionState; localCopy: LocalCopyState }) {
  const offline = connection === 'offline' || connection === 'reconnecting' || connection === 'closed';
  if (offline && localCopy !== 'loading') {
    return (
      <p class="story-loading">
        This story hasn't been opened on this device before, so there is no copy to show offline. It appears here as
        soon as the connection is back.
      </p>
    );
  }
  return <p class="story-loading muted">Loading the story…</p>;
}
