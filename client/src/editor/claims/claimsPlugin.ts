/**
 * The claims plugins: draw the story's claims and the sentences that need a source, keep them in
 * step with the notes document, and open a claim when its highlight is clicked.
 *
 * The notes document is read, never written: claims change through the HTTP API and come back
 * through the notes room, for this page like for everyone else.
 */
import { Plugin } from 'prosemirror-state';
import { DecorationSet, type EditorView } from 'prosemirror-view';
import { ySyncPluginKey } from 'y-prosemirror';
import * as Y from 'yjs';
import { type ClaimRecord, notesMaps, readClaim, readClaims } from '../../../../shared/claims.ts';
import { type ClaimsAction, claimsPluginKey, initialClaimsState, reduceClaims } from './claimsState.ts';
import { ClaimResolver, type DrawnClaim, isPlaced } from './drawnClaims.ts';

export interface ClaimsPluginOptions {
  /** The body fragment the editor is bound to (where anchors point). */
  yBody: Y.XmlFragment;
  /** The story's notes document (claims, sources, discussions). */
  yNotes: Y.Doc;
}

/**
 * Whether two versions of a record differ at most in `lastText`: the server's bookkeeping (the text
 * its re-find looks for), written as colleagues type inside claims and never shown, so a change of
 * it alone keeps the record object and costs no redraw.
 */
function sameButLastText(a: ClaimRecord, b: ClaimRecord): boolean {
  return JSON.stringify({ ...a, lastText: '' }) === JSON.stringify({ ...b, lastText: '' });
}

function sameClaims(a: readonly DrawnClaim[], b: readonly DrawnClaim[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((claim, index) => {
    const other = b[index] as DrawnClaim;
    return (
      claim === other ||
      (claim.id === other.id && claim.from === other.from && claim.to === other.to && claim.record === other.record)
    );
  });
}

/**
 * Resolves claims from their anchors, in a microtask (never while ProseMirror or Yjs is in the
 * middle of applying a change, and once for a burst of changes), and only those that may have
 * moved otherwise than the edits' mappings moved them:
 * - claims whose record changed in the notes document (each record is parsed again alone);
 * - claims with an anchor end in a text node an edit changed (here or a colleague's: y-prosemirror
 *   writes an edit into Yjs by comparing texts, which can put a character typed next to an equal
 *   one on the other side of a claim's end than ProseMirror's mapping did);
 * - claims a colleague's edit came near (`nearRemoteEdits`: that edit was mapped as one range);
 * - every claim when a colleague's edit changed the body's structure (blocks added, removed, split,
 *   joined) or the notes could not be followed claim by claim.
 * A block structure change typed here is left to the mapping: a split moves text into new Yjs items,
 * which would detach the claims on it until the server has re-anchored them.
 * The result is dispatched only when a claim's place or record differs from the state's.
 */
class ClaimsFollower {
  private records: Map<string, ClaimRecord> | null = null;
  private readonly changedRecords = new Set<string>();
  private readonly changedTexts = new Set<Y.XmlText>();
  /** Claims to resolve at the next run (kept until a run succeeds). */
  private readonly pending = new Set<string>();
  private restructured = true;
  /** The state's `remoteEdits` when the claims were last checked. */
  private checkedEdits = 0;
  private scheduled = false;
  private readonly claimsMap: Y.Map<Y.Map<unknown>>;
  private readonly resolver: ClaimResolver;

  constructor(
    private readonly view: EditorView,
    private readonly options: ClaimsPluginOptions,
  ) {
    this.claimsMap = notesMaps(options.yNotes).claims;
    this.resolver = new ClaimResolver(options.yBody);
    this.claimsMap.observeDeep(this.onNotesChange);
    options.yBody.observeDeep(this.onBodyChange);
    this.schedule();
  }

  update(): void {
    const state = claimsPluginKey.getState(this.view.state);
    if (state !== undefined && state.remoteEdits !== this.checkedEdits) this.schedule();
  }

  destroy(): void {
    this.claimsMap.unobserveDeep(this.onNotesChange);
    this.options.yBody.unobserveDeep(this.onBodyChange);
  }

  // biome-ignore lint/suspicious/noExplicitAny: Yjs types its events' targets as AbstractType<any>.
  private readonly onNotesChange = (events: Y.YEvent<any>[]): void => {
    for (const event of events) {
      if (event.target === this.claimsMap && event instanceof Y.YMapEvent) {
        for (const id of event.keysChanged) this.changedRecords.add(id);
        continue;
      }
      const id = event.path[0];
      if (typeof id === 'string') this.changedRecords.add(id);
      else this.records = null;
    }
    this.schedule();
  };

  // biome-ignore lint/suspicious/noExplicitAny: Yjs types its events' targets as AbstractType<any>.
  private readonly onBodyChange = (events: Y.YEvent<any>[], transaction: Y.Transaction): void => {
    const textOnly = events.every((event) => event.target instanceof Y.XmlText);
    if (!textOnly) {
      if (transaction.origin === ySyncPluginKey) return;
      this.restructured = true;
    }
    for (const event of events) if (event.target instanceof Y.XmlText) this.changedTexts.add(event.target);
    this.schedule();
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.view.isDestroyed) this.run();
    });
  }

  private run(): void {
    const state = claimsPluginKey.getState(this.view.state);
    if (state === undefined) return;
    const doc = this.view.state.doc;
    let all = this.restructured;
    if (this.records === null) {
      // Parsing every record is the costly part: done once, then claim by claim as they change.
      this.records = readClaims(this.options.yNotes);
      this.changedRecords.clear();
      all = true;
    }
    for (const id of this.changedRecords) {
      const map = this.claimsMap.get(id);
      const record = map instanceof Y.Map ? readClaim(map) : null;
      const known = this.records.get(id);
      if (record === null || record.id !== id) this.records.delete(id);
      else if (known === undefined || !sameButLastText(known, record)) this.records.set(id, record);
      this.pending.add(id);
    }
    this.changedRecords.clear();
    let claims: readonly DrawnClaim[] | null = state.claims;
    if (all) {
      claims = this.resolver.resolveAll(this.records.values(), doc);
    } else {
      for (const [id, edit] of state.nearRemoteEdits) if (edit > this.checkedEdits) this.pending.add(id);
      if (this.changedTexts.size > 0) {
        for (const record of this.records.values()) {
          if (this.resolver.touches(record, this.changedTexts)) this.pending.add(record.id);
        }
      }
      if (this.pending.size > 0) claims = this.resolver.resolveSome(this.records, this.pending, state.claims, doc);
    }
    // Not in step with the body (never expected): tried again after the next change.
    if (claims === null) return;
    this.restructured = false;
    this.changedTexts.clear();
    this.pending.clear();
    this.checkedEdits = state.remoteEdits;
    if (sameClaims(claims, state.claims)) return;
    const action: ClaimsAction = { type: 'resolved', claims };
    this.view.dispatch(this.view.state.tr.setMeta(claimsPluginKey, action));
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
