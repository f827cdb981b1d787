/**
 * The sentences that need a source (attributed, and no claim on them), in story order, each with a
 * way to find it in the text and to claim it in one step.
 */
import type { EditorState } from 'prosemirror-state';
import type { EditorRange } from '../../editor/claims/index.ts';

export interface NeedsSourceListProps {
  state: EditorState;
  sentences: readonly EditorRange[];
  canCreate: boolean;
  creating: boolean;
  onShow(range: EditorRange): void;
  onCreate(range: EditorRange): void;
}

export function NeedsSourceList({ state, sentences, canCreate, creating, onShow, onCreate }: NeedsSourceListProps) {
  if (sentences.length === 0) {
    return <p class="panel-empty">Every sentence that quotes or cites someone has a claim.</p>;
  }
  return (
    <ul class="sentence-list" aria-label="Sentences that need a source">
      {sentences.map((range, index) => {
        const text = state.doc.textBetween(range.from, range.to, ' ', ' ');
        return (
          <li key={`${range.from}-${range.to}`} class="sentence-item">
            <button
              type="button"
              class="sentence-text"
              data-panel-focus={index === 0 ? 'true' : undefined}
              title="Show this sentence in the story"
              onClick={() => onShow(range)}
            >
              {text}
            </button>
            {canCreate && (
              <button
                type="button"
                class="button button-small"
                disabled={creating}
                aria-label={`Add a claim on: ${text}`}
                onClick={() => onCreate(range)}
              >
                Add claim
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
