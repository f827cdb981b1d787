/**
 * The embedded default store: one SQLite file in WAL mode with `synchronous = FULL`, so a
 * committed update survives a crash of the process and of the machine.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Role, WorkflowState } from '../../shared/api.ts';
import type { VersionKind } from '../../shared/workflow.ts';
import { MIGRATIONS } from './migrations.ts';
import type {
  ApiTokenRecord,
  ApiTokenStore,
  AuditEntry,
  AuditStore,
  DeletionRecord,
  DocKey,
  DocumentStore,
  SessionStore,
  Storage,
  StoredDocument,
  StoryRecord,
  StoryStore,
  StoryWithRole,
  UpdateToAppend,
  UserRecord,
  UserStore,
  VersionRecord,
  VersionStore,
  VersionSummaryRecord,
} from './Storage.ts';

type Db = Database.Database;

interface UserRow {
  id: string;
  username: string;
  name: string;
  password_hash: string;
  color: string;
  is_admin: number;
  created_at: string;
}

interface StoryRow {
  id: string;
  title: string;
  claim_counts: string;
  workflow_state: WorkflowState;
  changed_since_approval: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    passwordHash: row.password_hash,
    color: row.color,
    isAdmin: row.is_admin === 1,
    createdAt: row.created_at,
  };
}

function parseCounts(json: string): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object') return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
    );
  } catch {
    return {};
  }
}

function toStory(row: StoryRow): StoryRecord {
  return {
    id: row.id,
    title: row.title,
    claimCounts: parseCounts(row.claim_counts),
    workflowState: row.workflow_state,
    changedSinceApproval: row.changed_since_approval === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const apply = db.transaction((version: number, sql: string) => {
    db.exec(sql.replaceAll('{blob}', 'BLOB').replaceAll('{serial}', 'INTEGER PRIMARY KEY AUTOINCREMENT'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
      version,
      new Date().toISOString(),
    );
  });
  MIGRATIONS.forEach((sql, index) => {
    const version = index + 1;
    if (version > current) apply(version, sql);
  });
}

class SqliteDocumentStore implements DocumentStore {
  private readonly insert;
  private readonly selectSnapshot;
  private readonly selectTail;
  private readonly countTail;
  private readonly appendMany;
  private readonly replaceSnapshot;

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO doc_updates (story_id, part, user_id, created_at, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.selectSnapshot = db.prepare('SELECT upto_seq, data FROM doc_snapshots WHERE story_id = ? AND part = ?');
    this.selectTail = db.prepare(
      'SELECT seq, data FROM doc_updates WHERE story_id = ? AND part = ? AND seq > ? ORDER BY seq',
    );
    this.countTail = db.prepare('SELECT COUNT(*) AS n FROM doc_updates WHERE story_id = ? AND part = ? AND seq > ?');
    const insertDeletion = db.prepare(
      'INSERT INTO doc_deletions (story_id, part, user_id, created_at, data) VALUES (?, ?, ?, ?, ?)',
    );
    this.appendMany = db.transaction((key: DocKey, updates: UpdateToAppend[]): number => {
      const now = new Date().toISOString();
      let last = 0;
      for (const update of updates) {
        const info = this.insert.run(key.storyId, key.part, update.userId, now, update.data);
        last = Number(info.lastInsertRowid);
        if (update.deletes !== undefined) {
          insertDeletion.run(key.storyId, key.part, update.userId, now, update.deletes);
        }
      }
      return last;
    });
    const upsert = db.prepare(
      `INSERT INTO doc_snapshots (story_id, part, upto_seq, data, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (story_id, part) DO UPDATE SET upto_seq = excluded.upto_seq, data = excluded.data,
         updated_at = excluded.updated_at
       WHERE excluded.upto_seq > doc_snapshots.upto_seq`,
    );
    const dropCovered = db.prepare('DELETE FROM doc_updates WHERE story_id = ? AND part = ? AND seq <= ?');
    this.replaceSnapshot = db.transaction((key: DocKey, state: Uint8Array, uptoSeq: number) => {
      const info = upsert.run(key.storyId, key.part, uptoSeq, state, new Date().toISOString());
      if (info.changes > 0) dropCovered.run(key.storyId, key.part, uptoSeq);
    });
  }

  async appendUpdates(key: DocKey, updates: UpdateToAppend[]): Promise<number> {
    if (updates.length === 0) throw new RangeError('appendUpdates needs at least one update');
    return this.appendMany(key, updates);
  }

  async loadDocument(key: DocKey): Promise<StoredDocument> {
    const snap = this.selectSnapshot.get(key.storyId, key.part) as { upto_seq: number; data: Buffer } | undefined;
    const snapshotSeq = snap ? Number(snap.upto_seq) : 0;
    const rows = this.selectTail.all(key.storyId, key.part, snapshotSeq) as { seq: number; data: Buffer }[];
    return {
      snapshot: snap ? new Uint8Array(snap.data) : null,
      snapshotSeq,
      updates: rows.map((row) => ({ seq: Number(row.seq), data: new Uint8Array(row.data) })),
    };
  }

  async saveSnapshot(key: DocKey, state: Uint8Array, uptoSeq: number): Promise<void> {
    this.replaceSnapshot(key, state, uptoSeq);
  }

  async claimClientIds(userId: string, clientIds: number[]): Promise<number[]> {
    return this.claimIds(userId, clientIds);
  }

  private readonly claimIds = (userId: string, clientIds: number[]): number[] => {
    const db = this.db;
    return db.transaction(() => {
      const foreign: number[] = [];
      const insert = db.prepare('INSERT OR IGNORE INTO client_ids (client_id, user_id, first_seen) VALUES (?, ?, ?)');
      const owner = db.prepare('SELECT user_id FROM client_ids WHERE client_id = ?');
      const now = new Date().toISOString();
      for (const id of clientIds) {
        insert.run(id, userId, now);
        const row = owner.get(id) as { user_id: string };
        if (row.user_id !== userId) foreign.push(id);
      }
      return foreign;
    })();
  };

  async clientIdOwners(clientIds: number[]): Promise<Map<number, string>> {
    const owners = new Map<number, string>();
    // SQLite limits bound parameters per statement; ask in slices.
    for (let start = 0; start < clientIds.length; start += 500) {
      const slice = clientIds.slice(start, start + 500);
      const rows = this.db
        .prepare(`SELECT client_id, user_id FROM client_ids WHERE client_id IN (${slice.map(() => '?').join(',')})`)
        .all(...slice) as { client_id: number; user_id: string }[];
      for (const row of rows) owners.set(Number(row.client_id), row.user_id);
    }
    return owners;
  }

  async listDeletions(key: DocKey, since: string): Promise<DeletionRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT user_id, created_at, data FROM doc_deletions
         WHERE story_id = ? AND part = ? AND created_at >= ? ORDER BY seq`,
      )
      .all(key.storyId, key.part, since) as { user_id: string | null; created_at: string; data: Buffer }[];
    return rows.map((row) => ({ userId: row.user_id, at: row.created_at, data: new Uint8Array(row.data) }));
  }

  async countLogTail(key: DocKey): Promise<number> {
    const snap = this.selectSnapshot.get(key.storyId, key.part) as { upto_seq: number } | undefined;
    const row = this.countTail.get(key.storyId, key.part, snap ? Number(snap.upto_seq) : 0) as { n: number };
    return row.n;
  }
}

class SqliteUserStore implements UserStore {
  constructor(private readonly db: Db) {}

  async create(user: UserRecord): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO users (id, username, name, password_hash, color, is_admin, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(user.id, user.username, user.name, user.passwordHash, user.color, user.isAdmin ? 1 : 0, user.createdAt);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  async list(): Promise<UserRecord[]> {
    return (this.db.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map(toUser);
  }

  async count(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }
}

class SqliteSessionStore implements SessionStore {
  constructor(private readonly db: Db) {}

  async create(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    this.db
      .prepare('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES (?, ?, ?)')
      .run(tokenHash, userId, expiresAt.toISOString());
  }

  async findUserId(tokenHash: string, now: Date): Promise<string | null> {
    const row = this.db
      .prepare('SELECT user_id FROM sessions WHERE token_hash = ? AND expires_at > ?')
      .get(tokenHash, now.toISOString()) as { user_id: string } | undefined;
    return row?.user_id ?? null;
  }

  async delete(tokenHash: string): Promise<void> {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }
}

class SqliteApiTokenStore implements ApiTokenStore {
  constructor(private readonly db: Db) {}

  async create(record: ApiTokenRecord, tokenHash: string): Promise<void> {
    this.db
      .prepare('INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(record.id, record.userId, record.name, tokenHash, record.createdAt);
  }

  async find(tokenHash: string): Promise<{ id: string; userId: string } | null> {
    const row = this.db
      .prepare('SELECT id, user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL')
      .get(tokenHash) as { id: string; user_id: string } | undefined;
    return row ? { id: row.id, userId: row.user_id } : null;
  }

  async listForUser(userId: string): Promise<ApiTokenRecord[]> {
    const rows = this.db
      .prepare(
        'SELECT id, user_id, name, created_at FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at',
      )
      .all(userId) as { id: string; user_id: string; name: string; created_at: string }[];
    return rows.map((row) => ({ id: row.id, userId: row.user_id, name: row.name, createdAt: row.created_at }));
  }

  async revoke(id: string, userId: string, at: Date): Promise<boolean> {
    const info = this.db
      .prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
      .run(at.toISOString(), id, userId);
    return info.changes > 0;
  }
}

class SqliteStoryStore implements StoryStore {
  private readonly createWithEditor;

  constructor(private readonly db: Db) {
    this.createWithEditor = db.transaction((story: StoryRecord) => {
      db.prepare('INSERT INTO stories (id, title, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(
        story.id,
        story.title,
        story.createdBy,
        story.createdAt,
        story.updatedAt,
      );
      db.prepare('INSERT INTO story_members (story_id, user_id, role) VALUES (?, ?, ?)').run(
        story.id,
        story.createdBy,
        'editor',
      );
    });
  }

  async create(story: StoryRecord): Promise<void> {
    this.createWithEditor(story);
  }

  async get(id: string): Promise<StoryRecord | null> {
    const row = this.db.prepare('SELECT * FROM stories WHERE id = ?').get(id) as StoryRow | undefined;
    return row ? toStory(row) : null;
  }

  async listForUser(userId: string): Promise<StoryWithRole[]> {
    const rows = this.db
      .prepare(
        `SELECT s.*, m.role FROM stories s JOIN story_members m ON m.story_id = s.id
         WHERE m.user_id = ? ORDER BY s.updated_at DESC, s.id`,
      )
      .all(userId) as (StoryRow & { role: Role })[];
    return rows.map((row) => ({ ...toStory(row), role: row.role }));
  }

  async listAll(): Promise<StoryWithRole[]> {
    const rows = this.db.prepare('SELECT * FROM stories ORDER BY updated_at DESC, id').all() as StoryRow[];
    return rows.map((row) => ({ ...toStory(row), role: 'editor' as const }));
  }

  async roleOf(storyId: string, userId: string): Promise<Role | null> {
    const row = this.db
      .prepare('SELECT role FROM story_members WHERE story_id = ? AND user_id = ?')
      .get(storyId, userId) as { role: Role } | undefined;
    return row?.role ?? null;
  }

  async setMember(storyId: string, userId: string, role: Role): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO story_members (story_id, user_id, role) VALUES (?, ?, ?)
         ON CONFLICT (story_id, user_id) DO UPDATE SET role = excluded.role`,
      )
      .run(storyId, userId, role);
  }

  async setClaimCounts(id: string, counts: Record<string, number>): Promise<void> {
    this.db.prepare('UPDATE stories SET claim_counts = ? WHERE id = ?').run(JSON.stringify(counts), id);
  }

  async setWorkflow(id: string, state: WorkflowState, changedSinceApproval: boolean): Promise<void> {
    this.db
      .prepare('UPDATE stories SET workflow_state = ?, changed_since_approval = ? WHERE id = ?')
      .run(state, changedSinceApproval ? 1 : 0, id);
  }

  async removeMember(storyId: string, userId: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM story_members WHERE story_id = ? AND user_id = ?').run(storyId, userId).changes > 0
    );
  }

  async countEditors(storyId: string): Promise<number> {
    const row = this.db
      .prepare("SELECT COUNT(*) AS n FROM story_members WHERE story_id = ? AND role = 'editor'")
      .get(storyId) as { n: number };
    return row.n;
  }

  async touch(id: string, updatedAt: string, title?: string): Promise<void> {
    if (title === undefined) {
      this.db.prepare('UPDATE stories SET updated_at = ? WHERE id = ?').run(updatedAt, id);
    } else {
      this.db.prepare('UPDATE stories SET updated_at = ?, title = ? WHERE id = ?').run(updatedAt, title, id);
    }
  }
}

export interface SqliteOptions {
  /** How long a write waits for a lock held by another connection before failing (ms). */
  busyTimeoutMs?: number;
}

class SqliteAuditStore implements AuditStore {
  constructor(private readonly db: Db) {}

  async append(entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<void> {
    this.db
      .prepare('INSERT INTO audit_log (story_id, user_id, action, detail, at) VALUES (?, ?, ?, ?, ?)')
      .run(entry.storyId, entry.userId, entry.action, JSON.stringify(entry.detail), new Date().toISOString());
  }

  async listForStory(storyId: string, afterSeq = 0, limit = 500): Promise<AuditEntry[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit_log WHERE story_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(storyId, afterSeq, limit) as {
      seq: number;
      story_id: string | null;
      user_id: string | null;
      action: string;
      detail: string;
      at: string;
    }[];
    return rows.map((row) => ({
      seq: Number(row.seq),
      storyId: row.story_id,
      userId: row.user_id,
      action: row.action,
      detail: JSON.parse(row.detail) as Record<string, unknown>,
      at: row.at,
    }));
  }
}

interface VersionRow {
  id: string;
  story_id: string;
  kind: VersionKind;
  name: string | null;
  created_by: string | null;
  created_at: string;
  authors: string;
  body_snapshot?: Buffer;
  notes_state?: Buffer;
}

function parseAuthors(json: string): string[] {
  try {
    const parsed: unknown = JSON.parse(json);
    return Array.isArray(parsed) ? parsed.filter((entry): entry is string => typeof entry === 'string') : [];
  } catch {
    return [];
  }
}

function toVersionSummary(row: VersionRow): VersionSummaryRecord {
  return {
    id: row.id,
    storyId: row.story_id,
    kind: row.kind,
    name: row.name,
    createdBy: row.created_by,
    createdAt: row.created_at,
    authors: parseAuthors(row.authors),
  };
}

function toVersion(row: VersionRow): VersionRecord {
  return {
    ...toVersionSummary(row),
    bodySnapshot: new Uint8Array(row.body_snapshot ?? new Uint8Array()),
    notesState: new Uint8Array(row.notes_state ?? new Uint8Array()),
  };
}

const VERSION_SUMMARY_COLUMNS = 'id, story_id, kind, name, created_by, created_at, authors';

class SqliteVersionStore implements VersionStore {
  constructor(private readonly db: Db) {}

  async create(version: VersionRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO story_versions (id, story_id, kind, name, created_by, created_at, authors, body_snapshot, notes_state)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        version.id,
        version.storyId,
        version.kind,
        version.name,
        version.createdBy,
        version.createdAt,
        JSON.stringify(version.authors),
        version.bodySnapshot,
        version.notesState,
      );
  }

  async list(storyId: string): Promise<VersionSummaryRecord[]> {
    const rows = this.db
      .prepare(`SELECT ${VERSION_SUMMARY_COLUMNS} FROM story_versions WHERE story_id = ? ORDER BY seq DESC`)
      .all(storyId) as VersionRow[];
    return rows.map(toVersionSummary);
  }

  async get(storyId: string, id: string): Promise<VersionRecord | null> {
    const row = this.db.prepare('SELECT * FROM story_versions WHERE story_id = ? AND id = ?').get(storyId, id) as
      | VersionRow
      | undefined;
    return row ? toVersion(row) : null;
  }

  async latest(storyId: string, kind?: VersionKind): Promise<VersionRecord | null> {
    const row = (
      kind === undefined
        ? this.db.prepare('SELECT * FROM story_versions WHERE story_id = ? ORDER BY seq DESC LIMIT 1').get(storyId)
        : this.db
            .prepare('SELECT * FROM story_versions WHERE story_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1')
            .get(storyId, kind)
    ) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }
}

/** Opens (creating and migrating when needed) the SQLite store at `file`. */
export function openSqliteStorage(file: string, options: SqliteOptions = {}): Storage {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
  migrate(db);
  return {
    documents: new SqliteDocumentStore(db),
    users: new SqliteUserStore(db),
    sessions: new SqliteSessionStore(db),
    tokens: new SqliteApiTokenStore(db),
    stories: new SqliteStoryStore(db),
    audit: new SqliteAuditStore(db),
    versions: new SqliteVersionStore(db),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      db.close();
    },
  };
}
