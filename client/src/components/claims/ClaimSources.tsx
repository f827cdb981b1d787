/**
 * The sources behind one claim: the attached ones, attaching one already in the story, and adding a
 * new one (saved as a story source, then attached to this claim).
 */
import { useRef, useState } from 'preact/hooks';
import type { SourceRecord } from '../../../../shared/claims.ts';
import { api, type NewSource } from '../../api.ts';
import type { DrawnClaim } from '../../editor/claims/index.ts';
import { useApiAction } from '../../hooks/useApiAction.ts';
import { SourceCard } from './SourceCard.tsx';
import { SourceForm } from './SourceForm.tsx';

export interface ClaimSourcesProps {
  storyId: string;
  claim: DrawnClaim;
  sources: ReadonlyMap<string, SourceRecord>;
  canEdit: boolean;
  /** Says something to screen readers (and in the panel's status line). */
  announce(message: string): void;
}

export function ClaimSources({ storyId, claim, sources, canEdit, announce }: ClaimSourcesProps) {
  const attachedIds = claim.record.sourceIds;
  const attached = attachedIds.map((id) => ({ id, source: sources.get(id) }));
  const others = [...sources.values()].filter((source) => !attachedIds.includes(source.id));
  const [choice, setChoice] = useState('');
  const [formOpen, setFormOpen] = useState(false);
  const addButton = useRef<HTMLButtonElement>(null);
  const closeForm = () => {
    setFormOpen(false);
    // The form goes away with the focus in it: give it back to the button that opened it.
    requestAnimationFrame(() => addButton.current?.focus());
  };
  const change = useApiAction();
  const create = useApiAction();
  const headingId = `claim-${claim.id}-sources`;

  const setSources = async (sourceIds: string[], message: string) => {
    const updated = await change.run(() => api.updateClaim(storyId, claim.id, { sourceIds }));
    if (updated !== undefined) announce(message);
    return updated !== undefined;
  };

  const addNew = async (source: NewSource) => {
    const created = await create.run(() => api.createSource(storyId, source));
    if (created === undefined) return;
    closeForm();
    await setSources([...attachedIds, created.id], 'Source added to the claim');
  };

  return (
    <section class="claim-section" aria-labelledby={headingId}>
      <h4 id={headingId}>
        Sources <span class="count">{attachedIds.length}</span>
      </h4>
      {attached.length === 0 ? (
        <p class="muted small">No source yet.</p>
      ) : (
        <ul class="source-list">
          {attached.map(({ id, source }) => (
            <li key={id}>
              {source === undefined ? (
                <p class="muted small">A source that is no longer in this story.</p>
              ) : (
                <SourceCard
                  source={source}
                  actions={
                    canEdit && (
                      <button
                        type="button"
                        class="link-button"
                        disabled={change.busy}
                        onClick={() =>
                          void setSources(
                            attachedIds.filter((other) => other !== id),
                            'Source removed from the claim',
                          )
                        }
                      >
                        Remove from claim
                      </button>
                    )
                  }
                />
              )}
            </li>
          ))}
        </ul>
      )}
      {change.error !== null && (
        <p class="form-error" role="alert">
          {change.error}
        </p>
      )}
      {canEdit && others.length > 0 && (
        <form
          class="attach-source"
          onSubmit={(event) => {
            event.preventDefault();
            if (choice === '') return;
            void setSources([...attachedIds, choice], 'Source attached').then((done) => done && setChoice(''));
          }}
        >
          <label for={`${headingId}-attach`}>Attach a source already in this story</label>
          <div class="inline-row">
            <select
              id={`${headingId}-attach`}
              value={choice}
              onChange={(event) => setChoice(event.currentTarget.value)}
            >
              <option value="">Choose a source…</option>
              {others.map((source) => (
                <option key={source.id} value={source.id}>
                  {source.title || source.url}
                  {source.outlet ? ` — ${source.outlet}` : ''}
                </option>
              ))}
            </select>
            <button type="submit" class="button" disabled={choice === '' || change.busy}>
              Attach
            </button>
          </div>
        </form>
      )}
      {canEdit &&
        (formOpen ? (
          <SourceForm
            idPrefix={`claim-${claim.id}-source`}
            busy={create.busy || change.busy}
            error={create.error}
            onSubmit={(source) => void addNew(source)}
            onCancel={() => {
              closeForm();
              create.clearError();
            }}
          />
        ) : (
          <button type="button" class="button button-small" ref={addButton} onClick={() => setFormOpen(true)}>
            + Add a new source
          </button>
        ))}
    </section>
  );
}
