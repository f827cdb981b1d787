/**
 * Schema migrations, applied in order and recorded in `schema_migrations`. Written in the SQL that
 * SQLite and PostgreSQL share; `{blob}` and `{serial}` are filled in per engine.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    color TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    expires_at TEXT NOT NULL
  );
  CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE story_members (
    story_id TEXT NOT NULL REFERENCES stories(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    PRIMARY KEY (story_id, user_id)
  );
  CREATE TABLE doc_updates (
    seq {serial},
    story_id TEXT NOT NULL,
    part TEXT NOT NULL,
    user_id TEXT,
    created_at TEXT NOT NULL,
    data {blob} NOT NULL
  );
  CREATE INDEX doc_updates_by_doc ON doc_updates (story_id, part, seq);
  CREATE TABLE doc_snapshots (
    story_id TEXT NOT NULL,
    part TEXT NOT NULL,
    upto_seq BIGINT NOT NULL,
    data {blob} NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (story_id, part)
  );
  `,
  `
  ALTER TABLE stories ADD COLUMN claim_counts TEXT NOT NULL DEFAULT '{}';
  `,
  `
  CREATE TABLE audit_log (
    seq {serial},
    story_id TEXT,
    user_id TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TEXT NOT NULL
  );
  CREATE INDEX audit_log_by_story ON audit_log (story_id, seq);
  `,
  `
  CREATE TABLE client_ids (
    client_id BIGINT PRIMARY KEY,
    user_id TEXT NOT NULL,
    first_seen TEXT NOT NULL
  );
  `,
  `
  ALTER TABLE stories ADD COLUMN workflow_state TEXT NOT NULL DEFAULT 'draft';
  ALTER TABLE stories ADD COLUMN changed_since_approval INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE doc_deletions (
    seq {serial},
    story_id TEXT NOT NULL,
    part TEXT NOT NULL,
    user_id TEXT,
    created_at TEXT NOT NULL,
    data {blob} NOT NULL
  );
  CREATE INDEX doc_deletions_by_doc ON doc_deletions (story_id, part, created_at);
  CREATE TABLE story_versions (
    seq {serial},
    id TEXT NOT NULL UNIQUE,
    story_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    created_by TEXT,
    created_at TEXT NOT NULL,
    authors TEXT NOT NULL,
    body_snapshot {blob} NOT NULL,
    notes_state {blob} NOT NULL
  );
  CREATE INDEX story_versions_by_story ON story_versions (story_id, seq);
  `,
];
