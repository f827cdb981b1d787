/**
 * The storage seam. Everything the server keeps goes through this interface, so the embedded
 * SQLite store and a PostgreSQL store (several instances) are interchangeable. Every method is
 * async even where SQLite is synchronous, because a networked store is not.
 */
import type { Role, WorkflowState } from '../../shared/api.ts';
import type { StoryPart } from '../../shared/documentLayout.ts';
import type { VersionKind } from '../../shared/workflow.ts';

/** Identifies one live document: one part of one story. */
export interface DocKey {
  storyId: string;
  part: StoryPart;
}

/** One update as it is appended to a document's log. */
export interface UpdateToAppend {
  data: Uint8Array;
  /** The user whose client sent it, or `null` for the server itself. */
  userId: string | null;
  /**
   * The part of its delete set that removed content the document still showed, encoded as a Yjs
   * snapshot with an empty state vector; stored beside the update (same transaction) because Yjs
   * records no author for a deletion. Omitted when it deletes nothing new.
   */
  deletes?: Uint8Array;
}

/** Who removed what: one stored `UpdateToAppend.deletes`. */
export interface DeletionRecord {
  userId: string | null;
  at: string;
  data: Uint8Array;
}

/** What is needed to rebuild a document: the latest snapshot plus the log written after it. */
export interface StoredDocument {
  snapshot: Uint8Array | null;
  /** Sequence number of the last log entry folded into `snapshot` (0 when there is none). */
  snapshotSeq: number;
  /** Log entries after the snapshot, in the order they were accepted. */
  updates: { seq: number; data: Uint8Array }[];
}

export interface DocumentStore {
  /**
   * Appends updates to a document's log in one transaction. When the promise resolves they are
   * durable; only then may anyone else see them. Resolves to the sequence number of the last one.
   */
  appendUpdates(key: DocKey, updates: UpdateToAppend[]): Promise<number>;
  /** Reads the snapshot and the log tail; an unknown document is empty, not an error. */
  loadDocument(key: DocKey): Promise<StoredDocument>;
  /**
   * Replaces the snapshot with `state` (the whole document up to `uptoSeq`) and drops the log
   * entries it covers, atomically. A snapshot older than the stored one is ignored.
   */
  saveSnapshot(key: DocKey, state: Uint8Array, uptoSeq: number): Promise<void>;
  /** How many log entries follow the snapshot (decides when to compact). */
  countLogTail(key: DocKey): Promise<number>;
  /**
   * Records `userId` as the owner of each Yjs client id it has not been seen with before; returns
   * the ids that already belong to someone else.
   */
  claimClientIds(userId: string, clientIds: number[]): Promise<number[]>;
  /** The owners of those client ids that have one. */
  clientIdOwners(clientIds: number[]): Promise<Map<number, string>>;
  /** The deletions stored for a document at or after `since` (ISO time), oldest first. */
  listDeletions(key: DocKey, since: string): Promise<DeletionRecord[]>;
}

export interface UserRecord {
  id: string;
  username: string;
  name: string;
  passwordHash: string;
  /** Cursor and avatar colour, chosen at creation so that colleagues rarely share one. */
  color: string;
  isAdmin: boolean;
  createdAt: string;
}

export interface UserStore {
  create(user: UserRecord): Promise<void>;
  findByUsername(username: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Everyone, by username. */
  list(): Promise<UserRecord[]>;
  count(): Promise<number>;
}

export interface SessionStore {
  /** Stores a session under the hash of its secret (the secret itself is never stored). */
  create(tokenHash: string, userId: string, expiresAt: Date): Promise<void>;
  /** The user id of a live session, or `null` when unknown or expired. */
  findUserId(tokenHash: string, now: Date): Promise<string | null>;
  delete(tokenHash: string): Promise<void>;
}

export interface ApiTokenRecord {
  id: string;
  userId: string;
  name: string;
  createdAt: string;
}

export interface ApiTokenStore {
  create(record: ApiTokenRecord, tokenHash: string): Promise<void>;
  /** The token (id and user) behind a hash, unless revoked; `null` otherwise. */
  find(tokenHash: string): Promise<{ id: string; userId: string } | null>;
  listForUser(userId: string): Promise<ApiTokenRecord[]>;
  revoke(id: string, userId: string, at: Date): Promise<boolean>;
}

export interface StoryRecord {
  id: string;
  title: string;
  /** Claims by status (as the listing shows them), kept up to date by the server. */
  claimCounts?: Record<string, number>;
  /** The desk document's state, projected for the listing. */
  workflowState?: WorkflowState;
  changedSinceApproval?: boolean;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface StoryWithRole extends StoryRecord {
  role: Role;
}

export interface StoryStore {
  /** Creates a story and makes `createdBy` its editor. */
  create(story: StoryRecord): Promise<void>;
  get(id: string): Promise<StoryRecord | null>;
  /** Stories the user is a member of, newest change first. */
  listForUser(userId: string): Promise<StoryWithRole[]>;
  /** Every story (for newsroom admins), with `editor` as the effective role. */
  listAll(): Promise<StoryWithRole[]>;
  roleOf(storyId: string, userId: string): Promise<Role | null>;
  setMember(storyId: string, userId: string, role: Role): Promise<void>;
  /** Removes a member; returns false when they were not on the story. */
  removeMember(storyId: string, userId: string): Promise<boolean>;
  /** How many editors a story has. */
  countEditors(storyId: string): Promise<number>;
  /** Keeps the listing's title and change time in step with the live document. */
  touch(id: string, updatedAt: string, title?: string): Promise<void>;
  setClaimCounts(id: string, counts: Record<string, number>): Promise<void>;
  setWorkflow(id: string, state: WorkflowState, changedSinceApproval: boolean): Promise<void>;
}

/** A pinned state of a story: the body as a Yjs snapshot (the body keeps its history), the notes whole. */
export interface VersionRecord {
  id: string;
  storyId: string;
  kind: VersionKind;
  name: string | null;
  /** Who made it (`null`: automatic). */
  createdBy: string | null;
  createdAt: string;
  /** Who changed the body since the previous version. */
  authors: string[];
  /** `Y.encodeSnapshot` of the body document. */
  bodySnapshot: Uint8Array;
  /** `Y.encodeStateAsUpdate` of the notes document (it collects garbage, so a snapshot is not enough). */
  notesState: Uint8Array;
}

export type VersionSummaryRecord = Omit<VersionRecord, 'bodySnapshot' | 'notesState'>;

export interface VersionStore {
  create(version: VersionRecord): Promise<void>;
  /** A story's versions, newest first. */
  list(storyId: string): Promise<VersionSummaryRecord[]>;
  get(storyId: string, id: string): Promise<VersionRecord | null>;
  /** The newest version (of one kind, when given). */
  latest(storyId: string, kind?: VersionKind): Promise<VersionRecord | null>;
}

export interface AuditEntry {
  seq: number;
  storyId: string | null;
  userId: string | null;
  /** What happened, e.g. `login`, `member-set`, `claim-status`, `write-refused`. */
  action: string;
  detail: Record<string, unknown>;
  at: string;
}

/** The append-only audit trail. */
export interface AuditStore {
  append(entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<void>;
  /** A story's entries, oldest first, after `afterSeq`. */
  listForStory(storyId: string, afterSeq?: number, limit?: number): Promise<AuditEntry[]>;
}

/** All of the server's persistent state. */
export interface Storage {
  readonly documents: DocumentStore;
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly tokens: ApiTokenStore;
  readonly stories: StoryStore;
  readonly audit: AuditStore;
  readonly versions: VersionStore;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
