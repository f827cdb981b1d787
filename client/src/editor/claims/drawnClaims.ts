/**
 * Claims as the editor draws them: each claim record of the notes document with the editor range
 * its anchor points at now. Anchors live in the body's Yjs document; the editor's document is kept
 * in step with it by y-prosemirror.
 *
 * Resolving does not flatten the whole body (`shared/anchors.ts` does, for the server): an anchor
 * end resolves (Yjs) to an index in a text node; its offset in its textblock is the length of the
 * inline nodes before it; and the textblock's editor position is that of the editor's textblock of
 * the same rank (the body's textblocks and the editor's are the same, in the same order, when the
 * two are in step; that is checked block by block for every block an anchor lands in, and for all
 * of them in a full resolve). The positions are those `resolveAnchor` and `offsetToPosition` give
 * (a test checks it). `ClaimResolver` keeps each anchor decoded and the text node it lies in (a Yjs
 * item never moves to another type), so after an edit only the claims in the text it changed need
 * resolving again.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import type { Mapping } from 'prosemirror-transform';
import * as Y from 'yjs';
import { decodePosition, TEXTBLOCKS } from '../../../../shared/anchors.ts';
import type { ClaimRecord, ClaimStatus } from '../../../../shared/claims.ts';

export interface DrawnClaim {
  readonly id: string;
  readonly record: ClaimRecord;
  /** Editor positions of the claimed text now; both `null` when no text is left (detached). */
  readonly from: number | null;
  readonly to: number | null;
}

/** A claim that still has text in the story. */
export type PlacedClaim = DrawnClaim & { readonly from: number; readonly to: number };

export function isPlaced(claim: DrawnClaim): claim is PlacedClaim {
  return claim.from !== null && claim.to !== null;
}

/** The status to show: `detached` when the claim's text is gone (never stored; the stored status is kept). */
export function shownStatus(claim: DrawnClaim): ClaimStatus {
  return isPlaced(claim) ? claim.record.status : 'detached';
}

/** Whether the text of a verified claim changed since (flagged by the server) and it needs a re-check. */
export function needsRecheck(claim: DrawnClaim): boolean {
  return isPlaced(claim) && claim.record.changedSinceVerified !== null;
}

/** Story order: by where the text starts (then ends); detached claims last, oldest first. */
function storyOrder(a: DrawnClaim, b: DrawnClaim): number {
  if (isPlaced(a) && isPlaced(b)) return a.from - b.from || a.to - b.to;
  if (isPlaced(a)) return -1;
  if (isPlaced(b)) return 1;
  return a.record.createdAt.localeCompare(b.record.createdAt);
}

export function inStoryOrder(claims: readonly DrawnClaim[]): DrawnClaim[] {
  return [...claims].sort(storyOrder);
}

/** `claims` in story order: as they are when they already are (the usual case after an edit). */
function keptInStoryOrder(claims: DrawnClaim[]): DrawnClaim[] {
  for (let i = 1; i < claims.length; i++) {
    if (storyOrder(claims[i - 1] as DrawnClaim, claims[i] as DrawnClaim) > 0) return claims.sort(storyOrder);
  }
  return claims;
}

/** A body textblock's text as `flattenBody` reads it (an embed is U+FFFC, an inline element "\n"). */
function bodyBlockText(element: Y.XmlElement): string {
  let text = '';
  for (const child of element.toArray()) {
    if (!(child instanceof Y.XmlText)) {
      text += '\n';
      continue;
    }
    for (const op of child.toDelta() as { insert: unknown }[]) {
      text += typeof op.insert === 'string' ? op.insert : '\uFFFC';
    }
  }
  return text;
}

/** An editor textblock's text as `flattenProseMirror` reads it (a hard break is "\n"). */
function editorBlockText(block: ProseMirrorNode): string {
  let text = '';
  block.forEach((child) => {
    text += child.isText ? (child.text ?? '') : '\n'.repeat(child.nodeSize);
  });
  return text;
}

/** One resolve against the body and the editor's document as they are now. */
class ResolvePass {
  /** The body's textblocks by rank, and the rank of each. */
  private readonly bodyBlocks: Y.XmlElement[] = [];
  private readonly rank = new Map<Y.XmlElement, number>();
  /** The editor's textblocks by rank, with the position of their first character. */
  private readonly editorBlocks: { node: ProseMirrorNode; start: number }[] = [];
  private readonly checked = new Map<number, boolean>();
  /** Whether a block an anchor landed in differs between the body and the editor. */
  outOfStep = false;

  constructor(yBody: Y.XmlFragment, doc: ProseMirrorNode) {
    const visit = (element: Y.XmlElement | Y.XmlFragment) => {
      for (const child of element.toArray()) {
        if (!(child instanceof Y.XmlElement)) continue;
        if (!TEXTBLOCKS.has(child.nodeName)) {
          visit(child);
          continue;
        }
        this.rank.set(child, this.bodyBlocks.length);
        this.bodyBlocks.push(child);
      }
    };
    visit(yBody);
    doc.descendants((node, pos) => {
      if (!node.isTextblock) return true;
      this.editorBlocks.push({ node, start: pos + 1 });
      return false;
    });
    if (this.bodyBlocks.length !== this.editorBlocks.length) this.outOfStep = true;
  }

  private inStep(rank: number): boolean {
    let same = this.checked.get(rank);
    if (same === undefined) {
      const body = this.bodyBlocks[rank];
      const editor = this.editorBlocks[rank];
      same = body !== undefined && editor !== undefined && bodyBlockText(body) === editorBlockText(editor.node);
      this.checked.set(rank, same);
    }
    if (!same) this.outOfStep = true;
    return same;
  }

  /** Whether the whole body and the editor's document have the same text, block by block. */
  allInStep(): boolean {
    for (let rank = 0; rank < this.bodyBlocks.length && !this.outOfStep; rank++) this.inStep(rank);
    return !this.outOfStep;
  }

  /** The editor position of a resolved anchor end; `null` when its text node is not in the story. */
  position(absolute: Y.AbsolutePosition): number | null {
    const type = absolute.type;
    if (!(type instanceof Y.XmlText)) return null;
    const block = type.parent;
    const rank = block instanceof Y.XmlElement ? this.rank.get(block) : undefined;
    if (block === null || rank === undefined) return null;
    let offset = 0;
    for (const child of (block as Y.XmlElement).toArray()) {
      if (child === type) {
        if (!this.inStep(rank)) return null;
        return (this.editorBlocks[rank]?.start ?? 0) + offset + Math.min(absolute.index, type.length);
      }
      offset += child instanceof Y.XmlText ? child.length : 1;
    }
    // A text node no longer in its block (deleted) anchors nothing.
    return null;
  }
}

/** Resolves claims' anchors to editor positions, keeping what it learnt of each anchor between calls. */
export class ClaimResolver {
  private readonly decoded = new Map<string, Y.RelativePosition | null>();
  /** The Yjs type each anchor end was last found in. */
  private readonly types = new Map<string, object>();

  constructor(private readonly yBody: Y.XmlFragment) {}

  /**
   * Every claim of `records`, resolved against the body as it is now, in story order. Returns `null`
   * when the editor's document is not in step with the body document (never expected; the caller
   * tries again after the next change).
   */
  resolveAll(records: Iterable<ClaimRecord>, doc: ProseMirrorNode): DrawnClaim[] | null {
    const pass = new ResolvePass(this.yBody, doc);
    if (!pass.allInStep()) return null;
    const claims: DrawnClaim[] = [];
    for (const record of records) claims.push(this.resolve(record, pass));
    if (pass.outOfStep) return null;
    this.forgetAllBut(claims.map((claim) => claim.record));
    return inStoryOrder(claims);
  }

  /**
   * `current` (claims with positions in `doc`) with the claims `ids` resolved again from `records`
   * (added, changed or, when no longer in `records`, removed), in story order; `null` when a block
   * they are in is not in step with the body.
   */
  resolveSome(
    records: ReadonlyMap<string, ClaimRecord>,
    ids: Iterable<string>,
    current: readonly DrawnClaim[],
    doc: ProseMirrorNode,
  ): DrawnClaim[] | null {
    const pass = new ResolvePass(this.yBody, doc);
    if (pass.outOfStep) return null;
    const byId = new Map(current.map((claim) => [claim.id, claim]));
    for (const id of ids) {
      const record = records.get(id);
      if (record === undefined) byId.delete(id);
      else byId.set(id, this.resolve(record, pass));
    }
    if (pass.outOfStep) return null;
    if (this.decoded.size > 4 * records.size + 64) this.forgetAllBut(records.values());
    return keptInStoryOrder([...byId.values()]);
  }

  /**
   * Whether an end of `record`'s anchor lies in one of the Yjs types `changed` (an anchor never
   * found yet counts as touched: it is tried again).
   */
  touches(record: ClaimRecord, changed: ReadonlySet<unknown>): boolean {
    for (const encoded of [record.start, record.end]) {
      const type = this.types.get(encoded);
      if (type === undefined || changed.has(type)) return true;
    }
    return false;
  }

  private resolve(record: ClaimRecord, pass: ResolvePass): DrawnClaim {
    const from = this.end(record.start, pass);
    const to = this.end(record.end, pass);
    return from !== null && to !== null && from < to
      ? { id: record.id, record, from, to }
      : { id: record.id, record, from: null, to: null };
  }

  private end(encoded: string, pass: ResolvePass): number | null {
    const yDoc = this.yBody.doc;
    if (yDoc === null) return null;
    let relative = this.decoded.get(encoded);
    if (relative === undefined) {
      relative = decodePosition(encoded);
      this.decoded.set(encoded, relative);
    }
    if (relative === null) return null;
    const absolute = Y.createAbsolutePositionFromRelativePosition(relative, yDoc);
    if (absolute === null) return null;
    this.types.set(encoded, absolute.type);
    return pass.position(absolute);
  }

  private forgetAllBut(records: Iterable<ClaimRecord>): void {
    const kept = new Set<string>();
    for (const record of records) kept.add(record.start).add(record.end);
    for (const encoded of this.decoded.keys()) if (!kept.has(encoded)) this.decoded.delete(encoded);
    for (const encoded of this.types.keys()) if (!kept.has(encoded)) this.types.delete(encoded);
  }
}

/**
 * Resolves every claim against the body as it is now. Returns `null` when the editor's document is
 * not in step with the body document (never expected; the caller tries again after the next change).
 */
export function resolveClaims(
  records: Iterable<ClaimRecord>,
  yBody: Y.XmlFragment,
  doc: ProseMirrorNode,
): DrawnClaim[] | null {
  return new ClaimResolver(yBody).resolveAll(records, doc);
}

/**
 * Moves claims through a change of the editor's document. Like their anchors, a claim's start stays
 * before text typed at its start and its end before text typed at its end; a claim whose text is
 * all deleted becomes detached. Claims the change does not move are kept as they are (the same
 * objects), and so is the list when none moves.
 */
export function mapClaims(claims: readonly DrawnClaim[], mapping: Mapping): readonly DrawnClaim[] {
  let moved = false;
  const mapped = claims.map((claim): DrawnClaim => {
    if (!isPlaced(claim)) return claim;
    const from = mapping.map(claim.from, 1);
    const to = mapping.map(claim.to, -1);
    if (from === claim.from && to === claim.to) return claim;
    moved = true;
    return from < to ? { ...claim, from, to } : { ...claim, from: null, to: null };
  });
  return moved ? keptInStoryOrder(mapped) : claims;
}
