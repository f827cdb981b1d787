/** Options of `buildServer`, with the defaults a newsroom gets from `sourcedesk serve`. */
import type { FastifyServerOptions } from 'fastify';
import { type CollabLimits, DEFAULT_LIMITS } from './collab/limits.ts';
import type { Storage } from './storage/Storage.ts';

export interface ServerOptions {
  /** Where the SQLite file lives (`<dataDir>/sourcedesk.db`); ignored when `storage` is given. */
  dataDir?: string;
  /** A store to use instead of opening SQLite under `dataDir` (the caller closes it). */
  storage?: Storage;
  /** Fastify's logger option; off by default for tests. */
  logger?: FastifyServerOptions['logger'];
  /** Folder of the built client to serve; `null` serves none. Defaults to `dist/client`. */
  clientDir?: string | null;
  /**
   * Origins allowed to open collaboration sockets besides the server's own. A browser always sends
   * `Origin`; scripts using an API token usually send none and are allowed.
   */
  allowedOrigins?: string[];
  /** `secure` flag of the session cookie: `auto` sets it when the request came over https. */
  cookieSecure?: boolean | 'auto';
  /** Login attempts allowed per client address and username in `loginWindowMs`. */
  loginAttempts?: number;
  loginWindowMs?: number;
  /** How long a session lasts, in ms. */
  sessionTtlMs?: number;
  /**
   * Limits of one collaboration socket (frame and update bytes, structs, nesting, presence bytes,
   * message rate and burst, sockets per account, handshake time, send buffer); defaults in
   * `collab/limits.ts` (`DEFAULT_LIMITS`), described in docs/ARCHITECTURE.md.
   */
  maxFrameBytes?: number;
  maxUpdateBytes?: number;
  maxUpdateStructs?: number;
  maxNestingDepth?: number;
  maxAwarenessBytes?: number;
  messagesPerSecond?: number;
  messageBurst?: number;
  maxSocketsPerUser?: number;
  handshakeTimeoutMs?: number;
  maxBufferedBytes?: number;
  /** How long an empty room stays in memory. */
  unloadGraceMs?: number;
  /** Compact a room's log after this many updates. */
  compactAfterUpdates?: number;
  /** After this long without edits to a story's body, a version is taken (default 2 minutes). */
  versionPauseMs?: number;
  /** Redis shared by several instances (`redis://...`); without it this instance is alone. */
  redisUrl?: string;
  /** Channel prefix on Redis (several newsrooms, or tests, on one Redis). */
  redisPrefix?: string;
  /** This instance's name on the bus (random by default). */
  instanceId?: string;
  /** How often instances compare open rooms' state vectors, in ms (default 5 s). */
  healIntervalMs?: number;
}

export interface ResolvedConfig extends CollabLimits {
  allowedOrigins: string[];
  cookieSecure: boolean | 'auto';
  loginAttempts: number;
  loginWindowMs: number;
  sessionTtlMs: number;
}

export function resolveConfig(options: ServerOptions): ResolvedConfig {
  return {
    allowedOrigins: options.allowedOrigins ?? [],
    cookieSecure: options.cookieSecure ?? 'auto',
    loginAttempts: options.loginAttempts ?? 10,
    loginWindowMs: options.loginWindowMs ?? 60_000,
    sessionTtlMs: options.sessionTtlMs ?? 14 * 24 * 3600_000,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
    maxUpdateBytes: options.maxUpdateBytes ?? DEFAULT_LIMITS.maxUpdateBytes,
    maxUpdateStructs: options.maxUpdateStructs ?? DEFAULT_LIMITS.maxUpdateStructs,
    maxNestingDepth: options.maxNestingDepth ?? DEFAULT_LIMITS.maxNestingDepth,
    maxAwarenessBytes: options.maxAwarenessBytes ?? DEFAULT_LIMITS.maxAwarenessBytes,
    messagesPerSecond: options.messagesPerSecond ?? DEFAULT_LIMITS.messagesPerSecond,
    messageBurst: options.messageBurst ?? DEFAULT_LIMITS.messageBurst,
    maxSocketsPerUser: options.maxSocketsPerUser ?? DEFAULT_LIMITS.maxSocketsPerUser,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? DEFAULT_LIMITS.handshakeTimeoutMs,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_LIMITS.maxBufferedBytes,
  };
}
