/**
 * The person's stories, most recently changed first, and "New story". Keyboard: arrow keys (and
 * Home/End) move through the list, Enter opens a story, N starts a new one, I imports one.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { StorySummary } from '../../../shared/api.ts';
import { NewStoryForm, useRovingList, useStoryList } from '../components/storyListParts.tsx';
import { ImportStoryButton, ImportStoryPanel } from '../importExport/ImportStory.tsx';
import { roleLabel } from '../roles.ts';
import { followLink, storyPath } from '../router.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import { WorkflowBadge } from '../workflow/WorkflowBadge.tsx';

export function StoryListView() {
  const list = useStoryList();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const openImport = useCallback(() => setImporting(true), []);

  useEffect(() => {
    document.title = 'Stories — Sourcedesk';
  }, []);

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
      {importing && <ImportStoryPanel onClose={() => setImporting(false)} onImported={list.reload} />}
      {list.error !== null ? (
        <div class="notice notice-error" role="alert">
          <p>{list.error}</p>
          <button type="button" class="button" onClick={list.reload}>
            Try again
          </button>
        </div>
      ) : list.stories === null ? (
        list.loading && <p class="muted">Loading your stories…</p>
      ) : list.stories.length === 0 ? (
        <div class="empty-state">
          <p>No stories yet.</p>
          <p class="muted">Start one with “New story”, or ask an editor to add you to theirs.</p>
        </div>
      ) : (
        <StoryList stories={list.stories} />
      )}
    </main>
  );
}

function StoryList({ stories }: { stories: StorySummary[] }) {
  const roving = useRovingList(stories.map((story) => story.id));

  return (
    <ul class="story-list" aria-labelledby="stories-heading" onKeyDown={roving.onKeyDown}>
      {stories.map((story) => {
        const path = storyPath(story.id);
        return (
          <li key={story.id}>
            <a
              {...roving.itemProps(story.id)}
              class="story-row"
              href={path}
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
