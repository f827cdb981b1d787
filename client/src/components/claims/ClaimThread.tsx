/** A claim's discussion: the messages in order, and a box to add one (Ctrl+Enter sends). */
import { useState } from 'preact/hooks';
import { CLAIM_LIMITS, type ThreadMessage } from '../../../../shared/claims.ts';
import { api } from '../../api.ts';
import { shortcutLabel } from '../../editor/shortcuts.ts';
import { useApiAction } from '../../hooks/useApiAction.ts';
import { type People, personName } from '../../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../../time.ts';

export interface ClaimThreadProps {
  storyId: string;
  claimId: string;
  messages: ThreadMessage[];
  people: People;
  canPost: boolean;
  announce(message: string): void;
}

export function ClaimThread({ storyId, claimId, messages, people, canPost, announce }: ClaimThreadProps) {
  const [text, setText] = useState('');
  const action = useApiAction();
  const headingId = `claim-${claimId}-discussion`;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (text.trim() === '') return;
    const posted = await action.run(() => api.postMessage(storyId, claimId, text.trim()));
    if (posted === undefined) return;
    setText('');
    announce('Message posted');
  };

  return (
    <section class="claim-section" aria-labelledby={headingId}>
      <h4 id={headingId}>
        Discussion <span class="count">{messages.length}</span>
      </h4>
      {messages.length === 0 ? (
        <p class="muted small">No messages yet.</p>
      ) : (
        <ol class="thread">
          {messages.map((message) => (
            <li key={message.id} class="thread-message">
              <p class="thread-meta">
                <strong>{personName(people, message.by)}</strong>{' '}
                <time dateTime={message.at} title={formatExactTime(message.at)}>
                  {formatRelativeTime(message.at)}
                </time>
              </p>
              <p class="thread-text">{message.text}</p>
            </li>
          ))}
        </ol>
      )}
      {canPost && (
        <form class="thread-form" onSubmit={(event) => void submit(event)}>
          <label for={`${headingId}-text`} class="visually-hidden">
            Add to the discussion
          </label>
          <textarea
            id={`${headingId}-text`}
            rows={2}
            maxLength={CLAIM_LIMITS.message}
            placeholder="Add to the discussion…"
            value={text}
            onInput={(event) => setText(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void submit(event);
            }}
          />
          {action.error !== null && (
            <p class="form-error" role="alert">
              {action.error}
            </p>
          )}
          <button
            type="submit"
            class="button button-small"
            disabled={text.trim() === '' || action.busy}
            title={`Post (${shortcutLabel('Mod-Enter')})`}
          >
            {action.busy ? 'Posting…' : 'Post'}
          </button>
        </form>
      )}
    </section>
  );
}
