/**
 * One live document (one part of one story) held in memory, and the y-websocket protocol spoken
 * with each connection in it. Transport-agnostic: it only sees `CollabConnection`s.
 *
 * The order that makes "nothing typed is lost" true: an incoming update is checked, appended to the
 * store, and only once the store has confirmed it is it applied to the document, whose `update`
 * event then fans the change out to everyone else. An update that cannot be stored is never
 * applied, so nobody ever sees anything the store does not have.
 */
import type { FastifyBaseLogger } from 'fastify';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as authProtocol from 'y-protocols/auth';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { gcEnabledFor } from '../../shared/documentLayout.ts';
import { canWriteRoom } from '../../shared/permissions.ts';
import { CloseCode, MessageType, SyncMessageType } from '../../shared/protocol.ts';
import type { DocKey, DocumentStore } from '../storage/Storage.ts';
import { decodeAwarenessUpdate, encodeAwarenessUpdate, stampIdentity } from './awarenessIdentity.ts';
import type { CollabConnection } from './Connection.ts';
import { inspectUpdate } from './updateNovelty.ts';

/** Transaction origin of changes made by the server itself (API calls, migrations). */
export const SERVER_ORIGIN = Symbol('sourcedesk-server');
/** Origin of changes that another instance stored (or that were healed from storage). */
export const REMOTE_ORIGIN = Symbol('sourcedesk-remote');

/** Where a room sends what other instances must see (set when instances share a bus). */
export interface RoomOutbox {
  update(update: Uint8Array): void;
  awareness(update: Uint8Array): void;
}

interface PendingUpdate {
  /** `null` marks a message that held nothing new: it is only acknowledged, in order. */
  update: Uint8Array | null;
  /** The Yjs client ids that wrote the update's structs (checked against their owners). */
  clientIds: number[];
  /** What it newly deletes, for documents that keep their history (see `UpdateToAppend.deletes`). */
  deletes: Uint8Array | null;
  /** The connection that sent it, or the server. */
  origin: CollabConnection | typeof SERVER_ORIGIN;
  userId: string | null;
  /**
   * The `validate` hook refused it for lacking dependencies while earlier updates were still being
   * stored: it is judged again once they are applied (it may build on them), before it is stored.
   */
  revalidate: boolean;
  /**
   * Already in the document: a change Yjs made by itself while applying others' (it deletes
   * formatting marks made redundant). Stored like any other, then only sent out.
   */
  applied: boolean;
  done: { resolve: () => void; reject: (error: unknown) => void };
}

export interface RoomHooks {
  /** Called after a batch of updates has been stored and applied. */
  afterChange?(room: Room, userIds: (string | null)[]): void;
  /** Called after another instance's update (or a heal from storage) was applied. */
  afterRemoteChange?(room: Room): void;
  /** Called when a connection's update is refused (for the audit log). */
  onRefused?(room: Room, conn: CollabConnection, reason: string): void;
  /**
   * Checks an update the connection may write before it is stored; returns why it is refused, or
   * `null`. A refusal closes the socket with `CloseCode.updateRefused`.
   */
  validate?(room: Room, conn: CollabConnection, update: Uint8Array): string | null;
}

/** Thrown when an update carries structs under a Yjs client id that belongs to another user. */
export class ClientIdTaken extends Error {
  constructor(readonly clientIds: number[]) {
    super(`client id ${clientIds.join(', ')} belongs to another user`);
    this.name = 'ClientIdTaken';
  }
}

/** Rejects an update that was refused (its connection is already closed with `updateRefused`). */
class UpdateRefused extends Error {
  constructor() {
    super('the update was refused');
    this.name = 'UpdateRefused';
  }
}

/** Thrown to reject the updates of a batch that could not be stored. */
export class StorageFailure extends Error {
  constructor(cause: unknown) {
    super('the update could not be stored', { cause });
    this.name = 'StorageFailure';
  }
}

/**
 * Refused updates held per connection until its sync step 2 arrives (count and bytes); past either,
 * the refusal stands at once.
 */
const MAX_HELD_UPDATES = 64;
const MAX_HELD_BYTES = 1024 * 1024;

/**
 * Whether `update` builds on structs or deletes what `doc` does not have (applied, Yjs would keep
 * it pending). Costs a copy of the document: only asked about updates the `validate` hook refused.
 */
function lacksDependencies(doc: Y.Doc, update: Uint8Array): boolean {
  const scratch = new Y.Doc({ gc: doc.gc });
  try {
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(doc));
    Y.applyUpdate(scratch, update);
    return scratch.store.pendingStructs !== null || scratch.store.pendingDs !== null;
  } catch {
    return false;
  } finally {
    scratch.destroy();
  }
}

/** A close frame's reason is limited to 123 bytes. */
function truncateReason(reason: string): string {
  const bytes = new TextEncoder().encode(reason);
  if (bytes.length <= 120) return reason;
  return `${new TextDecoder().decode(bytes.slice(0, 110)).replace(/\uFFFD$/, '')}…`;
}

export class Room {
  readonly name: string;
  readonly doc: Y.Doc;
  readonly awareness: awarenessProtocol.Awareness;
  /** Each connection, with the awareness client ids it has announced. */
  private readonly connections = new Map<CollabConnection, Set<number>>();
  /** Which connection announced each awareness client id. */
  private readonly awarenessOwners = new Map<number, CollabConnection>();
  /** Awareness client ids announced through another instance (no local connection may claim them). */
  private readonly remoteAwareness = new Set<number>();
  /** Set by the room manager when instances share a bus. */
  outbox: RoomOutbox | null = null;
  private healing: Promise<void> | null = null;
  /** Updates refused since the room loaded (for tests and metrics). */
  refusedUpdates = 0;
  /** Client ids already checked to belong to a user (ownership never changes). */
  private readonly clientOwners = new Map<number, string>();
  private queue: PendingUpdate[] = [];
  /**
   * Connections closed for an update refused when its turn came: what they sent after it (already
   * queued) is dropped, not stored. What they sent before it was judged on its own.
   */
  private readonly refusedConnections = new WeakSet<CollabConnection>();
  /**
   * Connections that started the sync handshake (sent their step 1) and whose step 2 (their answer
   * to ours: everything they changed while away) has not arrived yet, with the updates held until
   * it does because they build on something the room lacks. A stock provider sends a new change the
   * moment its socket opens, before that step 2, and the change may build on what it carries.
   */
  private readonly catchingUp = new Map<CollabConnection, { updates: Uint8Array[]; bytes: number }>();
  /** Connections whose sync step 2 has arrived. */
  private readonly caughtUp = new WeakSet<CollabConnection>();
  private flushing: Promise<void> | null = null;
  /** Sequence number of the last stored update that is applied to `doc`. */
  lastSeq: number;
  /** Stored log entries not yet folded into a snapshot. */
  logTail: number;
  private destroyed = false;

  private constructor(
    readonly key: DocKey,
    private readonly store: DocumentStore,
    private readonly log: FastifyBaseLogger,
    private readonly hooks: RoomHooks,
    lastSeq: number,
    logTail: number,
    doc: Y.Doc,
  ) {
    this.name = `${key.storyId}/${key.part}`;
    this.doc = doc;
    this.lastSeq = lastSeq;
    this.logTail = logTail;
    this.awareness = new awarenessProtocol.Awareness(doc);
    // The server is not a participant: it must not show up as a cursor.
    this.awareness.setLocalState(null);
    this.doc.on('update', this.broadcastDocUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
  }

  /** Loads a document from its snapshot and log tail. */
  static async load(key: DocKey, store: DocumentStore, log: FastifyBaseLogger, hooks: RoomHooks = {}): Promise<Room> {
    const stored = await store.loadDocument(key);
    const doc = new Y.Doc({ gc: gcEnabledFor(key.part) });
    Y.transact(doc, () => {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
      for (const entry of stored.updates) Y.applyUpdate(doc, entry.data);
    });
    const lastSeq = stored.updates.reduce((max, entry) => Math.max(max, entry.seq), stored.snapshotSeq);
    return new Room(key, store, log, hooks, lastSeq, stored.updates.length, doc);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Adds a connection and starts the sync handshake (our step 1, and who else is here). */
  join(conn: CollabConnection): void {
    if (this.destroyed) throw new RangeError(`Room ${this.name} is closed`);
    this.connections.set(conn, new Set());
    const step1 = encoding.createEncoder();
    encoding.writeVarUint(step1, MessageType.sync);
    encoding.writeVarUint(step1, SyncMessageType.step1);
    encoding.writeVarUint8Array(step1, Y.encodeStateVector(this.doc));
    conn.send(encoding.toUint8Array(step1));
    const states = this.awareness.getStates();
    if (states.size > 0) conn.send(this.awarenessMessage([...states.keys()]));
  }

  /** Removes a connection and the presence it announced, so no ghost cursor stays behind. */
  leave(conn: CollabConnection): void {
    const clientIds = this.connections.get(conn);
    if (clientIds === undefined) return;
    this.connections.delete(conn);
    this.catchingUp.delete(conn);
    if (clientIds.size > 0) awarenessProtocol.removeAwarenessStates(this.awareness, [...clientIds], null);
  }

  /**
   * Handles one binary message from a connection. Malformed input closes that connection only.
   */
  receive(conn: CollabConnection, message: Uint8Array): void {
    if (!this.connections.has(conn)) return;
    try {
      this.dispatch(conn, message);
    } catch (error) {
      this.log.warn({ err: error, room: this.name, conn: conn.id }, 'malformed collaboration message');
      this.drop(conn, CloseCode.badMessage, 'malformed message');
    }
  }

  private dispatch(conn: CollabConnection, message: Uint8Array): void {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync: {
        const syncType = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (syncType === SyncMessageType.step1) {
          if (!this.caughtUp.has(conn) && !this.catchingUp.has(conn))
            this.catchingUp.set(conn, { updates: [], bytes: 0 });
          const reply = encoding.createEncoder();
          encoding.writeVarUint(reply, MessageType.sync);
          encoding.writeVarUint(reply, SyncMessageType.step2);
          encoding.writeVarUint8Array(reply, Y.encodeStateAsUpdate(this.doc, payload));
          conn.send(encoding.toUint8Array(reply));
        } else if (syncType === SyncMessageType.step2) {
          const held = this.catchingUp.get(conn);
          this.catchingUp.delete(conn);
          this.caughtUp.add(conn);
          this.receiveUpdate(conn, payload);
          // Judged again now that what they may build on is queued before them.
          for (const update of held?.updates ?? []) {
            if (this.connections.has(conn)) this.receiveUpdate(conn, update);
          }
        } else if (syncType === SyncMessageType.update) {
          this.receiveUpdate(conn, payload);
        } else {
          throw new RangeError(`unknown sync message type ${syncType}`);
        }
        return;
      }
      case MessageType.awareness: {
        // A connection speaks only for awareness client ids that no other connection has claimed,
        // and always under its own session's identity.
        const entries = decodeAwarenessUpdate(decoding.readVarUint8Array(decoder)).filter((entry) => {
          const owner = this.awarenessOwners.get(entry.clientID);
          return (owner === undefined && !this.remoteAwareness.has(entry.clientID)) || owner === conn;
        });
        if (entries.length === 0) return;
        const update = encodeAwarenessUpdate(stampIdentity(entries, { ...conn.user, role: conn.role }));
        awarenessProtocol.applyAwarenessUpdate(this.awareness, update, conn);
        return;
      }
      case MessageType.queryAwareness:
        conn.send(this.awarenessMessage([...this.awareness.getStates().keys()]));
        return;
      case MessageType.auth:
        // Authentication happens at upgrade; the y-protocols auth message carries nothing we accept.
        return;
      default:
        throw new RangeError(`unknown message type ${type}`);
    }
  }

  private receiveUpdate(conn: CollabConnection, update: Uint8Array): void {
    const { adds, clientIds, deletes } = inspectUpdate(this.doc, update, this.keepsHistory);
    if (adds && !canWriteRoom(conn.role, this.key.part)) {
      this.refuse(conn, `a ${conn.role} cannot change the ${this.key.part} of this story`);
      return;
    }
    let revalidate = false;
    if (adds) {
      const refusal = this.hooks.validate?.(this, conn, update) ?? null;
      if (refusal !== null) {
        // An update that builds on something the room lacks may build on what is on its way: the
        // sender's sync step 2, or its earlier updates still being stored.
        const incomplete = lacksDependencies(this.doc, update);
        const held = incomplete ? this.catchingUp.get(conn) : undefined;
        if (
          held !== undefined &&
          held.updates.length < MAX_HELD_UPDATES &&
          held.bytes + update.length <= MAX_HELD_BYTES
        ) {
          held.updates.push(update);
          held.bytes += update.length;
          return;
        }
        // Judged again in its turn, once the updates queued before it are applied.
        if (incomplete && this.flushing !== null) revalidate = true;
        else {
          this.refuseUpdate(conn, refusal);
          return;
        }
      }
    }
    if (!adds) {
      if (!conn.wantsAcks) return;
      // Acknowledge in order: only once the sender's earlier updates are stored.
      if (this.flushing === null) this.sendAck(conn);
      else this.enqueue(null, conn, conn.user.id, [], null).catch(() => undefined);
      return;
    }
    this.enqueue(update, conn, conn.user.id, clientIds, deletes, { revalidate }).catch((error: unknown) => {
      if (error instanceof UpdateRefused) return;
      if (error instanceof ClientIdTaken) {
        this.refusedUpdates += 1;
        this.hooks.onRefused?.(this, conn, error.message);
        this.drop(conn, CloseCode.updateRefused, 'client id belongs to another user');
        return;
      }
      // The update was not stored, so it was not applied either: tell the sender to resync later.
      // Its client still holds the change and sends it again on reconnect.
      this.log.error({ err: error, room: this.name, conn: conn.id }, 'update not stored');
      this.drop(conn, CloseCode.storageUnavailable, 'update could not be stored; retrying');
    });
  }

  /** Refuses an update the `validate` hook rejected: counted, audited, the socket closed with 4422. */
  private refuseUpdate(conn: CollabConnection, reason: string): void {
    this.refusedUpdates += 1;
    this.hooks.onRefused?.(this, conn, reason);
    this.drop(conn, CloseCode.updateRefused, truncateReason(reason));
  }

  /**
   * Drops an update the connection may not make: counted, reported to the hook (audit), and
   * answered with y-protocols' permission-denied message, which stock providers show. The socket
   * stays open: the client may still read.
   */
  private refuse(conn: CollabConnection, reason: string): void {
    this.refusedUpdates += 1;
    this.hooks.onRefused?.(this, conn, reason);
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.auth);
    authProtocol.writePermissionDenied(encoder, reason);
    conn.send(encoding.toUint8Array(encoder));
  }

  /** Every connection in the room. */
  get connectionList(): CollabConnection[] {
    return [...this.connections.keys()];
  }

  /** The connections of one user (for membership changes). */
  connectionsOf(userId: string): CollabConnection[] {
    return [...this.connections.keys()].filter((conn) => conn.user.id === userId);
  }

  private sendAck(conn: CollabConnection): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.savedAck);
    conn.send(encoding.toUint8Array(encoder));
  }

  /**
   * Applies a change made by the server (for API calls) through the same path as a client's update:
   * stored first, then applied and sent to every connection. Resolves once stored and applied.
   */
  async change(fn: (doc: Y.Doc) => void): Promise<void> {
    await this.changeAs(null, fn);
  }

  /** Whether the document keeps deleted content (and so who deleted what). */
  private get keepsHistory(): boolean {
    return !this.doc.gc;
  }

  /**
   * A change made by the server on behalf of `userId` (a restore, say): written under a fresh Yjs
   * client id that becomes theirs, so history names them as its author. `null`: the server's own.
   */
  async changeAs(userId: string | null, fn: (doc: Y.Doc) => void): Promise<void> {
    const scratch = new Y.Doc({ gc: this.doc.gc });
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(this.doc));
    let update = null as Uint8Array | null;
    scratch.on('update', (made: Uint8Array) => {
      update = made;
    });
    Y.transact(scratch, () => fn(scratch), SERVER_ORIGIN);
    scratch.destroy();
    if (update === null) return;
    const deletes = this.keepsHistory ? inspectUpdate(this.doc, update, true).deletes : null;
    // The server's own changes are exempt from client id ownership; a change on someone's behalf
    // claims its fresh client id for them.
    await this.enqueue(update, SERVER_ORIGIN, userId, userId === null ? [] : [scratch.clientID], deletes);
  }

  private enqueue(
    update: Uint8Array | null,
    origin: PendingUpdate['origin'],
    userId: string | null,
    clientIds: number[],
    deletes: Uint8Array | null,
    { revalidate = false, applied = false }: { revalidate?: boolean; applied?: boolean } = {},
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ update, origin, userId, clientIds, deletes, revalidate, applied, done: { resolve, reject } });
      this.flushing ??= this.flush();
    });
  }

  /**
   * Stores queued updates in batches (one transaction each: a group commit), then applies them in
   * arrival order. Runs until the queue is empty; updates arriving meanwhile form the next batch.
   */
  private async flush(): Promise<void> {
    // Let messages that arrived in the same tick join this batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    /** Senders whose updates could not be stored in this flush. */
    const notStored = new Set<PendingUpdate['origin']>();
    while (this.queue.length > 0) {
      const queued = this.queue;
      this.queue = [];
      const batch: PendingUpdate[] = [];
      for (const [index, pending] of queued.entries()) {
        if (pending.origin !== SERVER_ORIGIN && this.refusedConnections.has(pending.origin)) {
          // Sent after a refused update of the same connection, which it may build on.
          pending.done.reject(new UpdateRefused());
          continue;
        }
        if (pending.revalidate && pending.origin !== SERVER_ORIGIN && pending.update !== null) {
          if (notStored.has(pending.origin)) {
            // What it builds on may be what failed: the client resends both (not a refusal).
            pending.done.reject(new StorageFailure(new Error('an earlier update was not stored')));
            continue;
          }
          if (batch.some((earlier) => earlier.update !== null)) {
            // Judged once the updates before it are applied: the next batch starts with it.
            this.queue = queued.slice(index).concat(this.queue);
            break;
          }
          const refusal = this.hooks.validate?.(this, pending.origin, pending.update) ?? null;
          if (refusal !== null) {
            this.refusedConnections.add(pending.origin);
            this.refuseUpdate(pending.origin, refusal);
            pending.done.reject(new UpdateRefused());
            continue;
          }
        }
        let foreign: number[];
        try {
          foreign = await this.foreignClientIds(pending);
        } catch (error) {
          pending.done.reject(error);
          continue;
        }
        if (foreign.length > 0) pending.done.reject(new ClientIdTaken(foreign));
        else batch.push(pending);
      }
      const updates = batch.filter((pending) => pending.update !== null);
      if (updates.length > 0) {
        try {
          this.lastSeq = await this.store.appendUpdates(
            this.key,
            updates.map((pending) => ({
              data: pending.update as Uint8Array,
              userId: pending.userId,
              ...(pending.deletes === null ? {} : { deletes: pending.deletes }),
            })),
          );
          this.logTail += updates.length;
        } catch (error) {
          const failure = new StorageFailure(error);
          const failed = new Set(updates.map((pending) => pending.origin));
          for (const origin of failed) notStored.add(origin);
          for (const pending of batch) {
            if (failed.has(pending.origin)) pending.done.reject(failure);
            else this.settle(pending);
          }
          continue;
        }
      }
      // Stored: now other instances may see them too.
      if (this.outbox !== null) for (const pending of updates) this.outbox.update(pending.update as Uint8Array);
      for (const pending of batch) {
        if (pending.applied && pending.update !== null) this.sendUpdate(pending.update, null);
        else if (pending.update !== null) {
          try {
            Y.applyUpdate(this.doc, pending.update, pending.origin);
          } catch (error) {
            // Decoding was checked on arrival, so this is a bug, not bad input; keep the others going.
            this.log.error({ err: error, room: this.name }, 'stored update failed to apply');
            pending.done.reject(error);
            continue;
          }
        }
        this.settle(pending);
      }
      if (updates.length > 0) {
        this.hooks.afterChange?.(
          this,
          updates.map((pending) => pending.userId),
        );
      }
    }
    this.flushing = null;
  }

  /**
   * The client ids in a user's update that belong to someone else; records the new ones as the
   * user's. Makes "who wrote this" in history trustworthy. The server's own changes are exempt.
   */
  private async foreignClientIds(pending: PendingUpdate): Promise<number[]> {
    if (pending.update === null || pending.userId === null) return [];
    const userId = pending.userId;
    const unknown = pending.clientIds.filter((id) => this.clientOwners.get(id) !== userId);
    if (unknown.length === 0) return [];
    let foreign: number[];
    try {
      foreign = await this.store.claimClientIds(userId, unknown);
    } catch (error) {
      throw new StorageFailure(error);
    }
    for (const id of unknown) if (!foreign.includes(id)) this.clientOwners.set(id, userId);
    return foreign;
  }

  private settle(pending: PendingUpdate): void {
    if (pending.origin !== SERVER_ORIGIN && pending.origin.wantsAcks && this.connections.has(pending.origin)) {
      this.sendAck(pending.origin);
    }
    pending.done.resolve();
  }

  /** Applies an update another instance stored (it is not stored again, nor sent back out). */
  applyRemote(update: Uint8Array): void {
    if (this.destroyed) return;
    try {
      Y.applyUpdate(this.doc, update, REMOTE_ORIGIN);
    } catch (error) {
      this.log.warn({ err: error, room: this.name }, 'update from another instance failed to apply');
      return;
    }
    this.hooks.afterRemoteChange?.(this);
  }

  /** Applies awareness changes announced through another instance. */
  applyRemoteAwareness(update: Uint8Array): void {
    if (this.destroyed) return;
    try {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, REMOTE_ORIGIN);
    } catch (error) {
      this.log.warn({ err: error, room: this.name }, 'awareness from another instance failed to apply');
    }
  }

  /** Whether a state vector (another instance's) holds anything this room lacks. */
  lacksAnythingOf(stateVector: Uint8Array): boolean {
    for (const [client, clock] of Y.decodeStateVector(stateVector)) {
      if (clock > Y.getState(this.doc.store, client)) return true;
    }
    return false;
  }

  /**
   * Applies everything storage holds for this document: what another instance stored and published
   * while this one was not listening (a Redis restart) is there, because updates are stored first.
   */
  healFromStore(): Promise<void> {
    this.healing ??= (async () => {
      try {
        const stored = await this.store.loadDocument(this.key);
        if (this.destroyed) return;
        Y.transact(
          this.doc,
          () => {
            if (stored.snapshot) Y.applyUpdate(this.doc, stored.snapshot);
            for (const entry of stored.updates) Y.applyUpdate(this.doc, entry.data);
          },
          REMOTE_ORIGIN,
        );
        this.hooks.afterRemoteChange?.(this);
      } finally {
        this.healing = null;
      }
    })();
    return this.healing;
  }

  /** Resolves when every update received so far has been stored (or refused). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Folds the document into a snapshot and drops the log entries it covers. */
  async compact(): Promise<void> {
    await this.settled();
    if (this.logTail === 0) return;
    const seq = this.lastSeq;
    const tail = this.logTail;
    await this.store.saveSnapshot(this.key, Y.encodeStateAsUpdate(this.doc), seq);
    // Updates stored while the snapshot was written stay in the tail.
    this.logTail = Math.max(0, this.logTail - tail);
  }

  /** Closes every connection with `code` and releases the document. */
  destroy(code: number = CloseCode.goingAway, reason = 'room closed'): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const conn of [...this.connections.keys()]) this.drop(conn, code, reason);
    this.doc.off('update', this.broadcastDocUpdate);
    this.awareness.destroy();
    this.doc.destroy();
  }

  private drop(conn: CollabConnection, code: number, reason: string): void {
    this.leave(conn);
    conn.close(code, reason);
  }

  private readonly broadcastDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === null || origin === undefined) {
      // Every change here comes with an origin, except one Yjs made by itself while applying an
      // update (it deletes formatting marks made redundant). Durable before visible holds for it
      // too: stored first, sent out after (else a restart forgets what clients already have).
      this.enqueue(update, SERVER_ORIGIN, null, [], null, { applied: true }).catch((error: unknown) =>
        this.log.error({ err: error, room: this.name }, 'a change made by Yjs could not be stored'),
      );
      return;
    }
    this.sendUpdate(update, origin);
  };

  /** Sends an update to every connection but `except` (its sender). */
  private sendUpdate(update: Uint8Array, except: unknown): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.sync);
    encoding.writeVarUint(encoder, SyncMessageType.update);
    encoding.writeVarUint8Array(encoder, update);
    const message = encoding.toUint8Array(encoder);
    for (const conn of this.connections.keys()) {
      if (conn !== except) conn.send(message);
    }
  }

  private readonly onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const changed = [...added, ...updated, ...removed];
    if (origin === REMOTE_ORIGIN) {
      for (const id of added) this.remoteAwareness.add(id);
    } else if (this.outbox !== null && changed.length > 0) {
      this.outbox.awareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed));
    }
    for (const id of removed) this.remoteAwareness.delete(id);
    const conn = origin as CollabConnection;
    const owned = this.connections.get(conn);
    if (owned !== undefined) {
      for (const id of added) {
        owned.add(id);
        this.awarenessOwners.set(id, conn);
      }
    }
    for (const id of removed) {
      const owner = this.awarenessOwners.get(id);
      this.connections.get(owner as CollabConnection)?.delete(id);
      this.awarenessOwners.delete(id);
    }
    const message = this.awarenessMessage(changed);
    // Sent to the sender too: the stock provider treats silence as a dead connection.
    for (const conn of this.connections.keys()) conn.send(message);
  };

  private awarenessMessage(clientIds: number[]): Uint8Array {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MessageType.awareness);
    encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(this.awareness, clientIds));
    return encoding.toUint8Array(encoder);
  }
}
