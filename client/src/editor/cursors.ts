/**
 * How other people's cursors and selections look in the editor (y-prosemirror's `yCursorPlugin`
 * calls these for each remote awareness state). The caret is a thin bar in the person's colour with
 * their name on a small label above it. Names and colours come from the server-stamped awareness
 * `user` field; they are still written as text and checked colours, never as markup.
 */
import type { DecorationAttrs } from 'prosemirror-view';
import { FALLBACK_COLOR } from '../collab/presence.ts';

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;

interface CursorUser {
  name: string;
  color: string;
}

function cursorUser(user: unknown): CursorUser {
  const record = typeof user === 'object' && user !== null ? (user as Record<string, unknown>) : {};
  const name = typeof record.name === 'string' && record.name.trim() !== '' ? record.name : 'Someone';
  const color = typeof record.color === 'string' && HEX_COLOR.test(record.color) ? record.color : FALLBACK_COLOR;
  return { name, color };
}

/**
 * The caret widget of one remote person: `.ProseMirror-yjs-cursor`, whose name label is drawn by CSS
 * from `data-name` (`::after`). The name is deliberately not a text node: a label is positioned over
 * the line above the caret, and text there becomes part of that line for the browser's caret
 * movement (End on the line above jumped to the colleague's caret). Generated content is never a
 * caret position.
 */
export function buildRemoteCursor(user: unknown): HTMLElement {
  const { name, color } = cursorUser(user);
  const cursor = document.createElement('span');
  cursor.className = 'ProseMirror-yjs-cursor';
  cursor.dataset.name = name;
  cursor.style.setProperty('--cursor-color', color);
  // Word joiners (as in y-prosemirror's own builder) keep the widget from opening a line break
  // opportunity in the middle of a word.
  cursor.append('\u2060\u2060');
  cursor.setAttribute('aria-hidden', 'true');
  return cursor;
}

/** The highlight of one remote person's selection: their colour, translucent. */
export function buildRemoteSelection(user: unknown): DecorationAttrs {
  const { color } = cursorUser(user);
  return { class: 'ProseMirror-yjs-selection', style: `background-color: ${color}33` };
}
