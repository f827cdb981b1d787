/**
 * One claim opened in the panel: its text (or what it was, once detached), its status and who set
 * it, the re-check warning, the status form, its sources and its discussion.
 */
import type * as Y from 'yjs';
import type { Role } from '../../../../shared/api.ts';
import type { SourceRecord } from '../../../../shared/claims.ts';
import { canEditNotes, canSetClaimStatus } from '../../../../shared/permissions.ts';
import { api } from '../../api.ts';
import { type DrawnClaim, needsRecheck, shownStatus } from '../../editor/claims/index.ts';
import { useApiAction } from '../../hooks/useApiAction.ts';
import { useThread } from '../../hooks/useNotes.ts';
import { type People, personName } from '../../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../../time.ts';
import { ClaimSources } from './ClaimSources.tsx';
import { ClaimStatusForm } from './ClaimStatusForm.tsx';
import { ClaimThread } from './ClaimThread.tsx';

export interface ClaimDetailProps {
  id: string;
  storyId: string;
  claim: DrawnClaim;
  role: Role | null;
  yNotes: Y.Doc;
  notesVersion: number;
  sources: ReadonlyMap<string, SourceRecord>;
  people: People;
  announce(message: string): void;
}

function When({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatExactTime(iso)}>
      {formatRelativeTime(iso)}
    </time>
  );
}

export function ClaimDetail(props: ClaimDetailProps) {
  const { id, storyId, claim, role, yNotes, notesVersion, sources, people, announce } = props;
  const { record } = claim;
  const messages = useThread(yNotes, claim.id, notesVersion);
  const recheck = useApiAction();
  const canEdit = role !== null && canEditNotes(role);
  const flagged = needsRecheck(claim) ? record.changedSinceVerified : null;

  return (
    <section id={id} class="claim-detail" aria-label="Claim details">
      {shownStatus(claim) === 'detached' && (
        <p class="claim-detached-note">
          The text of this claim was deleted from the story. It read: <q>{record.quote}</q>
        </p>
      )}
      {flagged !== null && (
        <div class="claim-changed-banner" role="note">
          <p>
            <strong>Changed since verified</strong> by {personName(people, flagged.by)}, <When iso={flagged.at} /> —
            needs a re-check.
          </p>
          {record.verifiedText !== null && (
            <p class="small">
              Verified text: <q>{record.verifiedText}</q>
            </p>
          )}
          {role !== null && canSetClaimStatus(role, 'verified') && (
            <button
              type="button"
              class="button button-small"
              disabled={recheck.busy}
              onClick={() =>
                void recheck
                  .run(() => api.updateClaim(storyId, claim.id, { status: 'verified' }))
                  .then((done) => done && announce('Verified again'))
              }
            >
              Verified again as it reads now
            </button>
          )}
          {recheck.error !== null && (
            <p class="form-error" role="alert">
              {recheck.error}
            </p>
          )}
        </div>
      )}
      <p class="claim-provenance small muted">
        Added by {personName(people, record.createdBy)} <When iso={record.createdAt} />
        {(record.statusBy !== record.createdBy || record.statusAt !== record.createdAt) && (
          <>
            {' · '}status set by {personName(people, record.statusBy)} <When iso={record.statusAt} />
          </>
        )}
      </p>
      {canEdit && role !== null && <ClaimStatusForm storyId={storyId} claim={claim} role={role} announce={announce} />}
      <ClaimSources storyId={storyId} claim={claim} sources={sources} canEdit={canEdit} announce={announce} />
      <ClaimThread
        storyId={storyId}
        claimId={claim.id}
        messages={messages}
        people={people}
        canPost={canEdit}
        announce={announce}
      />
    </section>
  );
}
