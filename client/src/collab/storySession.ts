/**
 * Opens the live documents of one story for the editor. The one place that knows which rooms a
 * story view needs: the body (text, title) and the notes (claims, sources, discussions); the desk
 * room (workflow) joins here, so views never assemble connections themselves.
 */
import type * as Y from 'yjs';
import type { User } from '../../../shared/api.ts';
import { YName } from '../../../shared/documentLayout.ts';
import { RoomConnection } from './RoomConnection.ts';

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
  /** Closes every room of the story. */
  destroy(): void;
}

export function openStorySession(storyId: string, user: User): StorySession {
  const body = new RoomConnection({ storyId, part: 'body', user });
  const notes = new RoomConnection({ storyId, part: 'notes', user });
  return {
    storyId,
    body,
    yBody: body.yDoc.getXmlFragment(YName.body),
    yMeta: body.yDoc.getMap(YName.meta),
    notes,
    yNotes: notes.yDoc,
    destroy() {
      notes.destroy();
      body.destroy();
    },
  };
}
