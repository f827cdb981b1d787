/**
 * Keeps claims honest while the story changes. After edits to a story's body it checks every claim:
 * - text inside a `verified` claim changed → flag it "changed since verified" (who, when);
 * - an edit moved the claimed text into new Yjs items (ProseMirror splits and joins recreate the
 *   moved text), so the anchor collapsed → find the same text close by and re-anchor the claim;
 * - otherwise remember the current text (`lastText`), which is what the re-find looks for.
 * Only the server writes these fields; checks are debounced per story.
 */
import type { FastifyBaseLogger } from 'fastify';
import type * as Y from 'yjs';
import {
  anchorRange,
  approximatePosition,
  type FlatBody,
  flattenBody,
  nearestOccurrence,
  resolveAnchor,
} from '../../shared/anchors.ts';
import { type ClaimRecord, readClaims, updateClaim } from '../../shared/claims.ts';
import { YName } from '../../shared/documentLayout.ts';
import type { Room } from '../collab/Room.ts';
import type { RoomManager } from '../collab/RoomManager.ts';

/** How far (in characters) from where a collapsed claim was its text is looked for. */
const REFIND_WINDOW = 400;

interface Pending {
  timer: NodeJS.Timeout;
  /** The last person whose body edit is being checked. */
  editor: string | null;
}

export class ClaimKeeper {
  private readonly pending = new Map<string, Pending>();
  private readonly running = new Set<Promise<void>>();
  private readonly chains = new Map<string, Promise<void>>();
  /** Per story, whether its last check left a verified claim unflagged (bounded by stories checked). */
  private readonly unflaggedVerdicts = new Map<string, boolean>();
  private closed = false;

  constructor(
    private readonly rooms: RoomManager,
    private readonly log: FastifyBaseLogger,
    /** Receives a story's claim counts by status (as shown: detached included) after each check. */
    private readonly onCounts: (storyId: string, counts: Record<string, number>) => Promise<void>,
    private readonly delayMs = 150,
  ) {}

  /** Called after a body or notes room stored and applied a batch of updates. */
  noteChange(room: Room, userIds: (string | null)[]): void {
    if (room.key.part === 'desk' || this.closed) return;
    const storyId = room.key.storyId;
    // A notes change may have made a claim verified: until the next check has looked, assume the
    // story has an unflagged verdict, so the next body batch is checked at once and named exactly.
    if (room.key.part === 'notes') this.unflaggedVerdicts.delete(storyId);
    // Only body edits change claimed text; a notes change (a new claim, a verdict) just recounts.
    const editor = room.key.part === 'body' ? (userIds.findLast((id) => id !== null) ?? null) : null;
    // A batch from one person touching a story with verified claims is checked at once, so the flag
    // names exactly who changed the text (a throttled check could see several people's edits).
    const editors = new Set(userIds.filter((id) => id !== null));
    if (room.key.part === 'body' && editors.size === 1 && this.hasUnflaggedVerdicts(storyId)) {
      this.start(storyId, editor);
      return;
    }
    const existing = this.pending.get(storyId);
    if (existing) {
      // Throttled, not debounced: steady typing must not postpone the check forever.
      if (editor !== null) existing.editor = editor;
      return;
    }
    const pending: Pending = { timer: setTimeout(() => this.run(storyId), this.delayMs), editor };
    pending.timer.unref();
    this.pending.set(storyId, pending);
  }

  /**
   * Whether the story may hold a verified claim that is not flagged yet: known from its last check,
   * assumed when it has not been checked since the server started.
   */
  private hasUnflaggedVerdicts(storyId: string): boolean {
    return this.unflaggedVerdicts.get(storyId) ?? true;
  }

  private run(storyId: string): void {
    const pending = this.pending.get(storyId);
    this.pending.delete(storyId);
    this.start(storyId, pending?.editor ?? null);
  }

  /** Starts a check after the story's previous one: checks of one story never overlap. */
  private start(storyId: string, editor: string | null): void {
    const previous = this.chains.get(storyId) ?? Promise.resolve();
    const check = previous
      .then(() => this.check(storyId, editor))
      .catch((error: unknown) => this.log.error({ err: error, storyId }, 'claim check failed'));
    this.chains.set(storyId, check);
    this.running.add(check);
    void check.finally(() => {
      this.running.delete(check);
      if (this.chains.get(storyId) === check) this.chains.delete(storyId);
    });
  }

  /** Checks every claim of a story against its body now. */
  async check(storyId: string, editor: string | null): Promise<void> {
    await this.rooms.withRoom({ storyId, part: 'body' }, (body) =>
      this.rooms.withRoom({ storyId, part: 'notes' }, async (notes) => {
        const flat = flattenBody(body.doc.getXmlFragment(YName.body));
        const now = new Date().toISOString();
        const changes: { id: string; fields: Partial<ClaimRecord> }[] = [];
        const claims = readClaims(notes.doc);
        for (const claim of claims.values()) {
          const fields = this.review(claim, flat, body.doc, editor, now);
          if (fields !== null) changes.push({ id: claim.id, fields });
        }
        if (changes.length > 0) {
          await notes.change((doc) => {
            for (const change of changes) updateClaim(doc, change.id, change.fields);
          });
        }
        const counts: Record<string, number> = {};
        const after = readClaims(notes.doc);
        this.unflaggedVerdicts.set(
          storyId,
          [...after.values()].some((claim) => claim.status === 'verified' && claim.changedSinceVerified === null),
        );
        for (const claim of after.values()) {
          const status = resolveAnchor(body.doc, flat, claim) === null ? 'detached' : claim.status;
          counts[status] = (counts[status] ?? 0) + 1;
        }
        await this.onCounts(storyId, counts);
      }),
    );
  }

  private review(
    claim: ClaimRecord,
    flat: FlatBody,
    bodyDoc: Y.Doc,
    editor: string | null,
    now: string,
  ): Partial<ClaimRecord> | null {
    let range = resolveAnchor(bodyDoc, flat, claim);
    const fields: Partial<ClaimRecord> = {};
    if (range === null) {
      const near = this.collapsedAt(bodyDoc, flat, claim);
      const found =
        near === null || claim.lastText.length === 0
          ? null
          : nearestOccurrence(
              flat.text.slice(Math.max(0, near - REFIND_WINDOW), near + REFIND_WINDOW + claim.lastText.length),
              claim.lastText,
              Math.min(near, REFIND_WINDOW),
            );
      if (found === null || near === null) return null;
      const from = Math.max(0, near - REFIND_WINDOW) + found;
      const anchor = anchorRange(flat, from, from + claim.lastText.length);
      if (anchor === null) return null;
      fields.start = anchor.start;
      fields.end = anchor.end;
      range = { from, to: from + claim.lastText.length };
    }
    const text = flat.text.slice(range.from, range.to);
    if (text !== claim.lastText) fields.lastText = text;
    // A verdict written straight into the notes room (not through the API) is pinned here: the
    // text it was given on, and a re-verification after a flag clears the flag.
    const reverified = claim.changedSinceVerified !== null && claim.statusAt > claim.changedSinceVerified.at;
    if (claim.status === 'verified' && (claim.verifiedText === null || reverified)) {
      fields.verifiedText = text;
      fields.changedSinceVerified = null;
      return fields;
    }
    if (
      claim.status === 'verified' &&
      claim.changedSinceVerified === null &&
      claim.verifiedText !== null &&
      text !== claim.verifiedText
    ) {
      fields.changedSinceVerified = { by: editor ?? 'unknown', at: now };
    }
    return Object.keys(fields).length > 0 ? fields : null;
  }

  /** Where a detached claim's ends now sit in the flat text, if their paragraph still exists. */
  private collapsedAt(bodyDoc: Y.Doc, flat: FlatBody, claim: ClaimRecord): number | null {
    return approximatePosition(bodyDoc, flat, claim.start) ?? approximatePosition(bodyDoc, flat, claim.end);
  }

  /** Stops scheduling and waits for checks in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
    await Promise.allSettled([...this.running]);
  }
}
