/** Follows a story's desk document (the workflow state, written only by the server) in a component. */
import { useEffect, useState } from 'preact/hooks';
import { YName } from '../../../shared/documentLayout.ts';
import { type DeskState, readDesk } from '../../../shared/workflow.ts';
import type { RoomConnection } from '../collab/RoomConnection.ts';

export interface DeskView {
  desk: DeskState;
  /** Whether the state shown is known (loaded from this device's copy or from the server). */
  known: boolean;
}

function view(room: RoomConnection): DeskView {
  const map = room.yDoc.getMap(YName.workflow);
  return { desk: readDesk(room.yDoc), known: room.status.everSynced || map.size > 0 };
}

/** The desk state as it is now; re-renders when the server changes it. */
export function useDesk(room: RoomConnection): DeskView {
  const [current, setCurrent] = useState(() => view(room));
  useEffect(() => {
    const map = room.yDoc.getMap(YName.workflow);
    const update = () => {
      const next = view(room);
      // Status changes (connection, saves) come through here too: keep the same object when the
      // desk itself did not change.
      setCurrent((previous) =>
        previous.known === next.known && JSON.stringify(previous.desk) === JSON.stringify(next.desk) ? previous : next,
      );
    };
    update();
    map.observe(update);
    const stop = room.subscribe(update);
    return () => {
      map.unobserve(update);
      stop();
    };
  }, [room]);
  return current;
}
