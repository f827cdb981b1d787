/**
 * Tells the person that the server refused a change they made, and what it was: the reason in
 * words, what of their typing is not saved (once the saved version has loaded), and their whole
 * version to copy from. Stays until they dismiss it; nothing they typed vanishes without a word.
 */
import { useState } from 'preact/hooks';
import type { Role } from '../../../shared/api.ts';
import { canWriteRoom } from '../../../shared/permissions.ts';
import { textVersionString, type UnsavedChange } from '../collab/refusedChanges.ts';
import type { RefusalNotice } from '../hooks/useStorySession.ts';
import { roleLabel } from '../roles.ts';

export interface RefusalBannerProps {
  notice: RefusalNotice;
  /** The person's role as last checked (named in the message once it explains the refusal). */
  role: Role | null;
  onDismiss(): void;
}

/** Longest stretch of refused text quoted in the banner; the whole version is below it. */
const QUOTE_LIMIT = 240;

function quote(text: string): string {
  const chars = Array.from(text.trim());
  const shown = chars.length > QUOTE_LIMIT ? `${chars.slice(0, QUOTE_LIMIT).join('')}…` : chars.join('');
  return `“${shown}”`;
}

function describeChange(change: UnsavedChange): string {
  const where = change.where === 'headline' ? 'the headline' : 'the text';
  const added = change.added.trim().length > 0;
  const removed = change.removed.trim().length > 0;
  if (added && removed) return `In ${where}: ${quote(change.added)} in place of ${quote(change.removed)}`;
  if (added) return `Typed in ${where}: ${quote(change.added)}`;
  if (removed) return `Deleted from ${where}: ${quote(change.removed)}`;
  return `Line breaks or spaces in ${where}`;
}

function headline(notice: RefusalNotice, role: Role | null): string {
  // Nobody writes the desk from a page: a refusal there means this page's copy was out of date.
  if (notice.part === 'desk') return "This page's copy of the story's workflow state was out of date and is reloaded.";
  const body = notice.part === 'body';
  if (notice.kind === 'permission') {
    // Named only once the role on record explains the refusal (it is checked again meanwhile).
    const yourRole =
      role !== null && !canWriteRoom(role, notice.part) ? ` (your role: ${roleLabel(role).toLowerCase()})` : '';
    const what = body ? "You can't edit the text of this story" : "You can't change the claims of this story";
    return `${what}${yourRole}. Your last change was not saved.`;
  }
  const what = body ? 'the text' : 'the claims';
  const reason = notice.reason.length > 0 ? ` (${notice.reason})` : '';
  return `The server refused your last change to ${what}${reason}. It was not saved.`;
}

export function RefusalBanner({ notice, role, onDismiss }: RefusalBannerProps) {
  const [copied, setCopied] = useState(false);
  const mine = notice.mine === null ? null : textVersionString(notice.mine);
  const copy = () => {
    if (mine === null) return;
    navigator.clipboard.writeText(mine).then(
      () => setCopied(true),
      (error: unknown) => console.warn('Sourcedesk: could not copy to the clipboard', error),
    );
  };
  return (
    <section class="refusal-banner" role="alert" aria-labelledby="refusal-title" data-testid="refusal-notice">
      <div class="refusal-head">
        <p id="refusal-title" class="refusal-title">
          {headline(notice, role)}
        </p>
        {notice.stage === 'reloaded' && (
          <button type="button" class="button" onClick={onDismiss}>
            Dismiss
          </button>
        )}
        {notice.stage === 'stopped' && (
          <button type="button" class="button button-primary" onClick={() => location.reload()}>
            Reload
          </button>
        )}
      </div>
      {notice.stage === 'reloading' && <p class="refusal-detail">Loading the saved version from the server…</p>}
      {notice.stage === 'reloaded' && notice.unsaved !== null && notice.unsaved.length > 0 && (
        <>
          <p class="refusal-detail">The story now shows the saved version. Not saved:</p>
          <ul class="refusal-changes">
            {notice.unsaved.map((change) => (
              <li key={change.where} class="refusal-change">
                {describeChange(change)}
              </li>
            ))}
          </ul>
        </>
      )}
      {notice.stage === 'reloaded' && (notice.unsaved === null || notice.unsaved.length === 0) && (
        <p class="refusal-detail">The story now shows the saved version.</p>
      )}
      {notice.stage === 'stopped' && (
        <p class="refusal-detail">
          The server refused a change from this page again, so this page stopped sending changes. Copy anything you need
          from your version below, then reload the page.
        </p>
      )}
      {mine !== null && (
        <details class="refusal-version" open={notice.stage === 'stopped'}>
          <summary>Your version, as it was before it was discarded</summary>
          <textarea readOnly rows={6} aria-label="Your version of the story" value={mine} />
          <button type="button" class="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy your version'}
          </button>
        </details>
      )}
    </section>
  );
}
