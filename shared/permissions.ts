/**
 * What each per-story role may do (DESIGN.md, "Roles"). The server decides with these; the client
 * uses them only to hide what would be refused.
 */
import type { Role } from './api.ts';
import { type SettableClaimStatus, VERDICT_STATUSES } from './claims.ts';
import type { StoryPart } from './documentLayout.ts';

/** Edit the story's text and headline (the body room). */
export function canEditBody(role: Role): boolean {
  return role === 'reporter' || role === 'editor';
}

/** Add and edit claims, sources and notes (the notes room). */
export function canEditNotes(role: Role): boolean {
  return role === 'fact-checker' || role === 'reporter' || role === 'editor';
}

/** Set a claim to `status` (verdicts need a fact-checker or an editor). */
export function canSetClaimStatus(role: Role, status: SettableClaimStatus): boolean {
  if (!canEditNotes(role)) return false;
  if (VERDICT_STATUSES.includes(status)) return role === 'fact-checker' || role === 'editor';
  return true;
}

/** Delete a claim: editors only. */
export function canDeleteClaim(role: Role): boolean {
  return role === 'editor';
}

/** Change who is on the story. */
export function canManageMembers(role: Role): boolean {
  return role === 'editor';
}

/**
 * Whether a role may write a part's document over the socket. The desk is written only by the
 * server, in answer to API calls.
 */
export function canWriteRoom(role: Role, part: StoryPart): boolean {
  if (part === 'body') return canEditBody(role);
  if (part === 'notes') return canEditNotes(role);
  return false;
}
