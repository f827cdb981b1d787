/**
 * One source as a fact-checker reads it: title (a link only when the address is http or https, and
 * opened without giving the other site a handle on this page), outlet, kind, when it was accessed,
 * the quoted passage and the archived copy.
 */
import type { ComponentChildren } from 'preact';
import { HttpUrl, SOURCE_KIND_LABELS, type SourceRecord } from '../../../../shared/claims.ts';
import { formatExactTime } from '../../time.ts';

/** A link to `url` if it is a safe web address, else the text alone. */
export function SafeLink({ url, children }: { url: string; children: ComponentChildren }) {
  if (!HttpUrl.safeParse(url).success) return <span>{children}</span>;
  return (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {children}
    </a>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

const accessedFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export interface SourceCardProps {
  source: SourceRecord;
  /** Shown at the card's end (e.g. a "Remove" button). */
  actions?: ComponentChildren;
}

export function SourceCard({ source, actions }: SourceCardProps) {
  const accessed = Date.parse(source.accessedAt);
  return (
    <article class="source-card" aria-label={`Source: ${source.title || hostOf(source.url)}`}>
      <p class="source-title">
        <SafeLink url={source.url}>{source.title || hostOf(source.url)}</SafeLink>
      </p>
      <p class="source-meta">
        {[source.outlet || hostOf(source.url), SOURCE_KIND_LABELS[source.kind]].join(' · ')}
        {!Number.isNaN(accessed) && (
          <>
            {' · '}
            <span title={formatExactTime(source.accessedAt)}>accessed {accessedFormat.format(accessed)}</span>
          </>
        )}
      </p>
      {source.passage.trim() !== '' && <blockquote class="source-passage">{source.passage}</blockquote>}
      {(source.archiveUrl !== null || actions) && (
        <p class="source-actions">
          {source.archiveUrl !== null && <SafeLink url={source.archiveUrl}>Archived copy</SafeLink>}
          {actions}
        </p>
      )}
    </article>
  );
}
