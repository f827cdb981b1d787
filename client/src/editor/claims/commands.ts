/** Commands on claims (ProseMirror's `Command` shape, so they compose with the rest of the editor). */
import { type Command, TextSelection } from 'prosemirror-state';
import { type ClaimsAction, claimsPluginKey } from './claimsState.ts';
import { isPlaced } from './drawnClaims.ts';

/** Opens claim `id` (or none) in the panel and emphasises its text. */
export function activateClaim(id: string | null): Command {
  return (state, dispatch) => {
    if (claimsPluginKey.getState(state) === undefined) return false;
    if (dispatch) {
      const action: ClaimsAction = { type: 'activate', id };
      dispatch(state.tr.setMeta(claimsPluginKey, action));
    }
    return true;
  };
}

/** Selects the text of claim `id` and scrolls it into view; also opens it. False for a detached claim. */
export function selectClaim(id: string): Command {
  return (state, dispatch) => {
    const claim = claimsPluginKey.getState(state)?.claims.find((candidate) => candidate.id === id);
    if (claim === undefined || !isPlaced(claim)) return false;
    if (dispatch) {
      const action: ClaimsAction = { type: 'activate', id };
      dispatch(
        state.tr
          .setSelection(TextSelection.create(state.doc, claim.from, claim.to))
          .setMeta(claimsPluginKey, action)
          .scrollIntoView(),
      );
    }
    return true;
  };
}

/** Selects the editor range `from`–`to` (a sentence, say) and scrolls it into view. */
export function selectRange(from: number, to: number): Command {
  return (state, dispatch) => {
    if (from < 0 || to > state.doc.content.size || from > to) return false;
    if (dispatch) dispatch(state.tr.setSelection(TextSelection.create(state.doc, from, to)).scrollIntoView());
    return true;
  };
}
