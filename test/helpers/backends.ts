/**
 * The storage backends every storage test runs against: SQLite in a temp dir, and the machine's
 * real PostgreSQL (TEST_DATABASE_URL, default the local `test` database) in a fresh schema per store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStorage } from '../../server/storage/PostgresStorage.ts';
import { openSqliteStorage } from '../../server/storage/SqliteStorage.ts';
import type { Storage } from '../../server/storage/Storage.ts';

export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface OpenedStorage {
  storage: Storage;
  /** Opens a second store on the same data (another instance, or after a restart). */
  reopen(): Promise<Storage>;
  /** Closes the store and removes its data. */
  dispose(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenedStorage>;
}

export function newSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export const BACKENDS: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'sourcedesk-storage-'));
      const file = join(dir, 'sourcedesk.db');
      const opened: Storage[] = [openSqliteStorage(file)];
      return {
        storage: opened[0] as Storage,
        async reopen() {
          const again = openSqliteStorage(file);
          opened.push(again);
          return again;
        },
        async dispose() {
          for (const storage of opened) await storage.close().catch(() => undefined);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = newSchemaName();
      const opened: Storage[] = [await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 })];
      return {
        storage: opened[0] as Storage,
        async reopen() {
          const again = await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 });
          opened.push(again);
          return again;
        },
        async dispose() {
          for (const storage of opened) await storage.close().catch(() => undefined);
          await dropSchema(schema);
        },
      };
    },
  },
];
