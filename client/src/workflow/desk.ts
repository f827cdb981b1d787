/**
 * Pure helpers on the desk state and on keyboard shortcuts for the workflow UI (no DOM, no Preact),
 * tested in `test/workflowLabels.test.ts`.
 */
import type { DeskState } from '../../../shared/workflow.ts';

/**
 * The desk state to show: the live room's, unless an API answer is newer (the room's copy of the
 * same change is on its way, or its socket is down). Compared by the last transition's time; a
 * tie goes to the room, which also carries the "changed since approval" flag.
 */
export function newerDesk(room: DeskState, answer: DeskState | null): DeskState {
  if (answer === null) return room;
  const roomAt = room.updated?.at ?? '';
  const answerAt = answer.updated?.at ?? '';
  return answerAt > roomAt ? answer : room;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform);

/** The parts of a keyboard event a shortcut is matched on. */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

/**
 * Whether `event` is the shortcut `keys` (prosemirror-keymap's syntax, e.g. `Mod-Alt-h`). Letters
 * are matched on the physical key (`KeyH`) as well as on `key`, because Alt (Option on a Mac)
 * changes the character a key types ("˙" for Option+H).
 */
export function matchesShortcut(event: KeyPress, keys: string, mac: boolean = isMac): boolean {
  const parts = keys.split(/-(?!$)/);
  const key = parts.pop() ?? '';
  const wants = {
    ctrl: parts.includes('Ctrl') || (!mac && parts.includes('Mod')),
    meta: parts.includes('Meta') || (mac && parts.includes('Mod')),
    alt: parts.includes('Alt'),
    shift: parts.includes('Shift'),
  };
  if (
    event.ctrlKey !== wants.ctrl ||
    event.metaKey !== wants.meta ||
    event.altKey !== wants.alt ||
    event.shiftKey !== wants.shift
  ) {
    return false;
  }
  if (/^[a-z]$/i.test(key))
    return event.code === `Key${key.toUpperCase()}` || event.key.toLowerCase() === key.toLowerCase();
  return event.key === key;
}
