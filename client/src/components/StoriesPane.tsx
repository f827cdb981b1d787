/**
 * The editor page's first pane (DESIGN.md: "stories list, editor, claims panel"): the person's
 * stories with their workflow state and the person's role, the open one marked (and showing its live
 * headline and state), "New story" and "All stories".
 *
 * On a wide screen (1200px and more) it sits beside the text, open unless the person hid it (kept in
 * localStorage). On a narrower one it starts hidden, as a rail with a "Stories" button, and opens
 * over the text without narrowing it; Escape, a click outside or opening a story closes it again.
 *
 * Keyboard: Ctrl+Alt+S (Ctrl+Option+S on a Mac) moves to the open story's row (opening the pane when
 * it is hidden), and pressed there goes back to the text; the list is one Tab stop, arrow keys
 * (Home, End) move, Enter opens a story, Escape goes back to the text. After a story is opened from
 * here, its row in the new page has the focus again.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import type { StorySummary, User, WorkflowState } from '../../../shared/api.ts';
import { ariaKeyShortcut, Shortcut, shortcutLabel } from '../editor/shortcuts.ts';
import { roleLabel } from '../roles.ts';
import { followLink, storyPath } from '../router.ts';
import { matchesShortcut } from '../workflow/desk.ts';
import { WorkflowBadge } from '../workflow/WorkflowBadge.tsx';
import { NewStoryForm, useRovingList, useStoryList } from './storyListParts.tsx';

/** From this width the pane sits beside the text; below it, it opens over the text. */
export const STORIES_PANE_WIDE = '(min-width: 1200px)';
/** localStorage key of the wide screen's choice: `open` or `collapsed`. */
export const STORIES_PANE_STORAGE_KEY = 'sourcedesk:stories-pane';

export interface StoriesPaneProps {
  user: User;
  /** The story open in the editor. */
  storyId: string;
  /** Its headline as it is now in the editor (`null` until the text has loaded). */
  liveTitle: string | null;
  /** Its workflow state live from the desk room (`null` until known). */
  liveState: WorkflowState | null;
  liveChangedSinceApproval: boolean;
  /** The story text, to give it the focus back (Escape). */
  editorView: ProseMirrorView | null;
  /** A dialog is open: the shortcut waits. */
  paused: boolean;
}

function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const media = window.matchMedia(query);
    const update = () => setMatches(media.matches);
    update();
    media.addEventListener('change', update);
    return () => media.removeEventListener('change', update);
  }, [query]);
  return matches;
}

function readDockedChoice(): boolean {
  try {
    return localStorage.getItem(STORIES_PANE_STORAGE_KEY) !== 'collapsed';
  } catch {
    return true;
  }
}

function writeDockedChoice(open: boolean): void {
  try {
    localStorage.setItem(STORIES_PANE_STORAGE_KEY, open ? 'open' : 'collapsed');
  } catch {
    // Storage refused (a private window): the choice holds for this page only.
  }
}

// Set when a story is opened from the pane; the pane of the page that opens takes the focus.
let focusAfterOpening = false;

export function StoriesPane({
  user,
  storyId,
  liveTitle,
  liveState,
  liveChangedSinceApproval,
  editorView,
  paused,
}: StoriesPaneProps) {
  const wide = useMediaQuery(STORIES_PANE_WIDE);
  const [dockedOpen, setDockedOpen] = useState(readDockedChoice);
  const [overlayOpen, setOverlayOpen] = useState(false);
  const open = wide ? dockedOpen : overlayOpen;
  const list = useStoryList(user.id);
  const { reload } = list;
  const stories = list.stories ?? [];
  const roving = useRovingList(
    stories.map((story) => story.id),
    storyId,
  );
  const [creating, setCreating] = useState(false);
  const root = useRef<HTMLElement>(null);
  const showButton = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // Where the focus goes once the pane has rendered: the list (or the heading while it is empty) or
  // the "Stories" button (the pane was closed).
  const pendingFocus = useRef<'list' | 'show' | null>(null);
  const [focusRequest, setFocusRequest] = useState(0);

  const requestFocus = useCallback((where: 'list' | 'show') => {
    pendingFocus.current = where;
    setFocusRequest((count) => count + 1);
  }, []);

  useEffect(() => {
    if (!focusAfterOpening) return;
    focusAfterOpening = false;
    requestFocus('list');
  }, [requestFocus]);

  // After each render that may have put the focus target on screen.
  useEffect(() => {
    const pending = pendingFocus.current;
    if (pending === null) return;
    if (!open) {
      showButton.current?.focus();
      pendingFocus.current = null;
      return;
    }
    if (pending === 'show') return;
    if (roving.focusActive()) pendingFocus.current = null;
    else if (list.stories !== null || list.error !== null) {
      heading.current?.focus();
      pendingFocus.current = null;
    }
  }, [focusRequest, open, list.stories, list.error]);

  const setOpen = useCallback(
    (next: boolean) => {
      if (next) reload();
      if (wide) {
        setDockedOpen(next);
        writeDockedChoice(next);
      } else setOverlayOpen(next);
    },
    [wide, reload],
  );

  /** Back to the story text (closing the pane when it lies over the text). */
  const leave = useCallback(() => {
    if (!wide) setOverlayOpen(false);
    if (editorView?.editable) editorView.focus();
    else if (!wide) requestFocus('show');
  }, [wide, editorView, requestFocus]);

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || paused || !matchesShortcut(event, Shortcut.focusStories)) return;
      event.preventDefault();
      const inside = root.current?.contains(document.activeElement) ?? false;
      if (open && inside) {
        leave();
        return;
      }
      if (!open) setOpen(true);
      requestFocus('list');
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [paused, open, setOpen, leave, requestFocus]);

  useEffect(() => {
    // Others may have added the person to a story, or changed one, while this page was elsewhere.
    const refresh = () => {
      if (document.visibilityState === 'visible') reload();
    };
    window.addEventListener('focus', refresh);
    window.addEventListener('online', refresh);
    document.addEventListener('visibilitychange', refresh);
    return () => {
      window.removeEventListener('focus', refresh);
      window.removeEventListener('online', refresh);
      document.removeEventListener('visibilitychange', refresh);
    };
  }, [reload]);

  useEffect(() => {
    // Over the text, the pane closes when the person clicks or moves the focus elsewhere.
    if (wide || !overlayOpen) return;
    const closeIfOutside = (event: Event) => {
      if (event.target instanceof Node && !root.current?.contains(event.target)) setOverlayOpen(false);
    };
    document.addEventListener('pointerdown', closeIfOutside);
    document.addEventListener('focusin', closeIfOutside);
    return () => {
      document.removeEventListener('pointerdown', closeIfOutside);
      document.removeEventListener('focusin', closeIfOutside);
    };
  }, [wide, overlayOpen]);

  const onPaneKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    event.preventDefault();
    leave();
  };

  const keys = shortcutLabel(Shortcut.focusStories);
  const ariaKeys = ariaKeyShortcut(Shortcut.focusStories);
  const mode = wide ? 'is-docked' : 'is-overlay';

  return (
    <nav
      ref={root}
      class={`stories-pane ${mode} ${open ? 'is-open' : 'is-collapsed'}`}
      aria-label="Your stories"
      data-testid="stories-pane"
      onKeyDown={onPaneKeyDown}
    >
      <button
        ref={showButton}
        type="button"
        class="stories-pane-show"
        hidden={open}
        aria-expanded="false"
        aria-controls="stories-pane-body"
        aria-keyshortcuts={ariaKeys}
        title={`Show your stories (${keys})`}
        onClick={() => {
          setOpen(true);
          requestFocus('list');
        }}
      >
        <span class="stories-pane-show-icon" aria-hidden="true">
          »
        </span>
        <span class="stories-pane-show-label">Stories</span>
      </button>
      <div id="stories-pane-body" class="stories-pane-body" hidden={!open}>
        <div class="stories-pane-header">
          <h2 ref={heading} tabIndex={-1} title={`Move here with ${keys}`}>
            Your stories
          </h2>
          <button
            type="button"
            class="button button-quiet button-small stories-pane-hide"
            aria-expanded="true"
            aria-controls="stories-pane-body"
            aria-label="Hide your stories"
            title={wide ? `Hide your stories (${keys} shows them again)` : 'Hide your stories (Escape)'}
            onClick={() => {
              setOpen(false);
              requestFocus('show');
            }}
          >
            <span aria-hidden="true">«</span>
          </button>
        </div>
        <div class="stories-pane-actions">
          {!creating && (
            <button type="button" class="button button-small" onClick={() => setCreating(true)}>
              + New story
            </button>
          )}
          <a class="stories-pane-all" href="/" onClick={(event) => followLink(event, '/')}>
            All stories
          </a>
        </div>
        {creating && (
          <NewStoryForm idPrefix="pane-new-story" class="new-story-compact" onCancel={() => setCreating(false)} />
        )}
        {list.error !== null && (
          <div class="stories-pane-error" role="alert">
            <p>{list.stories === null ? list.error : `Couldn't refresh the list. ${list.error}`}</p>
            <button type="button" class="link-button" onClick={reload}>
              Try again
            </button>
          </div>
        )}
        {list.stories === null && list.error === null && <p class="stories-pane-note muted">Loading your stories…</p>}
        {list.stories !== null && list.stories.length === 0 && <p class="stories-pane-note muted">No stories yet.</p>}
        {stories.length > 0 && (
          <ul class="stories-pane-list" onKeyDown={roving.onKeyDown}>
            {stories.map((story) => (
              <li key={story.id}>
                <StoryLink
                  story={story}
                  current={story.id === storyId}
                  liveTitle={liveTitle}
                  liveState={liveState}
                  liveChangedSinceApproval={liveChangedSinceApproval}
                  itemProps={roving.itemProps(story.id)}
                  onOpenCurrent={leave}
                />
              </li>
            ))}
          </ul>
        )}
      </div>
    </nav>
  );
}

interface StoryLinkProps {
  story: StorySummary;
  current: boolean;
  liveTitle: string | null;
  liveState: WorkflowState | null;
  liveChangedSinceApproval: boolean;
  itemProps: ReturnType<ReturnType<typeof useRovingList>['itemProps']>;
  /** The open story's row was chosen: back to its text. */
  onOpenCurrent(): void;
}

function StoryLink({
  story,
  current,
  liveTitle,
  liveState,
  liveChangedSinceApproval,
  itemProps,
  onOpenCurrent,
}: StoryLinkProps) {
  const path = storyPath(story.id);
  // The open story shows what the editor shows now, not what the list said when it loaded.
  const title = (current && liveTitle !== null ? liveTitle : story.title).trim();
  const state = current && liveState !== null ? liveState : story.workflowState;
  const changed = current && liveState !== null ? liveChangedSinceApproval : story.changedSinceApproval;
  return (
    <a
      {...itemProps}
      class={current ? 'stories-pane-row is-current' : 'stories-pane-row'}
      href={path}
      aria-current={current ? 'page' : undefined}
      onClick={(event) => {
        if (current) {
          if (event.button === 0 && !(event.metaKey || event.ctrlKey || event.shiftKey || event.altKey)) {
            event.preventDefault();
            onOpenCurrent();
          }
          return;
        }
        focusAfterOpening = true;
        followLink(event, path);
        if (!event.defaultPrevented) focusAfterOpening = false;
      }}
    >
      <span class="stories-pane-title">{title || 'Untitled story'}</span>
      <span class="stories-pane-meta">
        <WorkflowBadge state={state} changed={changed} />
        <span class="stories-pane-role" title={`Your role on this story: ${roleLabel(story.role).toLowerCase()}`}>
          {roleLabel(story.role)}
        </span>
      </span>
    </a>
  );
}
