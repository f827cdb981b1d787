/**
 * The workflow and history calls of the HTTP API (see `server/routes/workflowRoutes.ts`). Failures
 * are `ApiError`s like every other call; a refused approval carries the claims that block it
 * (`blockingClaimsOf`).
 */
import type { DeskState, DiffAnswer, VersionSummary, WorkflowAction } from '../../../shared/workflow.ts';
import { ApiError, request } from '../api.ts';

/** What a workflow call answers: the new desk state and what the caller may do next. */
export interface WorkflowAnswer {
  workflow: DeskState;
  actions: WorkflowAction[];
  version: VersionSummary | null;
}

/** A claim that stands in the way of an approval, with why ("unverified", "changed since verified", ...). */
export interface BlockingClaim {
  id: string;
  text: string;
  status: string;
  reason: string;
}

/** The claims that block an approval, when `error` is such a refusal (409 `blocking_claims`); else `null`. */
export function blockingClaimsOf(error: unknown): BlockingClaim[] | null {
  if (!(error instanceof ApiError) || error.code !== 'blocking_claims') return null;
  const { blocking } = error.body;
  return Array.isArray(blocking) ? blocking.filter(isBlockingClaim) : [];
}

/** A version as the API shows it: the body as ProseMirror JSON and the headline fields. */
export interface VersionContent {
  version: VersionSummary;
  doc: Record<string, unknown>;
  meta: Record<string, string>;
}

function storyPath(storyId: string): string {
  return `/api/stories/${encodeURIComponent(storyId)}`;
}

function isBlockingClaim(value: unknown): value is BlockingClaim {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['id', 'text', 'status', 'reason'].every((key) => typeof record[key] === 'string');
}

interface AuditEntry {
  seq: number;
  action: string;
  detail: Record<string, unknown>;
}

/** Audit pages read, at most, looking for an approval's entry (500 entries each). */
const AUDIT_PAGES = 10;

export const workflowApi = {
  workflow: (storyId: string) => request<WorkflowAnswer>('GET', `${storyPath(storyId)}/workflow`),

  /** Takes a workflow action; a refused approval's claims are in `blockingClaimsOf(error)`. */
  act: (storyId: string, action: WorkflowAction) =>
    request<WorkflowAnswer>('POST', `${storyPath(storyId)}/${action}`, action === 'approve' ? {} : undefined),

  /** Approves over the blocking claims, with the editor's written reason (kept in the record). */
  approveAnyway: (storyId: string, reason: string) =>
    request<WorkflowAnswer>('POST', `${storyPath(storyId)}/approve`, { override: { reason } }),

  async versions(storyId: string): Promise<VersionSummary[]> {
    return (await request<{ versions: VersionSummary[] }>('GET', `${storyPath(storyId)}/versions`)).versions;
  },

  nameVersion: (storyId: string, name: string) =>
    request<VersionSummary>('POST', `${storyPath(storyId)}/versions`, { name }),

  version: (storyId: string, versionId: string) =>
    request<VersionContent>('GET', `${storyPath(storyId)}/versions/${encodeURIComponent(versionId)}`),

  restore: (storyId: string, versionId: string) =>
    request<{ version: VersionSummary }>(
      'POST',
      `${storyPath(storyId)}/versions/${encodeURIComponent(versionId)}/restore`,
    ),

  /** What changed since the approval in force (`approval`) or since a version. */
  diff: (storyId: string, since: string) =>
    request<DiffAnswer>('GET', `${storyPath(storyId)}/diff?since=${encodeURIComponent(since)}`),

  /**
   * How many claims an approval was given over (the desk keeps only the reason; the audit trail
   * keeps which claims). `null` when the entry is not found.
   */
  async overriddenClaimCount(storyId: string, versionId: string): Promise<number | null> {
    let after = 0;
    for (let page = 0; page < AUDIT_PAGES; page++) {
      const { entries } = await request<{ entries: AuditEntry[] }>('GET', `${storyPath(storyId)}/audit?after=${after}`);
      for (const entry of entries) {
        if (entry.action === 'approved' && entry.detail.versionId === versionId) {
          const blocking = entry.detail.blocking;
          return Array.isArray(blocking) ? blocking.length : null;
        }
      }
      const last = entries[entries.length - 1];
      if (last === undefined || entries.length < 500) return null;
      after = last.seq;
    }
    return null;
  },
};
