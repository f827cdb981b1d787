/**
 * The store for several instances: PostgreSQL (`DATABASE_URL=postgres://...`), with the same
 * migrations as SQLite. Every instance may append to the same document at once, so:
 * - migrations run under an advisory lock (instances starting together migrate once);
 * - a snapshot is never trusted to hold every log entry up to its sequence number (an instance's
 *   room may not have applied another instance's update yet): `saveSnapshot` folds the stored log
 *   entries it covers into the state before dropping them, inside one transaction.
 */
import pg from 'pg';
import * as Y from 'yjs';
import type { Role, WorkflowState } from '../../shared/api.ts';
import { gcEnabledFor, isStoryPart } from '../../shared/documentLayout.ts';
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

type Queryable = pg.Pool | pg.PoolClient;

/** Any key the migrations' advisory lock is taken on (an arbitrary constant for "sourcedesk"). */
const MIGRATION_LOCK = 0x50d35c;

async function rows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}

async function one<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T | undefined> {
  return (await rows<T>(db, sql, params))[0];
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function bytes(value: Buffer): Uint8Array {
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function buffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const row = await one<{ v: number | null }>(client, 'SELECT MAX(version) AS v FROM schema_migrations');
    const current = row?.v ?? 0;
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (version <= current) continue;
      await client.query(sql.replaceAll('{blob}', 'BYTEA').replaceAll('{serial}', 'BIGSERIAL PRIMARY KEY'));
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
        version,
        new Date().toISOString(),
      ]);
    }
  });
}

class PgDocumentStore implements DocumentStore {
  constructor(private readonly pool: pg.Pool) {}

  async appendUpdates(key: DocKey, updates: UpdateToAppend[]): Promise<number> {
    if (updates.length === 0) throw new RangeError('appendUpdates needs at least one update');
    return inTransaction(this.pool, async (client) => {
      const now = new Date().toISOString();
      let last = 0;
      for (const update of updates) {
        const row = await one<{ seq: string }>(
          client,
          'INSERT INTO doc_updates (story_id, part, user_id, created_at, data) VALUES ($1, $2, $3, $4, $5) RETURNING seq',
          [key.storyId, key.part, update.userId, now, buffer(update.data)],
        );
        last = Number(row?.seq ?? 0);
        if (update.deletes !== undefined) {
          await client.query(
            'INSERT INTO doc_deletions (story_id, part, user_id, created_at, data) VALUES ($1, $2, $3, $4, $5)',
            [key.storyId, key.part, update.userId, now, buffer(update.deletes)],
          );
        }
      }
      return last;
    });
  }

  async loadDocument(key: DocKey): Promise<StoredDocument> {
    // One snapshot-consistent read: a compaction committing in between cannot hide entries.
    return inTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      const snap = await one<{ upto_seq: string; data: Buffer }>(
        client,
        'SELECT upto_seq, data FROM doc_snapshots WHERE story_id = $1 AND part = $2',
        [key.storyId, key.part],
      );
      const snapshotSeq = snap ? Number(snap.upto_seq) : 0;
      // Entries at or below the snapshot's sequence that are still here were committed after it
      // was taken (another instance's slower transaction): they are read too.
      const tail = await rows<{ seq: string; data: Buffer }>(
        client,
        'SELECT seq, data FROM doc_updates WHERE story_id = $1 AND part = $2 ORDER BY seq',
        [key.storyId, key.part],
      );
      return {
        snapshot: snap ? bytes(snap.data) : null,
        snapshotSeq,
        updates: tail.map((row) => ({ seq: Number(row.seq), data: bytes(row.data) })),
      };
    });
  }

  async saveSnapshot(key: DocKey, state: Uint8Array, uptoSeq: number): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      // One compaction per document at a time, across instances.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${key.storyId}/${key.part}`]);
      const stored = await one<{ upto_seq: string }>(
        client,
        'SELECT upto_seq FROM doc_snapshots WHERE story_id = $1 AND part = $2',
        [key.storyId, key.part],
      );
      if (stored !== undefined && Number(stored.upto_seq) >= uptoSeq) return;
      const covered = await rows<{ seq: string; data: Buffer }>(
        client,
        'SELECT seq, data FROM doc_updates WHERE story_id = $1 AND part = $2 AND seq <= $3 ORDER BY seq',
        [key.storyId, key.part, uptoSeq],
      );
      // The caller's state may lack entries another instance stored: fold them in before dropping.
      const doc = new Y.Doc({ gc: isStoryPart(key.part) ? gcEnabledFor(key.part) : true });
      Y.transact(doc, () => {
        Y.applyUpdate(doc, state);
        for (const entry of covered) Y.applyUpdate(doc, bytes(entry.data));
      });
      const merged = Y.encodeStateAsUpdate(doc);
      doc.destroy();
      await client.query(
        `INSERT INTO doc_snapshots (story_id, part, upto_seq, data, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (story_id, part) DO UPDATE SET upto_seq = excluded.upto_seq, data = excluded.data,
           updated_at = excluded.updated_at`,
        [key.storyId, key.part, uptoSeq, buffer(merged), new Date().toISOString()],
      );
      const seqs = covered.map((entry) => entry.seq);
      if (seqs.length > 0) {
        await client.query('DELETE FROM doc_updates WHERE story_id = $1 AND part = $2 AND seq = ANY($3::bigint[])', [
          key.storyId,
          key.part,
          seqs,
        ]);
      }
    });
  }

  async countLogTail(key: DocKey): Promise<number> {
    const row = await one<{ n: string }>(
      this.pool,
      'SELECT COUNT(*) AS n FROM doc_updates WHERE story_id = $1 AND part = $2',
      [key.storyId, key.part],
    );
    return Number(row?.n ?? 0);
  }

  async claimClientIds(userId: string, clientIds: number[]): Promise<number[]> {
    if (clientIds.length === 0) return [];
    const now = new Date().toISOString();
    await this.pool.query(
      `INSERT INTO client_ids (client_id, user_id, first_seen)
       SELECT id, $2, $3 FROM unnest($1::bigint[]) AS id ON CONFLICT (client_id) DO NOTHING`,
      [clientIds, userId, now],
    );
    const owners = await this.clientIdOwners(clientIds);
    return clientIds.filter((id) => owners.get(id) !== userId);
  }

  async clientIdOwners(clientIds: number[]): Promise<Map<number, string>> {
    const found = await rows<{ client_id: string; user_id: string }>(
      this.pool,
      'SELECT client_id, user_id FROM client_ids WHERE client_id = ANY($1::bigint[])',
      [clientIds],
    );
    return new Map(found.map((row) => [Number(row.client_id), row.user_id]));
  }

  async listDeletions(key: DocKey, since: string): Promise<DeletionRecord[]> {
    const found = await rows<{ user_id: string | null; created_at: string; data: Buffer }>(
      this.pool,
      `SELECT user_id, created_at, data FROM doc_deletions
       WHERE story_id = $1 AND part = $2 AND created_at >= $3 ORDER BY seq`,
      [key.storyId, key.part, since],
    );
    return found.map((row) => ({ userId: row.user_id, at: row.created_at, data: bytes(row.data) }));
  }
}

interface UserRow {
  id: string;
  username: string;
  name: string;
  password_hash: string;
  color: string;
  is_admin: number;
  created_at: string;
}

function toUser(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    passwordHash: row.password_hash,
    color: row.color,
    isAdmin: Number(row.is_admin) === 1,
    createdAt: row.created_at,
  };
}

class PgUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(user: UserRecord): Promise<void> {
    await this.pool.query(
      'INSERT INTO users (id, username, name, password_hash, color, is_admin, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [user.id, user.username, user.name, user.passwordHash, user.color, user.isAdmin ? 1 : 0, user.createdAt],
    );
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    const row = await one<UserRow>(this.pool, 'SELECT * FROM users WHERE username = $1', [username]);
    return row ? toUser(row) : null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    const row = await one<UserRow>(this.pool, 'SELECT * FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : null;
  }

  async list(): Promise<UserRecord[]> {
    return (await rows<UserRow>(this.pool, 'SELECT * FROM users ORDER BY username')).map(toUser);
  }

  async count(): Promise<number> {
    return Number((await one<{ n: string }>(this.pool, 'SELECT COUNT(*) AS n FROM users'))?.n ?? 0);
  }
}

class PgSessionStore implements SessionStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(tokenHash: string, userId: string, expiresAt: Date): Promise<void> {
    await this.pool.query('INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)', [
      tokenHash,
      userId,
      expiresAt.toISOString(),
    ]);
  }

  async findUserId(tokenHash: string, now: Date): Promise<string | null> {
    const row = await one<{ user_id: string }>(
      this.pool,
      'SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2',
      [tokenHash, now.toISOString()],
    );
    return row?.user_id ?? null;
  }

  async delete(tokenHash: string): Promise<void> {
    await this.pool.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }
}

class PgApiTokenStore implements ApiTokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(record: ApiTokenRecord, tokenHash: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)',
      [record.id, record.userId, record.name, tokenHash, record.createdAt],
    );
  }

  async find(tokenHash: string): Promise<{ id: string; userId: string } | null> {
    const row = await one<{ id: string; user_id: string }>(
      this.pool,
      'SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL',
      [tokenHash],
    );
    return row ? { id: row.id, userId: row.user_id } : null;
  }

  async listForUser(userId: string): Promise<ApiTokenRecord[]> {
    const found = await rows<{ id: string; user_id: string; name: string; created_at: string }>(
      this.pool,
      'SELECT id, user_id, name, created_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at',
      [userId],
    );
    return found.map((row) => ({ id: row.id, userId: row.user_id, name: row.name, createdAt: row.created_at }));
  }

  async revoke(id: string, userId: string, at: Date): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL',
      [at.toISOString(), id, userId],
    );
    return (result.rowCount ?? 0) > 0;
  }
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
    changedSinceApproval: Number(row.changed_since_approval) === 1,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

class PgStoryStore implements StoryStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(story: StoryRecord): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(
        'INSERT INTO stories (id, title, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)',
        [story.id, story.title, story.createdBy, story.createdAt, story.updatedAt],
      );
      await client.query('INSERT INTO story_members (story_id, user_id, role) VALUES ($1, $2, $3)', [
        story.id,
        story.createdBy,
        'editor',
      ]);
    });
  }

  async get(id: string): Promise<StoryRecord | null> {
    const row = await one<StoryRow>(this.pool, 'SELECT * FROM stories WHERE id = $1', [id]);
    return row ? toStory(row) : null;
  }

  async listForUser(userId: string): Promise<StoryWithRole[]> {
    const found = await rows<StoryRow & { role: Role }>(
      this.pool,
      `SELECT s.*, m.role FROM stories s JOIN story_members m ON m.story_id = s.id
       WHERE m.user_id = $1 ORDER BY s.updated_at DESC, s.id`,
      [userId],
    );
    return found.map((row) => ({ ...toStory(row), role: row.role }));
  }

  async listAll(): Promise<StoryWithRole[]> {
    const found = await rows<StoryRow>(this.pool, 'SELECT * FROM stories ORDER BY updated_at DESC, id');
    return found.map((row) => ({ ...toStory(row), role: 'editor' as const }));
  }

  async roleOf(storyId: string, userId: string): Promise<Role | null> {
    const row = await one<{ role: Role }>(
      this.pool,
      'SELECT role FROM story_members WHERE story_id = $1 AND user_id = $2',
      [storyId, userId],
    );
    return row?.role ?? null;
  }

  async setMember(storyId: string, userId: string, role: Role): Promise<void> {
    await this.pool.query(
      `INSERT INTO story_members (story_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (story_id, user_id) DO UPDATE SET role = excluded.role`,
      [storyId, userId, role],
    );
  }

  async removeMember(storyId: string, userId: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM story_members WHERE story_id = $1 AND user_id = $2', [
      storyId,
      userId,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async countEditors(storyId: string): Promise<number> {
    const row = await one<{ n: string }>(
      this.pool,
      "SELECT COUNT(*) AS n FROM story_members WHERE story_id = $1 AND role = 'editor'",
      [storyId],
    );
    return Number(row?.n ?? 0);
  }

  async touch(id: string, updatedAt: string, title?: string): Promise<void> {
    if (title === undefined) {
      await this.pool.query('UPDATE stories SET updated_at = $1 WHERE id = $2', [updatedAt, id]);
    } else {
      await this.pool.query('UPDATE stories SET updated_at = $1, title = $2 WHERE id = $3', [updatedAt, title, id]);
    }
  }

  async setClaimCounts(id: string, counts: Record<string, number>): Promise<void> {
    await this.pool.query('UPDATE stories SET claim_counts = $1 WHERE id = $2', [JSON.stringify(counts), id]);
  }

  async setWorkflow(id: string, state: WorkflowState, changedSinceApproval: boolean): Promise<void> {
    await this.pool.query('UPDATE stories SET workflow_state = $1, changed_since_approval = $2 WHERE id = $3', [
      state,
      changedSinceApproval ? 1 : 0,
      id,
    ]);
  }
}

class PgAuditStore implements AuditStore {
  constructor(private readonly pool: pg.Pool) {}

  async append(entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<void> {
    await this.pool.query('INSERT INTO audit_log (story_id, user_id, action, detail, at) VALUES ($1, $2, $3, $4, $5)', [
      entry.storyId,
      entry.userId,
      entry.action,
      JSON.stringify(entry.detail),
      new Date().toISOString(),
    ]);
  }

  async listForStory(storyId: string, afterSeq = 0, limit = 500): Promise<AuditEntry[]> {
    const found = await rows<{
      seq: string;
      story_id: string | null;
      user_id: string | null;
      action: string;
      detail: string;
      at: string;
    }>(this.pool, 'SELECT * FROM audit_log WHERE story_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
      storyId,
      afterSeq,
      limit,
    ]);
    return found.map((row) => ({
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
    bodySnapshot: row.body_snapshot ? bytes(row.body_snapshot) : new Uint8Array(),
    notesState: row.notes_state ? bytes(row.notes_state) : new Uint8Array(),
  };
}

class PgVersionStore implements VersionStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(version: VersionRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO story_versions (id, story_id, kind, name, created_by, created_at, authors, body_snapshot, notes_state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        version.id,
        version.storyId,
        version.kind,
        version.name,
        version.createdBy,
        version.createdAt,
        JSON.stringify(version.authors),
        buffer(version.bodySnapshot),
        buffer(version.notesState),
      ],
    );
  }

  async list(storyId: string): Promise<VersionSummaryRecord[]> {
    const found = await rows<VersionRow>(
      this.pool,
      'SELECT id, story_id, kind, name, created_by, created_at, authors FROM story_versions WHERE story_id = $1 ORDER BY seq DESC',
      [storyId],
    );
    return found.map(toVersionSummary);
  }

  async get(storyId: string, id: string): Promise<VersionRecord | null> {
    const row = await one<VersionRow>(this.pool, 'SELECT * FROM story_versions WHERE story_id = $1 AND id = $2', [
      storyId,
      id,
    ]);
    return row ? toVersion(row) : null;
  }

  async latest(storyId: string, kind?: VersionKind): Promise<VersionRecord | null> {
    const row =
      kind === undefined
        ? await one<VersionRow>(
            this.pool,
            'SELECT * FROM story_versions WHERE story_id = $1 ORDER BY seq DESC LIMIT 1',
            [storyId],
          )
        : await one<VersionRow>(
            this.pool,
            'SELECT * FROM story_versions WHERE story_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1',
            [storyId, kind],
          );
    return row ? toVersion(row) : null;
  }
}

export interface PostgresOptions {
  /** A schema to use (created when missing) instead of the connection's default; tests use one each. */
  schema?: string;
  /** Connections in the pool. */
  maxConnections?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connects to PostgreSQL at `url`, migrating the schema when needed. */
export async function openPostgresStorage(url: string, options: PostgresOptions = {}): Promise<Storage> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new RangeError(`not a schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle connection that the server drops (restart, outage) must not crash the process.
  pool.on('error', () => undefined);
  // A connection lost while checked out reports on the client too; its query rejects anyway.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    if (schema !== undefined) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await migrate(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    documents: new PgDocumentStore(pool),
    users: new PgUserStore(pool),
    sessions: new PgSessionStore(pool),
    tokens: new PgApiTokenStore(pool),
    stories: new PgStoryStore(pool),
    audit: new PgAuditStore(pool),
    versions: new PgVersionStore(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
