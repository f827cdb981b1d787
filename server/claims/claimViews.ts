/**
 * Claims as the API shows them: resolved against the body as it is now (current text, range,
 * detached or not), and the story's sentences with their attribution and claims.
 */
import type * as Y from 'yjs';
import { type FlatBody, resolveAnchor } from '../../shared/anchors.ts';
import type { ClaimRecord, ClaimView } from '../../shared/claims.ts';
import { isAttributed, splitSentences } from '../../shared/sentences.ts';

export function claimView(claim: ClaimRecord, flat: FlatBody, bodyDoc: Y.Doc): ClaimView {
  const range = resolveAnchor(bodyDoc, flat, claim);
  return {
    id: claim.id,
    status: range ? claim.status : 'detached',
    storedStatus: claim.status,
    quote: claim.quote,
    text: range ? flat.text.slice(range.from, range.to) : '',
    from: range?.from ?? null,
    to: range?.to ?? null,
    sourceIds: claim.sourceIds,
    note: claim.note,
    createdBy: claim.createdBy,
    createdAt: claim.createdAt,
    statusBy: claim.statusBy,
    statusAt: claim.statusAt,
    changedSinceVerified: claim.changedSinceVerified,
  };
}

/** Claims in story order; detached ones last, oldest first. */
export function claimViews(claims: Iterable<ClaimRecord>, flat: FlatBody, bodyDoc: Y.Doc): ClaimView[] {
  return [...claims]
    .map((claim) => claimView(claim, flat, bodyDoc))
    .sort((a, b) => {
      if (a.from !== null && b.from !== null) return a.from - b.from || (a.to ?? 0) - (b.to ?? 0);
      if (a.from !== null) return -1;
      if (b.from !== null) return 1;
      return a.createdAt.localeCompare(b.createdAt);
    });
}

export interface SentenceView {
  index: number;
  /** Index of the paragraph (textblock) the sentence is in. */
  paragraph: number;
  text: string;
  /** Flat-text range of the sentence. */
  from: number;
  to: number;
  attributed: boolean;
  needsSource: boolean;
  claimIds: string[];
}

/** The story's sentences, each with the claims that overlap it. */
export function sentenceViews(flat: FlatBody, claims: ClaimView[]): SentenceView[] {
  const sentences: SentenceView[] = [];
  for (const block of flat.blocks) {
    for (const span of splitSentences(block.text)) {
      const from = block.start + span.start;
      const to = block.start + span.end;
      const claimIds = claims
        .filter((claim) => claim.from !== null && claim.to !== null && claim.from < to && claim.to > from)
        .map((claim) => claim.id);
      const attributed = isAttributed(span.text);
      sentences.push({
        index: sentences.length,
        paragraph: block.index,
        text: span.text,
        from,
        to,
        attributed,
        needsSource: attributed && claimIds.length === 0,
        claimIds,
      });
    }
  }
  return sentences;
}
