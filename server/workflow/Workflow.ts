/**
 * The editorial workflow and the story's history, on top of the rooms:
 * - transitions (review, approve, publish, reopen) written into the desk document, which only the
 *   server writes, so every open editor sees them live; approval is gated on the claims;
 * - versions: the body pinned as a Yjs snapshot (the body keeps its history) and the notes whole,
 *   taken on review, approval and publish, after a pause in editing, by name, and on restore;
 * - "changed since approval": the first body change after an approval flags the story;
 * - diffs between a version and now, and restoring a version as a new edit.
 * Work on one story is serialised, so two approvals or an approval and a flag never interleave.
 */
import type { FastifyBaseLogger } from 'fastify';
import { updateYFragment, yXmlFragmentToProseMirrorRootNode, yXmlFragmentToProsemirrorJSON } from 'y-prosemirror';
import * as Y from 'yjs';
import { flattenBody } from '../../shared/anchors.ts';
import type { Role } from '../../shared/api.ts';
import { type ClaimRecord, readClaims } from '../../shared/claims.ts';
import { YName } from '../../shared/documentLayout.ts';
import { type MetaField, metaText, readMetaField, replaceText } from '../../shared/metaText.ts';
import { storySchema } from '../../shared/schema.ts';
import {
  actionRefusal,
  type ClaimChange,
  claimBlocksApproval,
  type DeskState,
  type DiffAnswer,
  type DiffRun,
  isChangedSinceApproval,
  readDesk,
  type VersionKind,
  type VersionSummary,
  type WorkflowAction,
  writeDesk,
} from '../../shared/workflow.ts';
import { newId } from '../auth/secrets.ts';
import { claimViews } from '../claims/claimViews.ts';
import type { Room } from '../collab/Room.ts';
import type { RoomManager } from '../collab/RoomManager.ts';
import type { Storage, VersionRecord, VersionSummaryRecord } from '../storage/Storage.ts';
import { attribution, clientIdsOf, diffBody } from './bodyDiff.ts';

export const META_FIELDS: readonly MetaField[] = ['title', 'dek', 'byline'];

/** A workflow call that cannot be done: the route answers with `status` and this message. */
export class WorkflowRefusal extends Error {
  constructor(
    readonly status: 403 | 404 | 409,
    message: string,
    /** Claims that stand in the way of an approval. */
    readonly blocking: BlockingClaim[] = [],
  ) {
    super(message);
    this.name = 'WorkflowRefusal';
  }
}

export interface BlockingClaim {
  id: string;
  text: string;
  status: string;
  reason: string;
}

export interface Actor {
  id: string;
  role: Role;
}

export interface WorkflowOptions {
  /** After this long without body edits, a version is taken (when the body changed). */
  pauseMs?: number;
}

export function toVersionSummary(record: VersionSummaryRecord): VersionSummary {
  return {
    id: record.id,
    kind: record.kind,
    name: record.name,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    authors: record.authors,
  };
}

interface StoryState {
  /** Whether a body change must flag the story (approved or published, not flagged yet); unknown: `undefined`. */
  flagNeeded?: boolean;
  /** People who changed the body since the last version. */
  authors: Set<string>;
  pauseTimer: NodeJS.Timeout | null;
}

export class Workflow {
  private readonly stories = new Map<string, StoryState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly pauseMs: number;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly rooms: RoomManager,
    private readonly log: FastifyBaseLogger,
    options: WorkflowOptions = {},
  ) {
    this.pauseMs = options.pauseMs ?? 120_000;
  }

  private state(storyId: string): StoryState {
    let state = this.stories.get(storyId);
    if (state === undefined) {
      state = { authors: new Set(), pauseTimer: null };
      this.stories.set(storyId, state);
    }
    return state;
  }

  /** Runs `fn` after every earlier piece of work on the same story. */
  private serial<T>(storyId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(storyId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.chains.set(storyId, settled);
    this.running.add(settled);
    void settled.finally(() => {
      this.running.delete(settled);
      if (this.chains.get(storyId) === settled) this.chains.delete(storyId);
    });
    return next;
  }

  /** Called after a batch of updates was stored and applied to one of a story's rooms. */
  noteChange(room: Room, userIds: (string | null)[]): void {
    if (this.closed) return;
    const storyId = room.key.storyId;
    if (room.key.part === 'desk') {
      // Written by this server or another instance: what we knew of it may be stale.
      const state = this.stories.get(storyId);
      if (state !== undefined) delete state.flagNeeded;
      return;
    }
    if (room.key.part !== 'body') return;
    const state = this.state(storyId);
    for (const id of userIds) if (id !== null) state.authors.add(id);
    if (state.pauseTimer !== null) clearTimeout(state.pauseTimer);
    state.pauseTimer = setTimeout(() => {
      state.pauseTimer = null;
      void this.serial(storyId, () => this.takePauseVersion(storyId)).catch((error: unknown) =>
        this.log.error({ err: error, storyId }, 'automatic version not taken'),
      );
    }, this.pauseMs);
    state.pauseTimer.unref();
    if (state.flagNeeded === false) return;
    const by = userIds.find((id) => id !== null) ?? null;
    void this.serial(storyId, () => this.flagIfApproved(storyId, by)).catch((error: unknown) =>
      this.log.error({ err: error, storyId }, 'changed-since-approval flag not written'),
    );
  }

  /** Another instance changed a room: what we knew of its desk may be stale. */
  noteRemoteChange(room: Room): void {
    if (room.key.part !== 'desk') return;
    const state = this.stories.get(room.key.storyId);
    if (state !== undefined) delete state.flagNeeded;
  }

  private async flagIfApproved(storyId: string, by: string | null): Promise<void> {
    const state = this.state(storyId);
    if (state.flagNeeded === false) return;
    await this.rooms.withRoom({ storyId, part: 'desk' }, async (desk) => {
      const current = readDesk(desk.doc);
      const needed = needsFlag(current);
      if (needed) await this.writeDesk(storyId, desk, { ...current, changedSinceApproval: { by, at: now() } });
      state.flagNeeded = false;
    });
  }

  /** The desk state of a story. */
  async desk(storyId: string): Promise<DeskState> {
    return this.rooms.withRoom({ storyId, part: 'desk' }, async (desk) => readDesk(desk.doc));
  }

  private async writeDesk(storyId: string, desk: Room, next: DeskState): Promise<void> {
    await desk.change((doc) => writeDesk(doc, next));
    this.state(storyId).flagNeeded = needsFlag(next);
    await this.storage.stories.setWorkflow(storyId, next.state, isChangedSinceApproval(next));
  }

  /** Takes a workflow action for `actor`; throws `WorkflowRefusal` when it may not be taken now. */
  act(
    storyId: string,
    actor: Actor,
    action: WorkflowAction,
    override: { reason: string } | null = null,
  ): Promise<{ desk: DeskState; version: VersionSummaryRecord | null; blocking: BlockingClaim[] }> {
    return this.serial(storyId, () =>
      this.rooms.withRoom({ storyId, part: 'desk' }, async (desk) => {
        const current = readDesk(desk.doc);
        const refusal = actionRefusal(action, current, actor.role);
        if (refusal !== null) throw new WorkflowRefusal(refusal.status, refusal.message);
        const stamp = { by: actor.id, at: now() };
        let next: DeskState;
        let version: VersionSummaryRecord | null = null;
        let blocking: BlockingClaim[] = [];
        switch (action) {
          case 'review':
            version = await this.snapshotVersion(storyId, 'review', actor.id, null);
            next = { ...current, state: 'in-review', reviewRequested: stamp, updated: stamp };
            break;
          case 'approve': {
            const taken = await this.approvalVersion(storyId, actor.id, override);
            version = taken.version;
            blocking = taken.blocking;
            next = {
              ...current,
              // Approving changes to a published story keeps it published (the update goes out).
              state: current.state === 'published' ? 'published' : 'approved',
              approval: { ...stamp, versionId: version.id, override: blocking.length > 0 ? override : null },
              changedSinceApproval: null,
              updated: stamp,
            };
            if (taken.changedMeanwhile) next.changedSinceApproval = { by: null, at: now() };
            break;
          }
          case 'publish':
            version = await this.snapshotVersion(storyId, 'publish', actor.id, null);
            next = { ...current, state: 'published', published: { ...stamp, versionId: version.id }, updated: stamp };
            break;
          case 'reopen':
            next = { ...current, state: 'draft', updated: stamp };
            break;
        }
        await this.writeDesk(storyId, desk, next);
        return { desk: next, version, blocking };
      }),
    );
  }

  /**
   * Checks the claims and pins the approved state in one go (nothing can change the rooms between
   * the check and the snapshot: both are read synchronously).
   */
  private async approvalVersion(
    storyId: string,
    actorId: string,
    override: { reason: string } | null,
  ): Promise<{ version: VersionSummaryRecord; blocking: BlockingClaim[]; changedMeanwhile: boolean }> {
    return this.withBodyAndNotes(storyId, async (body, notes) => {
      const flat = flattenBody(body.doc.getXmlFragment(YName.body));
      const blocking: BlockingClaim[] = [];
      for (const view of claimViews(readClaims(notes.doc).values(), flat, body.doc)) {
        const reason = claimBlocksApproval(view);
        if (reason !== null) blocking.push({ id: view.id, text: view.text || view.quote, status: view.status, reason });
      }
      if (blocking.length > 0 && override === null) {
        throw new WorkflowRefusal(
          409,
          `${blocking.length} claim${blocking.length === 1 ? '' : 's'} must be verified first (or approve with an override reason)`,
          blocking,
        );
      }
      const record = this.versionRecord(storyId, 'approval', actorId, null, body, notes);
      const pinned = Y.decodeSnapshot(record.bodySnapshot);
      await this.storage.versions.create(record);
      this.state(storyId).authors.clear();
      // The desk is written after this resolves; an edit stored meanwhile must still flag.
      const changedMeanwhile = !Y.equalSnapshots(pinned, Y.snapshot(body.doc));
      return { version: record, blocking, changedMeanwhile };
    });
  }

  private withBodyAndNotes<T>(storyId: string, fn: (body: Room, notes: Room) => Promise<T>): Promise<T> {
    return this.rooms.withRoom({ storyId, part: 'body' }, (body) =>
      this.rooms.withRoom({ storyId, part: 'notes' }, (notes) => fn(body, notes)),
    );
  }

  private versionRecord(
    storyId: string,
    kind: VersionKind,
    createdBy: string | null,
    name: string | null,
    body: Room,
    notes: Room,
  ): VersionRecord {
    const state = this.state(storyId);
    return {
      id: newId(),
      storyId,
      kind,
      name,
      createdBy,
      createdAt: now(),
      authors: [...state.authors],
      bodySnapshot: Y.encodeSnapshot(Y.snapshot(body.doc)),
      notesState: Y.encodeStateAsUpdate(notes.doc),
    };
  }

  private async snapshotVersion(
    storyId: string,
    kind: VersionKind,
    createdBy: string | null,
    name: string | null,
  ): Promise<VersionSummaryRecord> {
    return this.withBodyAndNotes(storyId, async (body, notes) => {
      const record = this.versionRecord(storyId, kind, createdBy, name, body, notes);
      await this.storage.versions.create(record);
      this.state(storyId).authors.clear();
      return record;
    });
  }

  /** A named version, taken now. */
  nameVersion(storyId: string, actorId: string, name: string): Promise<VersionSummaryRecord> {
    return this.serial(storyId, () => this.snapshotVersion(storyId, 'named', actorId, name));
  }

  /** After a pause: a version, when the body changed since the last one. */
  private async takePauseVersion(storyId: string): Promise<void> {
    if (this.closed) return;
    const latest = await this.storage.versions.latest(storyId);
    await this.withBodyAndNotes(storyId, async (body, notes) => {
      if (latest !== null && Y.equalSnapshots(Y.decodeSnapshot(latest.bodySnapshot), Y.snapshot(body.doc))) return;
      const record = this.versionRecord(storyId, 'pause', null, null, body, notes);
      await this.storage.versions.create(record);
      this.state(storyId).authors.clear();
    });
  }

  /** The version an approval-relative request means: the approval in force, else the latest one. */
  async approvalVersionOf(storyId: string): Promise<VersionRecord | null> {
    const desk = await this.desk(storyId);
    if (desk.approval !== null) {
      const pinned = await this.storage.versions.get(storyId, desk.approval.versionId);
      if (pinned !== null) return pinned;
    }
    return this.storage.versions.latest(storyId, 'approval');
  }

  /** What changed in the body and the claims since `version`, with who made each change. */
  async diff(storyId: string, version: VersionRecord): Promise<Omit<DiffAnswer, 'people'>> {
    const since = Y.decodeSnapshot(version.bodySnapshot);
    return this.withBodyAndNotes(storyId, async (body, notes) => {
      const [owners, deletions] = await Promise.all([
        this.storage.documents.clientIdOwners(clientIdsOf(body.doc)),
        this.storage.documents.listDeletions({ storyId, part: 'body' }, version.createdAt),
      ]);
      const { meta, blocks } = diffBody(body.doc, since, attribution(owners, deletions));
      const changes: DiffAnswer['changes'] = [];
      blocks.forEach((block, index) => {
        for (const run of block.runs) if (run.kind !== 'same') changes.push({ ...run, block: index });
      });
      return {
        since: toVersionSummary(version),
        meta: meta as Record<string, DiffRun[]>,
        blocks,
        changes,
        claimChanges: this.claimChanges(body.doc, since, version.notesState, notes.doc),
      };
    });
  }

  private claimChanges(bodyNow: Y.Doc, since: Y.Snapshot, notesThen: Uint8Array, notesNow: Y.Doc): ClaimChange[] {
    const thenNotes = new Y.Doc();
    Y.applyUpdate(thenNotes, notesThen);
    const thenBody = Y.createDocFromSnapshot(bodyNow, since, new Y.Doc({ gc: false }));
    const shown = (claims: Map<string, ClaimRecord>, doc: Y.Doc) =>
      new Map(
        claimViews(claims.values(), flattenBody(doc.getXmlFragment(YName.body)), doc).map((view) => [
          view.id,
          {
            status:
              view.status === 'verified' && view.changedSinceVerified !== null ? 'changed-since-verified' : view.status,
            text: view.text || view.quote,
            by: view.statusBy,
            at: view.statusAt,
          },
        ]),
      );
    const before = shown(readClaims(thenNotes), thenBody);
    const after = shown(readClaims(notesNow), bodyNow);
    const changes: ClaimChange[] = [];
    for (const [id, claim] of after) {
      const earlier = before.get(id);
      if (earlier?.status === claim.status) continue;
      changes.push({
        claimId: id,
        text: claim.text,
        from: earlier?.status ?? null,
        to: claim.status,
        by: claim.by,
        at: claim.at,
      });
    }
    for (const [id, claim] of before) {
      if (!after.has(id))
        changes.push({ claimId: id, text: claim.text, from: claim.status, to: null, by: null, at: null });
    }
    thenNotes.destroy();
    thenBody.destroy();
    return changes;
  }

  /** The story as it was at a version: ProseMirror JSON of the body and the headline fields. */
  async content(
    storyId: string,
    version: VersionRecord,
  ): Promise<{ doc: Record<string, unknown>; meta: Record<MetaField, string> }> {
    return this.rooms.withRoom({ storyId, part: 'body' }, async (body) => {
      const then = Y.createDocFromSnapshot(body.doc, Y.decodeSnapshot(version.bodySnapshot), new Y.Doc({ gc: false }));
      try {
        const doc = yXmlFragmentToProsemirrorJSON(then.getXmlFragment(YName.body)) as Record<string, unknown>;
        const meta = Object.fromEntries(
          META_FIELDS.map((field) => [field, readMetaField(then.getMap(YName.meta), field)]),
        ) as Record<MetaField, string>;
        return { doc, meta };
      } finally {
        then.destroy();
      }
    });
  }

  /**
   * Makes the body what it was at `version`, as a new edit by `actorId` (the smallest change
   * y-prosemirror finds): nothing in history is destroyed, and the restore can itself be undone
   * by restoring the version taken just before it.
   */
  restore(storyId: string, actorId: string, version: VersionRecord): Promise<VersionSummaryRecord> {
    return this.serial(storyId, async () => {
      await this.snapshotVersion(storyId, 'restore', actorId, 'Before restoring an earlier version');
      await this.rooms.withRoom({ storyId, part: 'body' }, async (body) => {
        const then = Y.createDocFromSnapshot(
          body.doc,
          Y.decodeSnapshot(version.bodySnapshot),
          new Y.Doc({ gc: false }),
        );
        let node: ReturnType<typeof yXmlFragmentToProseMirrorRootNode>;
        const meta = new Map(META_FIELDS.map((field) => [field, readMetaField(then.getMap(YName.meta), field)]));
        try {
          node = yXmlFragmentToProseMirrorRootNode(then.getXmlFragment(YName.body), storySchema);
        } catch (error) {
          throw new WorkflowRefusal(409, `That version cannot be restored: ${String(error)}`);
        } finally {
          then.destroy();
        }
        await body.changeAs(actorId, (doc) => {
          updateYFragment(doc, doc.getXmlFragment(YName.body), node, { mapping: new Map(), isOMark: new Map() });
          for (const [field, value] of meta) {
            if (readMetaField(doc.getMap(YName.meta), field) !== value)
              replaceText(metaText(doc.getMap(YName.meta), field), value);
          }
        });
      });
      return this.snapshotVersion(storyId, 'restore', actorId, `Restored the version of ${version.createdAt}`);
    });
  }

  /** Stops timers and waits for work in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const state of this.stories.values()) if (state.pauseTimer !== null) clearTimeout(state.pauseTimer);
    await Promise.allSettled([...this.running]);
  }
}

function needsFlag(desk: DeskState): boolean {
  return (
    desk.approval !== null &&
    (desk.state === 'approved' || desk.state === 'published') &&
    desk.changedSinceApproval === null
  );
}

function now(): string {
  return new Date().toISOString();
}
