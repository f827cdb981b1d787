/**
 * What the story list page and the editor's stories pane share: the person's stories
 * (`GET /api/stories`), the "New story" form, and arrow keys in a list of story links (one Tab stop;
 * arrow keys, Home and End move; Enter follows the link).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { StorySummary } from '../../../shared/api.ts';
import { META_LIMITS } from '../../../shared/documentLayout.ts';
import { ApiError, api } from '../api.ts';
import { navigate, storyPath } from '../router.ts';

export function storyListError(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong loading your stories.';
}

export interface StoryListState {
  /** The latest list loaded (kept while a refresh is under way or has failed); `null` before the first. */
  stories: StorySummary[] | null;
  /** The last load failed: why, in words (cleared when a load starts). */
  error: string | null;
  loading: boolean;
}

// The last list each person loaded in this tab, so that a page mounted again (another story opened
// from the stories pane) shows it at once while it asks for a fresh one.
const lastLists = new Map<string, StorySummary[]>();

/**
 * The person's stories, most recently changed first; `reload` asks again. With `cacheKey` (the
 * user's id) the list loaded last under that key is shown until the fresh one arrives.
 */
export function useStoryList(cacheKey?: string): StoryListState & { reload(): void } {
  const [state, setState] = useState<StoryListState>(() => ({
    stories: (cacheKey === undefined ? undefined : lastLists.get(cacheKey)) ?? null,
    error: null,
    loading: true,
  }));
  const [count, setCount] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setState((previous) =>
      previous.loading && previous.error === null ? previous : { ...previous, error: null, loading: true },
    );
    api.listStories().then(
      (stories) => {
        if (cancelled) return;
        if (cacheKey !== undefined) lastLists.set(cacheKey, stories);
        setState({ stories, error: null, loading: false });
      },
      (error: unknown) => {
        if (!cancelled) setState((previous) => ({ ...previous, error: storyListError(error), loading: false }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [count, cacheKey]);

  const reload = useCallback(() => setCount((value) => value + 1), []);
  return { ...state, reload };
}

export interface RovingList {
  /** The id of the item that holds the list's one Tab stop. */
  activeId: string | undefined;
  onKeyDown(event: KeyboardEvent): void;
  /** Props for the focusable element of item `id`. */
  itemProps(id: string): {
    ref(element: HTMLElement | null): void;
    tabIndex: number;
    onFocus(): void;
  };
  /** Moves the focus to the item holding the Tab stop; false when there is none on screen. */
  focusActive(): boolean;
}

/**
 * A list whose items are one Tab stop ("roving tabindex"), kept by id so that a refreshed (re-ordered)
 * list keeps the same item. `preferred` holds the Tab stop until the person moves (the open story).
 */
export function useRovingList(ids: readonly string[], preferred?: string): RovingList {
  const [chosen, setChosen] = useState<string | null>(null);
  const items = useRef(new Map<string, HTMLElement>());
  const activeId =
    chosen !== null && ids.includes(chosen)
      ? chosen
      : preferred !== undefined && ids.includes(preferred)
        ? preferred
        : ids[0];

  const focusId = (id: string) => {
    setChosen(id);
    items.current.get(id)?.focus();
  };

  return {
    activeId,
    onKeyDown(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || ids.length === 0) return;
      const at = activeId === undefined ? 0 : Math.max(ids.indexOf(activeId), 0);
      let next: number | null = null;
      if (event.key === 'ArrowDown') next = Math.min(at + 1, ids.length - 1);
      else if (event.key === 'ArrowUp') next = Math.max(at - 1, 0);
      else if (event.key === 'Home') next = 0;
      else if (event.key === 'End') next = ids.length - 1;
      const id = next === null ? undefined : ids[next];
      if (id === undefined) return;
      event.preventDefault();
      focusId(id);
    },
    itemProps(id) {
      return {
        ref(element) {
          if (element === null) items.current.delete(id);
          else items.current.set(id, element);
        },
        tabIndex: id === activeId ? 0 : -1,
        onFocus: () => setChosen(id),
      };
    },
    focusActive() {
      const element = activeId === undefined ? undefined : items.current.get(activeId);
      element?.focus();
      return element !== undefined;
    },
  };
}

export interface NewStoryFormProps {
  onCancel(): void;
  /** Prefix of the form's element ids (two forms may never share them). */
  idPrefix?: string;
  class?: string;
}

/** "New story": a working headline, then the story is created and opened. Escape cancels. */
export function NewStoryForm({ onCancel, idPrefix = 'new-story', class: className }: NewStoryFormProps) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = `${idPrefix}-title`;
  const errorId = `${idPrefix}-error`;

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
      setError(storyListError(failure));
      setPending(false);
    }
  };

  return (
    <form
      class={className === undefined ? 'new-story' : `new-story ${className}`}
      onSubmit={submit}
      aria-label="New story"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onCancel();
        }
      }}
    >
      <label for={inputId}>Working headline</label>
      <div class="new-story-row">
        <input
          id={inputId}
          ref={input}
          type="text"
          maxLength={META_LIMITS.title}
          placeholder="e.g. Council votes on harbour budget"
          value={title}
          aria-invalid={error === null ? undefined : 'true'}
          aria-describedby={error === null ? undefined : errorId}
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
        <p id={errorId} class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
