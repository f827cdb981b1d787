/**
 * Opens the live documents of one story for the editor. The one place that knows which rooms a
 * story view needs: the body (text, title), the notes (claims, sources, discussions) and the desk
 * (workflow state), so views never assemble connections themselves.
 */
import type * as Y from 'yjs';
import type { User } from '../../../shared/api.ts';
import { YName } from '../../../shared/documentLayout.ts';
import { RoomConnection } from './RoomConnection.ts';

/** The rooms a story view opens. */
export type SessionPart = 'body' | 'notes' | 'desk';

/** The rooms of one open story and the shared types the editor binds to. */
export interface StorySession {
  readonly storyId: string;
  /** The `<storyId>/body` room: ProseMirror document and metadata. */
  readonly body: RoomConnection;
  /** `Y.XmlFragment` the ProseMirror document is bound to. */
  readonly yBody: Y.XmlFragment;
  /** `Y.Map` with `title`, `dek` and `byline`. */
  readonly yMeta: Y.Map<unknown>;
  /**
   * The `<storyId>/notes` room: claims, sources and discussions. Read only by this client: every
   * change goes through the HTTP API, and arrives here (for everyone) through the room.
   */
  readonly notes: RoomConnection;
  /** The notes document (read it with `shared/claims.ts`). */
  readonly yNotes: Y.Doc;
  /**
   * The `<storyId>/desk` room: the workflow state. Only the server writes it (in answer to API
   * calls); every member reads it live (read it with `shared/workflow.ts` `readDesk`).
   */
  readonly desk: RoomConnection;
  /**
   * The parts whose room was opened afresh, in this page, after the server refused a change there.
   * A second refusal of such a part is not recovered from automatically (it could repeat forever).
   */
  readonly reopened: ReadonlySet<SessionPart>;
  /**
   * For a part whose changes the server refused: discards that room's local copy (`RoomConnection.
   * discardLocalCopy`) and resolves to the session that replaces this one, with a fresh room for
   * `part` (a new document, filled by the server alone) and this session's other rooms. From then
   * on `destroy` here closes only the discarded room; the successor owns the others.
   */
  reopen(part: SessionPart): Promise<StorySession>;
  /** Closes every room this session still owns. */
  destroy(): void;
}

export function openStorySession(storyId: string, user: User): StorySession {
  const open = (part: SessionPart) => new RoomConnection({ storyId, part, user });
  return sessionOf(storyId, { body: open('body'), notes: open('notes'), desk: open('desk') }, new Set(), open);
}

function sessionOf(
  storyId: string,
  rooms: Record<SessionPart, RoomConnection>,
  reopened: ReadonlySet<SessionPart>,
  open: (part: SessionPart) => RoomConnection,
): StorySession {
  const { body, notes, desk } = rooms;
  /** The rooms this session closes on `destroy` (all of them until it hands them to a successor). */
  let owned: RoomConnection[] = [desk, notes, body];
  return {
    storyId,
    body,
    yBody: body.yDoc.getXmlFragment(YName.body),
    yMeta: body.yDoc.getMap(YName.meta),
    notes,
    yNotes: notes.yDoc,
    desk,
    reopened,
    async reopen(part) {
      const refused = rooms[part];
      // The new room's copy must not be read before the old one is deleted.
      await refused.discardLocalCopy();
      owned = [refused];
      return sessionOf(storyId, { ...rooms, [part]: open(part) }, new Set([...reopened, part]), open);
    },
    destroy() {
      for (const room of owned) room.destroy();
    },
  };
}
