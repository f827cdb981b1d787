/**
 * The story's history, over the claims panel while it is open: every version, newest first (review
 * requests, approvals, publications, autosaves after a pause, named versions, restores), who made it
 * and whose edits it holds. Reporters and editors name the story as it is now. Each version opens
 * read-only, compares with now, or (reporters, editors) is restored after a confirmation.
 * Keyboard: the list is one Tab stop, arrow keys move between versions, Tab reaches the open
 * version's buttons, Escape closes the panel.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { canEditBody } from '../../../shared/permissions.ts';
import { VersionName, type VersionSummary } from '../../../shared/workflow.ts';
import { ariaKeyShortcut, Shortcut, shortcutLabel } from '../editor/shortcuts.ts';
import { describeError } from '../hooks/useApiAction.ts';
import { type People, personName } from '../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import { joinNames, versionDetail, versionLabel } from './labels.ts';
import type { WorkflowController } from './useWorkflow.ts';
import { workflowApi } from './workflowApi.ts';

export interface HistoryPanelProps {
  workflow: WorkflowController;
  people: People;
}

type Versions =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; list: VersionSummary[] };

/** After edits, the list is asked for again once they pause this long (autosaves appear). */
const REFRESH_MS = 4000;

export function HistoryPanel({ workflow, people }: HistoryPanelProps) {
  const { storyId, role, user, historyStamp, review, session, closeHistory } = workflow;
  const [versions, setVersions] = useState<Versions>({ status: 'loading' });
  const [bodyStamp, setBodyStamp] = useState(0);
  const [active, setActive] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  const rows = useRef<(HTMLButtonElement | null)[]>([]);
  const returnFocus = useRef<HTMLElement | null>(null);
  const mayEdit = role !== null && canEditBody(role);

  useEffect(() => {
    if (document.activeElement instanceof HTMLElement) returnFocus.current = document.activeElement;
    heading.current?.focus();
    return () => {
      const target = returnFocus.current;
      // Back to where the person was, when the focus was in the panel as it closed.
      requestAnimationFrame(() => {
        if ((document.activeElement === document.body || document.activeElement === null) && target?.isConnected)
          target.focus();
      });
    };
  }, []);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const later = () => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => setBodyStamp((count) => count + 1), REFRESH_MS);
    };
    session.body.yDoc.on('update', later);
    return () => {
      if (timer !== null) clearTimeout(timer);
      session.body.yDoc.off('update', later);
    };
  }, [session]);

  useEffect(() => {
    let cancelled = false;
    workflowApi.versions(storyId).then(
      (list) => {
        if (!cancelled) setVersions({ status: 'ready', list });
      },
      (error: unknown) => {
        if (!cancelled)
          setVersions((shown) =>
            shown.status === 'ready' ? shown : { status: 'error', message: describeError(error) },
          );
      },
    );
    return () => {
      cancelled = true;
    };
  }, [storyId, historyStamp, bodyStamp]);

  const list = versions.status === 'ready' ? versions.list : [];
  const activeIndex = Math.max(0, Math.min(active, list.length - 1));
  const who = (id: string) => (id === user.id ? 'you' : personName(people, id));
  const approvalId = workflow.desk.approval?.versionId ?? null;
  const publishedId = workflow.desk.published?.versionId ?? null;
  const shownId = review?.kind === 'version' ? review.versionId : review?.kind === 'changes' ? review.since : null;

  const onListKeyDown = (event: KeyboardEvent) => {
    let next: number | null = null;
    if (event.key === 'ArrowDown') next = Math.min(list.length - 1, activeIndex + 1);
    else if (event.key === 'ArrowUp') next = Math.max(0, activeIndex - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = list.length - 1;
    if (next === null || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    setActive(next);
    rows.current[next]?.focus();
  };

  const closeLabel = `Close the history (${shortcutLabel(Shortcut.history)} or Escape)`;

  return (
    <aside
      id="history-panel"
      class="history-panel"
      aria-labelledby="history-heading"
      data-testid="history-panel"
      onKeyDown={(event) => {
        if (event.key !== 'Escape' || event.defaultPrevented) return;
        event.preventDefault();
        closeHistory();
      }}
    >
      <header class="history-header">
        <h2 id="history-heading" tabIndex={-1}>
          History
        </h2>
        <button
          type="button"
          class="button button-small button-quiet"
          aria-label={closeLabel}
          title={closeLabel}
          aria-keyshortcuts={`${ariaKeyShortcut(Shortcut.history)} Escape`}
          onClick={closeHistory}
        >
          Close <span aria-hidden="true">✕</span>
        </button>
      </header>
      <p class="history-intro muted">
        Versions are kept when review is requested, at each approval and publication, after a pause in editing, and when
        someone names one. Opening one does not change the story.
      </p>
      {mayEdit && <NameVersionForm onSave={workflow.nameVersion} />}
      {versions.status === 'loading' && <p class="panel-empty muted">Loading the history…</p>}
      {versions.status === 'error' && (
        <p class="panel-error" role="alert">
          {versions.message}
        </p>
      )}
      {versions.status === 'ready' && list.length === 0 && (
        <p class="panel-empty">
          No versions yet. One is kept when review is requested, after a pause in editing, or when you name one.
        </p>
      )}
      {list.length > 0 && (
        <ol class="version-list" aria-label="Versions, newest first" onKeyDown={onListKeyDown}>
          {list.map((version, index) => {
            const current = index === activeIndex;
            const detail = versionDetail(version);
            const shown = version.id === shownId;
            const tab = current ? 0 : -1;
            return (
              <li
                key={version.id}
                class={`version-item version-${version.kind}${shown ? ' is-shown' : ''}`}
                aria-current={shown ? 'true' : undefined}
                data-testid="version-item"
              >
                <button
                  type="button"
                  class="version-main"
                  ref={(element) => {
                    rows.current[index] = element;
                  }}
                  tabIndex={tab}
                  onFocus={() => setActive(index)}
                  onClick={() => workflow.openReview({ kind: 'version', versionId: version.id })}
                  title="Show the story as it was at this version (read only)"
                >
                  <span class="version-top">
                    <span class="version-kind">{versionLabel(version)}</span>
                    {version.id === approvalId && <span class="version-tag">approval in force</span>}
                    {version.id === publishedId && <span class="version-tag">published</span>}
                    <time dateTime={version.createdAt} title={formatExactTime(version.createdAt)}>
                      {formatRelativeTime(version.createdAt)}
                    </time>
                  </span>
                  {detail !== null && <span class="version-detail">{detail}</span>}
                  <span class="version-meta">
                    {version.createdBy === null ? 'Automatic' : `By ${who(version.createdBy)}`}
                    {version.authors.length > 0 && ` · edits by ${joinNames(version.authors.map(who))}`}
                  </span>
                </button>
                <span class="version-actions">
                  <button
                    type="button"
                    class="link-button"
                    tabIndex={tab}
                    onFocus={() => setActive(index)}
                    onClick={() => workflow.openReview({ kind: 'version', versionId: version.id })}
                  >
                    View
                  </button>
                  <button
                    type="button"
                    class="link-button"
                    tabIndex={tab}
                    onFocus={() => setActive(index)}
                    onClick={() => workflow.openReview({ kind: 'changes', since: version.id })}
                  >
                    Compare with now
                  </button>
                  {mayEdit && (
                    <button
                      type="button"
                      class="link-button"
                      tabIndex={tab}
                      onFocus={() => setActive(index)}
                      disabled={workflow.busy === 'restore'}
                      onClick={() => workflow.askRestore(version)}
                    >
                      Restore…
                    </button>
                  )}
                </span>
              </li>
            );
          })}
        </ol>
      )}
    </aside>
  );
}

function NameVersionForm({ onSave }: { onSave(name: string): Promise<string | null> }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const parsed = VersionName.safeParse(name);
    if (!parsed.success) {
      setError(name.trim() === '' ? 'Give the version a name.' : 'Use at most 200 characters.');
      return;
    }
    setBusy(true);
    const problem = await onSave(parsed.data);
    setBusy(false);
    setError(problem);
    if (problem === null) setName('');
  };
  return (
    <form class="name-version" onSubmit={(event) => void submit(event)}>
      <label for="version-name">Name the story as it is now</label>
      <div class="inline-row">
        <input
          id="version-name"
          type="text"
          maxLength={200}
          value={name}
          placeholder="e.g. Filed to the desk"
          aria-invalid={error === null ? undefined : 'true'}
          aria-describedby={error === null ? undefined : 'version-name-error'}
          onInput={(event) => {
            setName(event.currentTarget.value);
            setError(null);
          }}
        />
        <button type="submit" class="button button-small" disabled={busy}>
          {busy ? 'Saving…' : 'Save version'}
        </button>
      </div>
      {error !== null && (
        <p id="version-name-error" class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
