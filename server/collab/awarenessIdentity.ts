/**
 * Rewrites awareness updates so that the `user` field of every state is the sender's session
 * identity: nobody can appear under another name or colour, whatever their client sends.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { SessionIdentity } from './Connection.ts';

export interface AwarenessEntry {
  clientID: number;
  clock: number;
  state: Record<string, unknown> | null;
}

/** Decodes an awareness update; throws on malformed input (bad varints, JSON, or non-object states). */
export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i++) {
    const clientID = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const parsed: unknown = JSON.parse(decoding.readVarString(decoder));
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new TypeError('awareness state must be an object or null');
    }
    entries.push({ clientID, clock, state: parsed as Record<string, unknown> | null });
  }
  return entries;
}

export function encodeAwarenessUpdate(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientID);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, JSON.stringify(entry.state));
  }
  return encoding.toUint8Array(encoder);
}

/** Returns the entries with each non-null state's `user` replaced by the session's identity and role. */
export function stampIdentity(
  entries: AwarenessEntry[],
  identity: SessionIdentity & { role: string },
): AwarenessEntry[] {
  const user = { id: identity.id, name: identity.name, color: identity.color, role: identity.role };
  return entries.map((entry) => (entry.state === null ? entry : { ...entry, state: { ...entry.state, user } }));
}
