/**
 * One status for a whole story, from the statuses of its rooms: the status bar shows a single
 * connection and save state, not one per room.
 */
import type { ConnectionState, RoomStatus } from './RoomConnection.ts';

/** Worst first: the state the story is shown in when its rooms disagree. */
const CONNECTION_SEVERITY: readonly ConnectionState[] = [
  'closed',
  'offline',
  'reconnecting',
  'connecting',
  'connected',
];

/**
 * The story's status from its body room (the text people type) and its other rooms (which this
 * client only reads: they never hold a local change, so they can only hold the story back from
 * "connected" and "saved", never make it "unsaved"). Local-copy fields are the body's: that is
 * where typing is kept while offline.
 */
export function combineRoomStatus(body: RoomStatus, others: readonly RoomStatus[]): RoomStatus {
  if (others.length === 0) return body;
  const all = [body, ...others];
  const connection =
    CONNECTION_SEVERITY.find((state) => all.some((status) => status.connection === state)) ?? body.connection;
  const save =
    body.save === 'unsaved' ? 'unsaved' : all.some((status) => status.save !== 'saved') ? 'pending' : 'saved';
  return {
    connection,
    save,
    localCopy: body.localCopy,
    localCopyUpToDate: body.localCopyUpToDate,
    everSynced: body.everSynced,
    closed: body.closed ?? others.find((status) => status.closed !== null)?.closed ?? null,
    refusal: body.refusal ?? others.find((status) => status.refusal !== null)?.refusal ?? null,
  };
}
