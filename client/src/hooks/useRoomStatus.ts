/** Hooks that follow a room's state in a component. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { type Person, peopleInRoom } from '../collab/presence.ts';
import type { RoomConnection, RoomStatus } from '../collab/RoomConnection.ts';
import type { StorySession } from '../collab/storySession.ts';
import { combineRoomStatus } from '../collab/storyStatus.ts';

/** The room's status (connection, save state, local copy, permanent close); re-renders on change. */
export function useRoomStatus(room: RoomConnection): RoomStatus {
  const [status, setStatus] = useState(room.status);
  useEffect(() => {
    setStatus(room.status);
    return room.subscribe(() => setStatus(room.status));
  }, [room]);
  return status;
}

/** The status of a whole story (all its rooms as one, see `combineRoomStatus`); re-renders on change. */
export function useStoryStatus(session: StorySession): RoomStatus {
  const body = useRoomStatus(session.body);
  const notes = useRoomStatus(session.notes);
  const desk = useRoomStatus(session.desk);
  return useMemo(() => combineRoomStatus(body, [notes, desk]), [body, notes, desk]);
}

/** Everyone else in the room (deduplicated by user id); re-renders when presence changes. */
export function usePeople(room: RoomConnection, selfId: string): Person[] {
  const [people, setPeople] = useState<Person[]>(() => peopleInRoom(room.awareness, selfId));
  useEffect(() => {
    const update = () => {
      const next = peopleInRoom(room.awareness, selfId);
      // Awareness 'change' fires for cursor moves too; only re-render when the people differ.
      setPeople((previous) =>
        previous.length === next.length &&
        previous.every(
          (person, i) => person.id === next[i]?.id && person.name === next[i]?.name && person.color === next[i]?.color,
        )
          ? previous
          : next,
      );
    };
    update();
    room.awareness.on('change', update);
    return () => room.awareness.off('change', update);
  }, [room, selfId]);
  return people;
}
