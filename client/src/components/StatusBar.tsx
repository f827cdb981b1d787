/**
 * The status bar at the foot of the editor, always visible: whether the story is connected, whether
 * everything typed here is saved on the server, the workflow state with its actions, the person's
 * role, and who else is in the story.
 * Connection and save state are announced to screen readers as they change.
 */
import type { ComponentChildren } from 'preact';
import type { Role } from '../../../shared/api.ts';
import { canEditBody, canEditNotes } from '../../../shared/permissions.ts';
import type { Person } from '../collab/presence.ts';
import type { ConnectionState, RoomStatus } from '../collab/RoomConnection.ts';
import { roleLabel } from '../roles.ts';
import { PresenceList } from './PresenceList.tsx';

export interface StatusBarProps {
  status: RoomStatus;
  people: Person[];
  /** The person's role on the story, once known. */
  role: Role | null;
  /** The workflow state and its actions (`client/src/workflow/WorkflowStatus.tsx`). */
  workflow?: ComponentChildren;
}

const CONNECTION_TEXT: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  closed: 'Disconnected',
};

const CONNECTION_HINT: Record<ConnectionState, string> = {
  connecting: 'Opening a live connection to the story',
  connected: 'Live: you see other people’s changes as they type',
  reconnecting: 'The connection to the server was lost; trying again',
  offline: 'This computer is offline; your edits are kept here and sent when it reconnects',
  closed: 'The server closed the connection',
};

function saveText(status: RoomStatus): { text: string; hint: string; note?: string } {
  const online = status.connection === 'connected';
  const keptLocally = status.localCopyUpToDate;
  switch (status.save) {
    case 'saved':
      return { text: 'All changes saved', hint: 'Everything you changed is stored on the server' };
    case 'unsaved':
      return {
        text: 'Unsynced changes',
        ...(!online && keptLocally ? { note: 'kept on this device' } : {}),
        hint: online
          ? 'Sending your latest changes to the server'
          : keptLocally
            ? 'Your changes are kept on this device and sent when the connection is back'
            : 'Your changes will be sent when the connection is back; keep this page open',
      };
    default:
      return {
        text: online || status.connection === 'connecting' ? 'Syncing…' : 'Not synced',
        hint: 'Waiting for the server to confirm the story is up to date',
      };
  }
}

function roleHint(role: Role): string {
  if (canEditBody(role)) return 'You can edit this story and its claims';
  if (canEditNotes(role)) return 'You can add claims, sources and notes; the text is read only';
  return 'You can read this story and its claims';
}

export function StatusBar({ status, people, role, workflow }: StatusBarProps) {
  const save = saveText(status);
  return (
    <footer class="status-bar">
      <div class="status-live" role="status" aria-live="polite">
        <span
          class={`status-item connection connection-${status.connection}`}
          title={CONNECTION_HINT[status.connection]}
        >
          <span class="status-dot" aria-hidden="true" />
          {CONNECTION_TEXT[status.connection]}
        </span>
        <span class={`status-item save save-${status.save}`} title={save.hint} data-testid="save-state">
          <span class="save-icon" aria-hidden="true" />
          {save.text}
          {save.note !== undefined && <span class="status-note">— {save.note}</span>}
        </span>
      </div>
      {workflow}
      {role !== null && (
        <span class="status-item role" title={roleHint(role)}>
          Your role: {roleLabel(role)}
          {canEditBody(role) ? '' : canEditNotes(role) ? ' (claims and sources)' : ' (read only)'}
        </span>
      )}
      <div
        class={`status-presence${status.connection === 'connected' ? '' : ' is-stale'}`}
        title={status.connection === 'connected' ? undefined : 'Last known while connected'}
      >
        <PresenceList people={people} />
      </div>
    </footer>
  );
}
