/**
 * Making a claim from the editor: on a given range, or on the selection (the sentence at the
 * cursor when nothing is selected). The claim is created through the API; it appears (here and for
 * everyone) when the server has written it into the notes room, and opens in the panel.
 */
import { useCallback, useState } from 'preact/hooks';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import type * as Y from 'yjs';
import { api } from '../api.ts';
import { activateClaim, anchorEditorRange, claimTarget, type EditorRange } from '../editor/claims/index.ts';
import { Shortcut, shortcutLabel } from '../editor/shortcuts.ts';
import { describeError } from './useApiAction.ts';

export interface ClaimCreation {
  create(range?: EditorRange): Promise<void>;
  busy: boolean;
  error: string | null;
}

export function useCreateClaim(
  storyId: string,
  view: ProseMirrorView | null,
  yBody: Y.XmlFragment,
  announce: (message: string) => void,
): ClaimCreation {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const create = useCallback(
    async (range?: EditorRange) => {
      if (view === null || view.isDestroyed) return;
      setError(null);
      const target = range ?? claimTarget(view.state);
      if (target === null) {
        setError(
          `Select the words of the claim in the story, or click in its sentence, then press ${shortcutLabel(Shortcut.createClaim)}.`,
        );
        return;
      }
      const anchored = anchorEditorRange(view.state.doc, yBody, target);
      if (!anchored.ok) {
        setError(
          anchored.reason === 'no-text'
            ? 'There is no text there to make a claim of.'
            : 'The story is still catching up with a change. Try again in a moment.',
        );
        return;
      }
      setBusy(true);
      try {
        const created = await api.createClaim(storyId, anchored.anchor);
        if (!view.isDestroyed) activateClaim(created.id)(view.state, view.dispatch);
        announce(`Claim added: ${anchored.text.slice(0, 80)}`);
      } catch (caught) {
        setError(describeError(caught));
      } finally {
        setBusy(false);
      }
    },
    [storyId, view, yBody, announce],
  );

  return { create, busy, error };
}
