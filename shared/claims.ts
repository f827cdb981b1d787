/**
 * Claims and sources: the records a fact-checker keeps in a story's notes document, their limits,
 * and the one schema (zod) that both the API and the notes-room validation check them against.
 *
 * Layout in the notes document (see `documentLayout.ts`):
 * - `claims`: `Y.Map` claim id → `Y.Map` of the claim's fields (so that concurrent changes to
 *   different fields merge);
 * - `sources`: `Y.Map` source id → `Y.Map` of the source's fields;
 * - `threads`: `Y.Map` claim id → `Y.Array` of discussion messages.
 */
import * as Y from 'yjs';
import { z } from 'zod';
import { CLAIM_STATUSES } from './api.ts';
import { YName } from './documentLayout.ts';

export const CLAIM_LIMITS = {
  quote: 4000,
  note: 2000,
  url: 2048,
  outlet: 200,
  title: 300,
  passage: 4000,
  message: 4000,
  sourcesPerClaim: 50,
  anchor: 200,
} as const;

/** Statuses a person can set. `detached` is never stored: it is what an anchor with no text left reads as. */
export const SETTABLE_CLAIM_STATUSES = ['unverified', 'in-review', 'verified', 'disputed', 'false'] as const;
export type SettableClaimStatus = (typeof SETTABLE_CLAIM_STATUSES)[number];
export type ClaimStatus = (typeof CLAIM_STATUSES)[number];

/** Statuses that are a verdict: only fact-checkers and editors may set them. */
export const VERDICT_STATUSES: readonly SettableClaimStatus[] = ['verified', 'disputed', 'false'];

export const SOURCE_KINDS = [
  'official-statement',
  'social-post',
  'news-report',
  'document',
  'interview',
  'data',
] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const SOURCE_KIND_LABELS: Record<SourceKind, string> = {
  'official-statement': 'Official statement',
  'social-post': 'Social post',
  'news-report': 'News report',
  document: 'Document',
  interview: 'Interview',
  data: 'Data',
};

/** An absolute http or https URL (nothing else may be a source link). */
export const HttpUrl = z
  .string()
  .trim()
  .max(CLAIM_LIMITS.url)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
    } catch {
      return false;
    }
  }, 'must be an http or https URL');

const Id = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/, 'not an id');
const IsoTime = z
  .string()
  .max(40)
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be a date');
/** An encoded `Y.RelativePosition`, base64. */
const EncodedPosition = z
  .string()
  .max(CLAIM_LIMITS.anchor)
  .regex(/^[A-Za-z0-9+/=]+$/, 'not an encoded position');

export const SourceRecord = z
  .object({
    id: Id,
    url: HttpUrl,
    outlet: z.string().trim().max(CLAIM_LIMITS.outlet),
    title: z.string().trim().max(CLAIM_LIMITS.title),
    kind: z.enum(SOURCE_KINDS),
    /** The passage of the source that backs the claim. */
    passage: z.string().max(CLAIM_LIMITS.passage),
    accessedAt: IsoTime,
    archiveUrl: HttpUrl.nullable(),
    createdBy: z.string().max(64),
    createdAt: IsoTime,
  })
  .strict();
export type SourceRecord = z.infer<typeof SourceRecord>;

export const ChangedSinceVerified = z.object({ by: z.string().max(64), at: IsoTime }).strict();

export const ClaimRecord = z
  .object({
    id: Id,
    /** Where the claimed text starts and ends in the body document. */
    start: EncodedPosition,
    end: EncodedPosition,
    /** The exact text quoted when the claim was anchored. */
    quote: z.string().max(CLAIM_LIMITS.quote),
    /** The anchored text as last seen by the server (used to re-find it when edits move it). */
    lastText: z.string().max(CLAIM_LIMITS.quote),
    status: z.enum(SETTABLE_CLAIM_STATUSES),
    sourceIds: z.array(Id).max(CLAIM_LIMITS.sourcesPerClaim),
    note: z.string().max(CLAIM_LIMITS.note),
    createdBy: z.string().max(64),
    createdAt: IsoTime,
    statusBy: z.string().max(64),
    statusAt: IsoTime,
    /** The anchored text when the claim was last set to verified. */
    verifiedText: z.string().max(CLAIM_LIMITS.quote).nullable(),
    /** Set by the server when the text inside a verified claim changes; cleared by a new verdict. */
    changedSinceVerified: ChangedSinceVerified.nullable(),
  })
  .strict();
export type ClaimRecord = z.infer<typeof ClaimRecord>;

export const ThreadMessage = z
  .object({ id: Id, by: z.string().max(64), at: IsoTime, text: z.string().trim().min(1).max(CLAIM_LIMITS.message) })
  .strict();
export type ThreadMessage = z.infer<typeof ThreadMessage>;

/**
 * A claim as the API answers it: resolved against the story text as it is now. `status` is
 * `detached` when no text is left in the claim's range; `storedStatus` is what people set.
 */
export const ClaimView = z.object({
  id: z.string(),
  status: z.enum(CLAIM_STATUSES),
  storedStatus: z.enum(SETTABLE_CLAIM_STATUSES),
  quote: z.string(),
  /** The claimed text now ('' when detached). */
  text: z.string(),
  /** Flat-text range now, or null when detached. */
  from: z.number().int().nullable(),
  to: z.number().int().nullable(),
  sourceIds: z.array(z.string()),
  note: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  statusBy: z.string(),
  statusAt: z.string(),
  changedSinceVerified: z.object({ by: z.string(), at: z.string() }).nullable(),
});
export type ClaimView = z.infer<typeof ClaimView>;

/** Fields only the server writes over the socket (re-check flags and the text it tracks). */
export const SERVER_ONLY_CLAIM_FIELDS = ['changedSinceVerified', 'lastText', 'verifiedText'] as const;

function mapToObject(map: Y.Map<unknown>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of map.entries()) object[key] = value instanceof Y.AbstractType ? value.toJSON() : value;
  return object;
}

/** The claim stored in `map`, or `null` when it does not pass the schema. */
export function readClaim(map: Y.Map<unknown>): ClaimRecord | null {
  const parsed = ClaimRecord.safeParse(mapToObject(map));
  return parsed.success ? parsed.data : null;
}

export function readSource(map: Y.Map<unknown>): SourceRecord | null {
  const parsed = SourceRecord.safeParse(mapToObject(map));
  return parsed.success ? parsed.data : null;
}

/** The notes document's three maps. */
export function notesMaps(doc: Y.Doc): {
  claims: Y.Map<Y.Map<unknown>>;
  sources: Y.Map<Y.Map<unknown>>;
  threads: Y.Map<Y.Array<ThreadMessage>>;
} {
  return {
    claims: doc.getMap(YName.claims),
    sources: doc.getMap(YName.sources),
    threads: doc.getMap(YName.threads),
  };
}

/** Every claim that passes the schema, by id. */
export function readClaims(doc: Y.Doc): Map<string, ClaimRecord> {
  const claims = new Map<string, ClaimRecord>();
  for (const [id, map] of notesMaps(doc).claims.entries()) {
    const claim = map instanceof Y.Map ? readClaim(map) : null;
    if (claim !== null && claim.id === id) claims.set(id, claim);
  }
  return claims;
}

export function readSources(doc: Y.Doc): Map<string, SourceRecord> {
  const sources = new Map<string, SourceRecord>();
  for (const [id, map] of notesMaps(doc).sources.entries()) {
    const source = map instanceof Y.Map ? readSource(map) : null;
    if (source !== null && source.id === id) sources.set(id, source);
  }
  return sources;
}

export function readThread(doc: Y.Doc, claimId: string): ThreadMessage[] {
  const thread = notesMaps(doc).threads.get(claimId);
  if (!(thread instanceof Y.Array)) return [];
  return thread.toArray().filter((message) => ThreadMessage.safeParse(message).success);
}

/** Writes a new claim (inside the caller's transaction). */
export function writeClaim(doc: Y.Doc, claim: ClaimRecord): void {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(claim)) map.set(key, value);
  notesMaps(doc).claims.set(claim.id, map);
}

/** Changes some fields of an existing claim; returns false when there is no such claim. */
export function updateClaim(doc: Y.Doc, id: string, fields: Partial<Omit<ClaimRecord, 'id'>>): boolean {
  const map = notesMaps(doc).claims.get(id);
  if (!(map instanceof Y.Map)) return false;
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) map.set(key, value);
  return true;
}

/** Deletes a claim and its discussion; returns false when there is no such claim. */
export function deleteClaim(doc: Y.Doc, id: string): boolean {
  const { claims, threads } = notesMaps(doc);
  if (!claims.has(id)) return false;
  claims.delete(id);
  threads.delete(id);
  return true;
}

export function writeSource(doc: Y.Doc, source: SourceRecord): void {
  const map = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(source)) map.set(key, value);
  notesMaps(doc).sources.set(source.id, map);
}

export function appendThreadMessage(doc: Y.Doc, claimId: string, message: ThreadMessage): void {
  const threads = notesMaps(doc).threads;
  let thread = threads.get(claimId);
  if (!(thread instanceof Y.Array)) {
    thread = new Y.Array<ThreadMessage>();
    threads.set(claimId, thread);
  }
  thread.push([message]);
}

/** A random id for claims, sources and messages (url-safe, 96 bits), usable in browsers and Node. */
export function newRecordId(): string {
  const bytes = new Uint8Array(12);
  globalThis.crypto.getRandomValues(bytes);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_');
}
