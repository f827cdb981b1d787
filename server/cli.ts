/**
 * The `sourcedesk` command:
 *   sourcedesk serve                      start the server (PORT, HOST, DATA_DIR)
 *   sourcedesk user add <username> --password <pw> [--admin] [--name "Full Name"]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DisplayName, Password, Username } from '../shared/api.ts';
import { buildServer } from './app.ts';
import { generatePassword } from './auth/passwords.ts';
import { type CollabLimits, limitsFromEnv } from './collab/limits.ts';
import { openPostgresStorage } from './storage/PostgresStorage.ts';
import { openSqliteStorage } from './storage/SqliteStorage.ts';
import type { Storage } from './storage/Storage.ts';
import { createUser } from './users.ts';

const USAGE = `Usage:
  sourcedesk serve
      env PORT (default 8787), HOST (default 127.0.0.1), DATA_DIR (default ./data),
          LOG_LEVEL (default info), ALLOWED_ORIGINS (comma-separated, besides the server's own),
          DATABASE_URL (postgres://...: PostgreSQL instead of SQLite), DATABASE_SCHEMA,
          REDIS_URL (redis://...: several instances share rooms), INSTANCE_ID,
          collaboration limits (positive integers; defaults in docs/ARCHITECTURE.md): MAX_FRAME_BYTES,
          MAX_UPDATE_BYTES, MAX_UPDATE_STRUCTS, MAX_NESTING_DEPTH, MAX_AWARENESS_BYTES,
          MESSAGES_PER_SECOND, MESSAGE_BURST, MAX_SOCKETS_PER_USER, HANDSHAKE_TIMEOUT_MS, MAX_BUFFERED_BYTES
  sourcedesk user add <username> --password <password> [--admin] [--name "Full Name"]`;

function fail(message: string): never {
  process.stderr.write(`sourcedesk: ${message}\n`);
  process.exit(2);
}

function dataDir(): string {
  return resolve(process.env.DATA_DIR ?? 'data');
}

/** PostgreSQL when `DATABASE_URL` is set (several instances), else SQLite under `DATA_DIR`. */
async function openStorage(): Promise<Storage> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    const schema = process.env.DATABASE_SCHEMA;
    return openPostgresStorage(url, schema === undefined || schema === '' ? {} : { schema });
  }
  return openSqliteStorage(join(dataDir(), 'sourcedesk.db'));
}

async function serve(): Promise<void> {
  const port = Number(process.env.PORT ?? 8787);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`PORT must be a port number, not "${process.env.PORT}"`);
  const host = process.env.HOST ?? '127.0.0.1';
  let limits: Partial<CollabLimits>;
  try {
    limits = limitsFromEnv(process.env);
  } catch (error) {
    fail((error as Error).message);
  }
  const storage = await openStorage();
  let firstAdmin: { username: string; password: string } | null = null;
  if ((await storage.users.count()) === 0) {
    const password = generatePassword();
    try {
      await createUser(storage, { username: 'admin', password, name: 'Newsroom admin', isAdmin: true });
      firstAdmin = { username: 'admin', password };
    } catch (error) {
      // Another instance starting at the same moment made the first account.
      if ((await storage.users.findByUsername('admin')) === null) throw error;
    }
  }
  const app = await buildServer({
    storage,
    logger: { level: process.env.LOG_LEVEL ?? 'info' },
    allowedOrigins: (process.env.ALLOWED_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    ...(process.env.INSTANCE_ID ? { instanceId: process.env.INSTANCE_ID } : {}),
    ...limits,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'stopping: storing pending changes and closing sockets');
    app
      .close()
      .then(() => storage.close())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const address = await app.listen({ port, host });
  const url = address.replace('[::1]', 'localhost');
  const lines = [``, `Sourcedesk is running at ${url}`, `Data: ${dataDir()}`];
  if (firstAdmin) {
    lines.push(
      `First start: created the newsroom admin account.`,
      `  Log in as "${firstAdmin.username}" with password: ${firstAdmin.password}`,
      `  (shown only this once; add people with: npx sourcedesk user add <username> --password <pw>)`,
    );
  } else {
    lines.push(`Log in with your account. Add one with: npx sourcedesk user add <username> --password <pw> [--admin]`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

async function userAdd(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { password: { type: 'string' }, admin: { type: 'boolean', default: false }, name: { type: 'string' } },
  });
  const [username] = positionals;
  if (positionals.length !== 1 || username === undefined) fail(`user add takes one username\n${USAGE}`);
  const checkedName = Username.safeParse(username.toLowerCase());
  if (!checkedName.success) fail(`username: ${checkedName.error.issues[0]?.message}`);
  if (values.password === undefined) fail('--password is required');
  const checkedPassword = Password.safeParse(values.password);
  if (!checkedPassword.success) fail(`password: ${checkedPassword.error.issues[0]?.message}`);
  if (values.name !== undefined && !DisplayName.safeParse(values.name).success)
    fail('--name must be 1 to 100 characters');
  const storage = await openStorage();
  try {
    if (await storage.users.findByUsername(checkedName.data)) fail(`user "${checkedName.data}" already exists`);
    const user = await createUser(storage, {
      username: checkedName.data,
      password: checkedPassword.data,
      isAdmin: values.admin,
      ...(values.name === undefined ? {} : { name: values.name }),
    });
    process.stdout.write(`Added ${user.isAdmin ? 'admin ' : ''}${user.username} (${user.name}), id ${user.id}\n`);
  } finally {
    await storage.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve();
  if (command === 'user' && rest[0] === 'add') return userAdd(rest.slice(1));
  if (command === undefined || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  fail(`unknown command "${argv.join(' ')}"\n${USAGE}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`sourcedesk: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
