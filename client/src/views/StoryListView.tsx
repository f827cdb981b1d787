/**
 * The person's stories, most recently changed first, and "New story". Keyboard: arrow keys (and
 * Home/End) move through the list, Enter opens a story, N starts a new one, I imports one.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { StorySummary } from '../../../shared/api.ts';
import { META_LIMITS } from '../../../shared/documentLayout.ts';
import { ApiError, api } from '../api.ts';
import { ImportStoryButton, ImportStoryPanel } from '../importExport/ImportStory.tsx';
import { roleLabel } from '../roles.ts';
import { followLink, navigate, storyPath } from '../router.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import { WorkflowBadge } from '../workflow/WorkflowBadge.tsx';

type ListState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; stories: StorySummary[] };

function errorMessage(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong loading your stories.';
}

export function StoryListView() {
  const [list, setList] = useState<ListState>({ status: 'loading' });
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const openImport = useCallback(() => setImporting(true), []);
  const [reloadCount, setReloadCount] = useState(0);

  useEffect(() => {
    document.title = 'Stories — Sourcedesk';
  }, []);

  useEffect(() => {
    let cancelled = false;
    setList((previous) => (previous.status === 'ready' ? previous : { status: 'loading' }));
    api.listStories().then(
      (stories) => {
        if (!cancelled) setList({ status: 'ready', stories });
      },
      (error: unknown) => {
        if (!cancelled) setList({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [reloadCount]);

  useEffect(() => {
    // "N" starts a new story, unless the person is typing somewhere.
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'n' || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target?.closest('input, textarea, [contenteditable="true"]')) return;
      event.preventDefault();
      setCreating(true);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <main class="list-page" aria-labelledby="stories-heading">
      <div class="list-header">
        <h1 id="stories-heading">Your stories</h1>
        <div class="list-actions">
          {!creating && (
            <button
              type="button"
              class="button button-primary"
              title="New story (N)"
              aria-keyshortcuts="N"
              onClick={() => setCreating(true)}
            >
              New story
            </button>
          )}
          {!importing && <ImportStoryButton onOpen={openImport} />}
        </div>
      </div>
      {creating && <NewStoryForm onCancel={() => setCreating(false)} />}
      {importing && (
        <ImportStoryPanel onClose={() => setImporting(false)} onImported={() => setReloadCount((count) => count + 1)} />
      )}
      {list.status === 'loading' && <p class="muted">Loading your stories…</p>}
      {list.status === 'error' && (
        <div class="notice notice-error" role="alert">
          <p>{list.message}</p>
          <button type="button" class="button" onClick={() => setReloadCount((count) => count + 1)}>
            Try again
          </button>
        </div>
      )}
      {list.status === 'ready' &&
        (list.stories.length === 0 ? (
          <div class="empty-state">
            <p>No stories yet.</p>
            <p class="muted">Start one with “New story”, or ask an editor to add you to theirs.</p>
          </div>
        ) : (
          <StoryList stories={list.stories} />
        ))}
    </main>
  );
}

function NewStoryForm({ onCancel }: { onCancel(): void }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = title.trim();
    if (trimmed === '') {
      setError('Give the story a working headline.');
      input.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      const story = await api.createStory({ title: trimmed });
      navigate(storyPath(story.id));
    } catch (failure) {
      setError(errorMessage(failure));
      setPending(false);
    }
  };

  return (
    <form
      class="new-story"
      onSubmit={submit}
      aria-label="New story"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <label for="new-story-title">Working headline</label>
      <div class="new-story-row">
        <input
          id="new-story-title"
          ref={input}
          type="text"
          maxLength={META_LIMITS.title}
          placeholder="e.g. Council votes on harbour budget"
          value={title}
          aria-invalid={error === null ? undefined : 'true'}
          aria-describedby={error === null ? undefined : 'new-story-error'}
          onInput={(event) => {
            setTitle(event.currentTarget.value);
            setError(null);
          }}
        />
        <button type="submit" class="button button-primary" disabled={pending}>
          {pending ? 'Creating…' : 'Create and open'}
        </button>
        <button type="button" class="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error !== null && (
        <p id="new-story-error" class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function StoryList({ stories }: { stories: StorySummary[] }) {
  const [active, setActive] = useState(0);
  const rows = useRef<(HTMLAnchorElement | null)[]>([]);
  const activeIndex = Math.min(active, stories.length - 1);

  const focusRow = (index: number) => {
    setActive(index);
    rows.current[index]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = Math.min(activeIndex + 1, stories.length - 1);
    else if (event.key === 'ArrowUp') next = Math.max(activeIndex - 1, 0);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = stories.length - 1;
    if (next === null) return;
    event.preventDefault();
    focusRow(next);
  };

  return (
    <ul class="story-list" aria-labelledby="stories-heading" onKeyDown={onKeyDown}>
      {stories.map((story, index) => {
        const path = storyPath(story.id);
        return (
          <li key={story.id}>
            <a
              ref={(element) => {
                rows.current[index] = element;
              }}
              class="story-row"
              href={path}
              tabIndex={index === activeIndex ? 0 : -1}
              onFocus={() => setActive(index)}
              onClick={(event) => followLink(event, path)}
            >
              <span class="story-row-title">{story.title || 'Untitled story'}</span>
              <span class="story-row-meta">
                <span class={`badge badge-role badge-${story.role}`}>{roleLabel(story.role)}</span>
                <WorkflowBadge state={story.workflowState} changed={story.changedSinceApproval} />
                <time dateTime={story.updatedAt} title={formatExactTime(story.updatedAt)}>
                  Updated {formatRelativeTime(story.updatedAt)}
                </time>
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}
