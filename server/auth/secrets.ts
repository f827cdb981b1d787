/**
 * Random identifiers and bearer secrets. Secrets (session cookies, API tokens) are stored only as
 * SHA-256 hashes: they are long random strings, so a slow KDF adds nothing there.
 */
import { createHash, randomBytes } from 'node:crypto';

/** A random url-safe id (96 bits), used for users, stories, tokens. */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

/** A bearer secret with a recognisable prefix (`sds_` session, `sdt_` API token). */
export function newSecret(prefix: 'sds' | 'sdt'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Colours for cursors and avatars: distinct from each other and readable on white. */
export const USER_COLORS = [
  '#1d4ed8',
  '#c2410c',
  '#0f766e',
  '#7c3aed',
  '#be123c',
  '#4d7c0f',
  '#a16207',
  '#0e7490',
  '#9333ea',
  '#b91c1c',
] as const;

/** The colour for the `index`-th account, cycling through the palette. */
export function colorForIndex(index: number): string {
  return USER_COLORS[Math.abs(index) % USER_COLORS.length] ?? USER_COLORS[0];
}
