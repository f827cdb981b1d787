/**
 * Opens a story's rooms for a view and recovers from refused changes (DESIGN.md, "One story, three
 * live documents"): when the server refuses a change made here, the person is told what was refused,
 * the room's diverged local copy is discarded and the room is opened afresh from the server. A part
 * refused again after that is not reopened a second time (that could go on forever): it stays as it
 * is, read-only, until the page is reloaded.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../../../shared/api.ts';
import type { RoomConnection, RoomRefusal } from '../collab/RoomConnection.ts';
import { readTextVersion, type TextVersion, type UnsavedChange, unsavedChanges } from '../collab/refusedChanges.ts';
import { openStorySession, type SessionPart, type StorySession } from '../collab/storySession.ts';

// The desk is never written here; a refusal there means this page's copy holds workflow state the
// server no longer has (its data was restored from an older backup, say): it is reloaded the same way.
const PARTS: readonly SessionPart[] = ['body', 'notes', 'desk'];

/** What the page tells the person about a refused change. */
export interface RefusalNotice extends RoomRefusal {
  part: SessionPart;
  /**
   * `reloading`: discarding this page's copy and loading the server's; `reloaded`: the part shows
   * the server's copy; `stopped`: refused again after a reload, so left as it is (read-only).
   */
  stage: 'reloading' | 'reloaded' | 'stopped';
  /** The person's version of the body when it was discarded (`null` for other parts). */
  mine: TextVersion | null;
  /** What of `mine` the server does not have, once its copy has loaded. */
  unsaved: UnsavedChange[] | null;
}

export interface StorySessionState {
  session: StorySession;
  /** Changes whenever `session` is replaced: a key for everything bound to the old one. */
  generation: number;
  /** The latest refusal, until the person dismisses it. */
  refusal: RefusalNotice | null;
  /**
   * Parts that must not be edited here: refused for this role (until the page is reloaded), being
   * reloaded, or stopped.
   */
  readOnly: ReadonlySet<SessionPart>;
  dismissRefusal(): void;
}

/** `onRefused` is called at each refusal (to check the person's role on the story again). */
export function useStorySession(
  storyId: string,
  user: User,
  onRefused: (part: SessionPart) => void,
): StorySessionState {
  const [current, setCurrent] = useState(() => ({ session: openStorySession(storyId, user), generation: 0 }));
  const [refusal, setRefusal] = useState<RefusalNotice | null>(null);
  const [denied, setDenied] = useState<ReadonlySet<SessionPart>>(new Set());
  const alive = useRef(true);
  const onRefusedRef = useRef(onRefused);
  onRefusedRef.current = onRefused;

  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  useEffect(() => {
    const { session } = current;

    const recover = async (part: SessionPart, found: RoomRefusal) => {
      const versionOf = (from: StorySession) => (part === 'body' ? readTextVersion(from.yBody, from.yMeta) : null);
      const stop = session.reopened.has(part);
      const notice: RefusalNotice = {
        part,
        ...found,
        stage: stop ? 'stopped' : 'reloading',
        mine: versionOf(session),
        unsaved: null,
      };
      setRefusal(notice);
      if (found.kind === 'permission' || stop) setDenied((parts) => new Set([...parts, part]));
      onRefusedRef.current(part);
      if (stop) {
        await session[part].discardLocalCopy();
        return;
      }
      const next = await session.reopen(part);
      if (!alive.current) {
        next.destroy();
        return;
      }
      // Read again at the last moment before the editor lets go of the old copy: keystrokes that
      // reached it after the refusal are part of what the person must be shown.
      const mine = versionOf(session);
      const reloading: RefusalNotice = { ...notice, mine };
      setRefusal(reloading);
      setCurrent((previous) => ({ session: next, generation: previous.generation + 1 }));
      if (mine !== null) await firstSync(next[part]);
      if (!alive.current) return;
      const saved = versionOf(next);
      const unsaved = mine !== null && saved !== null ? unsavedChanges(mine, saved) : null;
      setRefusal((shown) => (shown === reloading ? { ...reloading, stage: 'reloaded', unsaved } : shown));
    };

    let handled = false;
    const check = () => {
      if (handled) return;
      for (const part of PARTS) {
        const found = session[part].status.refusal;
        if (found === null) continue;
        handled = true;
        recover(part, found).catch((error: unknown) =>
          console.error('Sourcedesk: could not reload the story after a refused change', error),
        );
        return;
      }
    };
    const stops = PARTS.map((part) => session[part].subscribe(check));
    check();
    return () => {
      for (const stopListening of stops) stopListening();
    };
  }, [current]);

  const readOnly = new Set(denied);
  if (refusal !== null && refusal.stage !== 'reloaded') readOnly.add(refusal.part);

  return {
    session: current.session,
    generation: current.generation,
    refusal,
    readOnly,
    dismissRefusal: () => setRefusal((shown) => (shown?.stage === 'reloading' ? shown : null)),
  };
}

/** Resolves once `room` has completed its first sync with the server. */
function firstSync(room: RoomConnection): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!room.status.everSynced) return;
      stopListening();
      resolve();
    };
    const stopListening = room.subscribe(check);
    check();
  });
}
