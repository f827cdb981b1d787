/**
 * The claims plugins: draw the story's claims and the sentences that need a source, keep them in
 * step with the notes document, and open a claim when its highlight is clicked.
 *
 * The notes document is read, never written: claims change through the HTTP API and come back
 * through the notes room, for this page like for everyone else.
 */
import { Plugin } from 'prosemirror-state';
import { DecorationSet, type EditorView } from 'prosemirror-view';
import type * as Y from 'yjs';
import { type ClaimRecord, notesMaps, readClaims } from '../../../../shared/claims.ts';
import { type ClaimsAction, claimsPluginKey, initialClaimsState, reduceClaims } from './claimsState.ts';
import { isPlaced, resolveClaims } from './drawnClaims.ts';

export interface ClaimsPluginOptions {
  /** The body fragment the editor is bound to (where anchors point). */
  yBody: Y.XmlFragment;
  /** The story's notes document (claims, sources, discussions). */
  yNotes: Y.Doc;
}

/**
 * Resolves the claims again whenever the notes document changes or a colleague's edit made them
 * stale, in a microtask: never while ProseMirror or Yjs is in the middle of applying a change, and
 * once for a burst of changes.
 */
class ClaimsFollower {
  private records: ClaimRecord[] | null = null;
  private scheduled = false;
  private readonly claimsMap: Y.Map<Y.Map<unknown>>;

  constructor(
    private readonly view: EditorView,
    private readonly options: ClaimsPluginOptions,
  ) {
    this.claimsMap = notesMaps(options.yNotes).claims;
    this.claimsMap.observeDeep(this.onNotesChange);
    this.schedule();
  }

  update(): void {
    if (claimsPluginKey.getState(this.view.state)?.stale) this.schedule();
  }

  destroy(): void {
    this.claimsMap.unobserveDeep(this.onNotesChange);
  }

  private readonly onNotesChange = (): void => {
    this.records = null;
    this.schedule();
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.view.isDestroyed) return;
      // Parsing every record is the costly part; it is redone only when the notes change.
      this.records ??= [...readClaims(this.options.yNotes).values()];
      const claims = resolveClaims(this.records, this.options.yBody, this.view.state.doc);
      if (claims === null) return;
      const action: ClaimsAction = { type: 'resolved', claims };
      this.view.dispatch(this.view.state.tr.setMeta(claimsPluginKey, action));
    });
  }
}

export function claimsPlugins(options: ClaimsPluginOptions): Plugin[] {
  const claims = new Plugin({
    key: claimsPluginKey,
    state: {
      init: (_config, state) => initialClaimsState(state.doc),
      apply: (tr, value) => reduceClaims(value, tr),
    },
    view: (view) => new ClaimsFollower(view, options),
    props: {
      decorations: (state) => claimsPluginKey.getState(state)?.decorations ?? DecorationSet.empty,
      handleClick(view, pos) {
        const state = claimsPluginKey.getState(view.state);
        if (state === undefined) return false;
        const here = state.claims.filter(isPlaced).filter((claim) => claim.from <= pos && pos <= claim.to);
        if (here.length === 0) return false;
        // Clicking again where claims overlap opens the next one; otherwise the innermost.
        const current = here.findIndex((claim) => claim.id === state.activeId);
        const next =
          current >= 0
            ? here[(current + 1) % here.length]
            : here.reduce((best, claim) => (claim.to - claim.from < best.to - best.from ? claim : best));
        if (next !== undefined && next.id !== state.activeId) {
          const action: ClaimsAction = { type: 'activate', id: next.id };
          view.dispatch(view.state.tr.setMeta(claimsPluginKey, action));
        }
        // The click still places the caret.
        return false;
      },
    },
  });
  // A second plugin only so that the sentence marks are their own decoration source (they change
  // block by block while the claims' highlights are redrawn as a whole).
  const needsSource = new Plugin({
    props: {
      decorations: (state) => claimsPluginKey.getState(state)?.needsSource ?? DecorationSet.empty,
    },
  });
  return [claims, needsSource];
}
