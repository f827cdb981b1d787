/**
 * Who is in a room, read from its awareness states. The server stamps each state's `user` with the
 * sender's session identity (`{id, name, color}`), so these are trustworthy; one person with several
 * tabs open appears once.
 */
import type { Awareness } from 'y-protocols/awareness';

/** A person present in a room. */
export interface Person {
  id: string;
  name: string;
  /** `#rrggbb`, the person's cursor and avatar colour. */
  color: string;
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
/** Used when a state carries no usable colour (never from our server; a neutral grey). */
export const FALLBACK_COLOR = '#6b7280';

/** The person described by an awareness state's `user` field, or `null` when it has none. */
export function personFromState(state: unknown): Person | null {
  if (typeof state !== 'object' || state === null) return null;
  const user = (state as Record<string, unknown>).user;
  if (typeof user !== 'object' || user === null) return null;
  const { id, name, color } = user as Record<string, unknown>;
  if (typeof id !== 'string' || typeof name !== 'string') return null;
  return { id, name, color: typeof color === 'string' && HEX_COLOR.test(color) ? color : FALLBACK_COLOR };
}

/** Everyone in the room except `selfId`, one entry per person, sorted by name. */
export function peopleInRoom(awareness: Awareness, selfId: string): Person[] {
  const people = new Map<string, Person>();
  for (const state of awareness.getStates().values()) {
    const person = personFromState(state);
    if (person !== null && person.id !== selfId && !people.has(person.id)) people.set(person.id, person);
  }
  return [...people.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Up to two initials of a name: "Alice Reporter" → "AR", "bob" → "B". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  // Array.from splits by code point, so a name starting with an emoji or a CJK extension character
  // does not yield half a surrogate pair.
  const first = Array.from(words[0] ?? '')[0] ?? '?';
  const last = words.length > 1 ? (Array.from(words.at(-1) ?? '')[0] ?? '') : '';
  return `${first}${last}`.toUpperCase();
}
