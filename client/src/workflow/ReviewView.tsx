/**
 * The read-only view that takes the editor's place: what changed since the approval (or since any
 * version), inline, each insertion and deletion in its author's colour; or a version as it was,
 * with "Compare with now" and "Restore". "Back to editing" and Escape close it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { DOMSerializer, Node as ProseMirrorNode } from 'prosemirror-model';
import { YName } from '../../../shared/documentLayout.ts';
import { readMetaField } from '../../../shared/metaText.ts';
import { canEditBody } from '../../../shared/permissions.ts';
import { storySchema } from '../../../shared/schema.ts';
import type { DiffAnswer, VersionSummary } from '../../../shared/workflow.ts';
import { describeError } from '../hooks/useApiAction.ts';
import { type People, personName } from '../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import { authorOf, Block, Runs } from './DiffText.tsx';
import {
  changeCountText,
  claimChangeText,
  claimStatusLabel,
  joinNames,
  metaFieldLabel,
  versionLabel,
} from './labels.ts';
import type { ReviewTarget, WorkflowController } from './useWorkflow.ts';
import { type VersionContent, workflowApi } from './workflowApi.ts';

export interface ReviewViewProps {
  workflow: WorkflowController;
  target: ReviewTarget;
  people: People;
}

/** After an edit, the diff is asked for again once the edits pause this long. */
const REFRESH_MS = 800;

export function ReviewView({ workflow, target, people }: ReviewViewProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { closeReview, dialogOpen } = workflow;
  const targetKey = target.kind === 'changes' ? `changes:${target.since}` : `version:${target.versionId}`;

  useEffect(() => {
    heading.current?.focus();
    window.scrollTo(0, 0);
  }, [targetKey]);

  useEffect(() => {
    // Escape closes it wherever the focus is (unless something inside, a dialog say, used it).
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || event.defaultPrevented || dialogOpen) return;
      event.preventDefault();
      closeReview();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [closeReview, dialogOpen]);

  return (
    <section class="review" aria-labelledby="review-title" data-testid="review-view">
      {target.kind === 'changes' ? (
        <ChangesView key={targetKey} workflow={workflow} since={target.since} people={people} heading={heading} />
      ) : (
        <VersionView
          key={targetKey}
          workflow={workflow}
          versionId={target.versionId}
          people={people}
          heading={heading}
        />
      )}
    </section>
  );
}

interface HeaderProps {
  heading: { current: HTMLHeadingElement | null };
  /** What is shown, above the title: "Changes" or "Earlier version". */
  kicker: string;
  title: string;
  children?: ComponentChildren;
  actions?: ComponentChildren;
  onClose(): void;
}

function ReviewHeader({ heading, kicker, title, children, actions, onClose }: HeaderProps) {
  return (
    <header class="review-header">
      <div class="review-heading">
        <p class="review-kicker">{kicker} · read only</p>
        <h2 id="review-title" ref={heading} tabIndex={-1}>
          {title}
        </h2>
        {children}
      </div>
      <div class="review-actions">
        {actions}
        <button type="button" class="button button-primary" aria-keyshortcuts="Escape" onClick={onClose}>
          Back to editing <kbd>Esc</kbd>
        </button>
      </div>
    </header>
  );
}

type Loaded<T> = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; value: T };

function ChangesView({
  workflow,
  since,
  people,
  heading,
}: {
  workflow: WorkflowController;
  since: string;
  people: People;
  heading: HeaderProps['heading'];
}) {
  const { storyId, session, user, desk } = workflow;
  const [diff, setDiff] = useState<Loaded<DiffAnswer>>({ status: 'loading' });
  const [stamp, setStamp] = useState(0);
  const text = useRef<HTMLDivElement>(null);
  const [current, setCurrent] = useState(-1);

  // Asked for again when the text, the claims or the desk change (debounced while people type).
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const later = () => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(() => setStamp((count) => count + 1), REFRESH_MS);
    };
    const docs = [session.body.yDoc, session.notes.yDoc];
    for (const doc of docs) doc.on('update', later);
    return () => {
      if (timer !== null) clearTimeout(timer);
      for (const doc of docs) doc.off('update', later);
    };
  }, [session]);
  const approvalId = desk.approval?.versionId ?? null;

  useEffect(() => {
    let cancelled = false;
    workflowApi.diff(storyId, since).then(
      (answer) => {
        if (!cancelled) setDiff({ status: 'ready', value: answer });
      },
      (error: unknown) => {
        if (!cancelled)
          setDiff((shown) => (shown.status === 'ready' ? shown : { status: 'error', message: describeError(error) }));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [storyId, since, stamp, approvalId]);

  const value = diff.status === 'ready' ? diff.value : null;
  const authors = useMemo(() => {
    if (value === null) return [];
    const counts = new Map<string, { name: string; color: string; inserted: number; deleted: number }>();
    for (const run of [...Object.values(value.meta).flat(), ...value.changes]) {
      if (run.kind === 'same') continue;
      const key = run.by ?? '';
      const entry = counts.get(key) ?? { ...authorOf(run, value.people), inserted: 0, deleted: 0 };
      entry[run.kind] += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }, [value]);

  const sinceVersion = value?.since ?? null;
  const nameOf = (id: string) => (id === user.id ? 'you' : (value?.people[id]?.name ?? personName(people, id)));
  // Before the answer arrives, the desk already says whose approval it is.
  const approver =
    since === 'approval'
      ? (desk.approval?.by ?? null)
      : sinceVersion?.kind === 'approval'
        ? sinceVersion.createdBy
        : null;
  const title =
    since === 'approval' || sinceVersion?.kind === 'approval'
      ? approver === user.id
        ? 'Changes since your approval'
        : `Changes since the approval${approver === null ? '' : ` by ${nameOf(approver)}`}`
      : sinceVersion === null
        ? 'Changes'
        : `Changes since “${versionLabel(sinceVersion)}”`;

  const move = (step: number) => {
    const runs = [...(text.current?.querySelectorAll<HTMLElement>('ins.diff-run, del.diff-run') ?? [])];
    if (runs.length === 0) return;
    const next = (((current + step) % runs.length) + runs.length) % runs.length;
    for (const run of runs) run.classList.remove('is-current');
    const run = runs[next];
    run?.classList.add('is-current');
    run?.scrollIntoView({ block: 'center' });
    setCurrent(next);
  };

  const title1 = value?.meta.title;
  const liveTitle = readMetaField(session.body.yDoc.getMap(YName.meta), 'title');
  const changeCount =
    value === null
      ? 0
      : value.changes.length +
        Object.values(value.meta)
          .flat()
          .filter((run) => run.kind !== 'same').length;

  return (
    <>
      <ReviewHeader
        heading={heading}
        kicker="Changes"
        title={title}
        onClose={workflow.closeReview}
        actions={
          changeCount > 0 && (
            <>
              <button type="button" class="button button-small" onClick={() => move(-1)}>
                ↑ Previous change
              </button>
              <button type="button" class="button button-small" onClick={() => move(1)}>
                ↓ Next change
              </button>
            </>
          )
        }
      >
        {sinceVersion !== null && value !== null && (
          <p class="review-sub">
            {versionLabel(sinceVersion)}
            {sinceVersion.createdBy !== null && ` by ${nameOf(sinceVersion.createdBy)}`}{' '}
            <time dateTime={sinceVersion.createdAt} title={formatExactTime(sinceVersion.createdAt)}>
              {formatRelativeTime(sinceVersion.createdAt)}
            </time>
            {' · '}
            {changeCountText(value)}
            {authors.length > 0 && ` by ${joinNames(authors.map((author) => author.name))}`}
          </p>
        )}
      </ReviewHeader>
      {diff.status === 'loading' && <p class="muted review-loading">Loading the changes…</p>}
      {diff.status === 'error' && (
        <p class="banner banner-error" role="alert">
          {diff.message}
        </p>
      )}
      {value !== null && (
        <>
          <ul class="diff-legend" aria-label="Who changed what">
            {authors.map((author) => (
              <li key={author.name} style={{ '--author': author.color }}>
                <span class="legend-swatch" aria-hidden="true" />
                <span class="legend-name">{author.name}</span>
                <span class="legend-counts">
                  {[
                    author.inserted > 0 ? `${author.inserted} inserted` : null,
                    author.deleted > 0 ? `${author.deleted} deleted` : null,
                  ]
                    .filter((part) => part !== null)
                    .join(', ')}
                </span>
              </li>
            ))}
            <li class="legend-key" aria-hidden="true">
              <ins class="diff-run">inserted</ins> <del class="diff-run">deleted</del>
            </li>
          </ul>
          <article class="review-sheet" aria-label="The story with its changes marked">
            <div class="diff-headline">
              {title1 !== undefined && <span class="diff-field-label">Headline changed</span>}
              <h1 class="review-title">
                {title1 !== undefined ? <Runs runs={title1} people={value.people} /> : liveTitle || 'Untitled story'}
              </h1>
            </div>
            {Object.entries(value.meta)
              .filter(([field]) => field !== 'title')
              .map(([field, runs]) => (
                <p key={field} class="diff-meta-field">
                  <span class="diff-field-label">{metaFieldLabel(field)} changed</span>{' '}
                  <Runs runs={runs} people={value.people} />
                </p>
              ))}
            <div class="story-text diff-text" ref={text}>
              {value.blocks.map((block, index) => (
                // Blocks are in document order and re-rendered whole on every refresh.
                <Block key={index} block={block} people={value.people} />
              ))}
            </div>
          </article>
          <section class="claim-changes" aria-labelledby="claim-changes-title">
            <h3 id="claim-changes-title">Claim status changes</h3>
            {value.claimChanges.length === 0 ? (
              <p class="muted">No claim changed status.</p>
            ) : (
              <ul>
                {value.claimChanges.map((change) => (
                  <li key={change.claimId} data-testid="claim-change">
                    <span class="claim-change-text">“{change.text}”</span>:{' '}
                    <span title={claimChangeText(change)}>
                      {change.from === null && 'new claim, '}
                      {change.to === null && 'deleted (was '}
                      {change.from !== null && <StatusWord status={change.from} />}
                      {change.from !== null && change.to !== null && ' → '}
                      {change.to !== null && <StatusWord status={change.to} />}
                      {change.to === null && ')'}
                    </span>
                    {change.by !== null && ` by ${nameOf(change.by)}`}
                    {change.at !== null && (
                      <>
                        {' · '}
                        <time dateTime={change.at} title={formatExactTime(change.at)}>
                          {formatRelativeTime(change.at)}
                        </time>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </>
  );
}

function StatusWord({ status }: { status: string }) {
  const look = status === 'changed-since-verified' ? 'changed' : status;
  return <span class={`status-chip status-${look}`}>{claimStatusLabel(status).toLowerCase()}</span>;
}

function VersionView({
  workflow,
  versionId,
  people,
  heading,
}: {
  workflow: WorkflowController;
  versionId: string;
  people: People;
  heading: HeaderProps['heading'];
}) {
  const { storyId, role, user } = workflow;
  const [content, setContent] = useState<Loaded<VersionContent>>({ status: 'loading' });
  const body = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let cancelled = false;
    workflowApi.version(storyId, versionId).then(
      (answer) => {
        if (!cancelled) setContent({ status: 'ready', value: answer });
      },
      (error: unknown) => {
        if (!cancelled) setContent({ status: 'error', message: describeError(error) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [storyId, versionId]);

  const value = content.status === 'ready' ? content.value : null;
  const [renderError, setRenderError] = useState<string | null>(null);
  useEffect(() => {
    const element = body.current;
    if (element === null || value === null) return;
    // The body as the editor draws it, built as DOM nodes by the schema (never parsed from a string).
    try {
      const doc = ProseMirrorNode.fromJSON(storySchema, value.doc);
      element.replaceChildren(DOMSerializer.fromSchema(storySchema).serializeFragment(doc.content, { document }));
      // A link followed from here must not take the page (and the story open in it) away.
      for (const link of element.querySelectorAll('a')) {
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
      }
      setRenderError(null);
    } catch (error) {
      element.replaceChildren();
      setRenderError(`This version can't be shown: ${String(error)}`);
    }
  }, [value]);

  const version: VersionSummary | null = value?.version ?? null;
  const mayRestore = role !== null && canEditBody(role);
  const who = (id: string | null) => (id === null ? 'automatic' : id === user.id ? 'you' : personName(people, id));

  return (
    <>
      <ReviewHeader
        heading={heading}
        kicker="Earlier version"
        title={version === null ? 'Version' : versionLabel(version)}
        onClose={workflow.closeReview}
        actions={
          version !== null && (
            <>
              <button
                type="button"
                class="button button-small"
                onClick={() => workflow.openReview({ kind: 'changes', since: version.id })}
              >
                Compare with now
              </button>
              {mayRestore && (
                <button
                  type="button"
                  class="button button-small"
                  disabled={workflow.busy === 'restore'}
                  onClick={() => workflow.askRestore(version)}
                >
                  Restore this version…
                </button>
              )}
            </>
          )
        }
      >
        {version !== null && (
          <p class="review-sub">
            The story as it was{' '}
            <time dateTime={version.createdAt} title={formatExactTime(version.createdAt)}>
              {formatExactTime(version.createdAt)}
            </time>
            {version.createdBy !== null && ` · saved by ${who(version.createdBy)}`}
            {version.authors.length > 0 && ` · edits by ${joinNames(version.authors.map((id) => who(id)))}`}
          </p>
        )}
      </ReviewHeader>
      {content.status === 'loading' && <p class="muted review-loading">Loading the version…</p>}
      {content.status === 'error' && (
        <p class="banner banner-error" role="alert">
          {content.message}
        </p>
      )}
      {renderError !== null && (
        <p class="banner banner-error" role="alert">
          {renderError}
        </p>
      )}
      <article class="review-sheet" aria-label="The story at this version" hidden={value === null}>
        {value !== null && (
          <>
            <h1 class="review-title">{value.meta.title || 'Untitled story'}</h1>
            {(value.meta.dek ?? '') !== '' && <p class="review-dek">{value.meta.dek}</p>}
            {(value.meta.byline ?? '') !== '' && <p class="review-byline">{value.meta.byline}</p>}
          </>
        )}
        <div class="story-text" ref={body} />
      </article>
    </>
  );
}
