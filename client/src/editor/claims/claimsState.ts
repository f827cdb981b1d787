/**
 * The claims plugin's state and the one reducer that changes it (as in Guardian's typerighter):
 * state changes only through transaction meta (`ClaimsAction`) or by mapping through a change of the
 * document. Claims are resolved from their anchors when the notes document changes and after a
 * colleague's edit (`stale` asks for that); between those, they are mapped through each edit, so
 * they never lag behind the text being typed.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { PluginKey, type Transaction } from 'prosemirror-state';
import type { DecorationSet } from 'prosemirror-view';
import { changedRanges, isRemoteTransaction, transactionMapping } from '../remoteTransaction.ts';
import { claimDecorations } from './claimDecorations.ts';
import { type DrawnClaim, mapClaims } from './drawnClaims.ts';
import { needsSourceDecorations, updateNeedsSource } from './needsSource.ts';

export interface ClaimsState {
  /** Every claim of the story, in story order (detached ones last). */
  readonly claims: readonly DrawnClaim[];
  /** The claim open in the claims panel and emphasised in the text. */
  readonly activeId: string | null;
  /** The claims' highlights. */
  readonly decorations: DecorationSet;
  /** The sentences that need a source. */
  readonly needsSource: DecorationSet;
  /** A colleague's edit arrived since the claims were resolved: resolve them again. */
  readonly stale: boolean;
}

export type ClaimsAction =
  /** Claims freshly resolved from the notes document, with positions in the transaction's starting document. */
  | { type: 'resolved'; claims: readonly DrawnClaim[] }
  /** Open a claim (or none). */
  | { type: 'activate'; id: string | null };

export const claimsPluginKey = new PluginKey<ClaimsState>('sourcedesk-claims');

/** Before the first resolve: no claims yet, but the sentences that need a source are already known. */
export function initialClaimsState(doc: ProseMirrorNode): ClaimsState {
  const decorations = claimDecorations(doc, [], null);
  return { claims: [], activeId: null, decorations, needsSource: needsSourceDecorations(doc, []), stale: true };
}

export function reduceClaims(state: ClaimsState, tr: Transaction): ClaimsState {
  const action = tr.getMeta(claimsPluginKey) as ClaimsAction | undefined;
  if (action === undefined && !tr.docChanged) return state;
  let { claims, activeId, needsSource, stale } = state;
  let claimsReplaced = false;
  if (action?.type === 'resolved') {
    claims = action.claims;
    claimsReplaced = true;
    stale = false;
  } else if (action?.type === 'activate') {
    activeId = action.id;
  }
  if (tr.docChanged) {
    const mapping = transactionMapping(tr);
    claims = mapClaims(claims, mapping);
    if (!claimsReplaced) {
      needsSource = updateNeedsSource(needsSource.map(mapping, tr.doc), tr.doc, changedRanges(mapping), claims);
    }
    if (isRemoteTransaction(tr)) stale = true;
  }
  if (claimsReplaced) needsSource = needsSourceDecorations(tr.doc, claims);
  const decorations = claimDecorations(tr.doc, claims, activeId);
  return { claims, activeId, decorations, needsSource, stale };
}
