/**
 * The formatting toolbar above the story text. Each button runs the same command as its keyboard
 * shortcut and says that shortcut in its label and tooltip. It follows the ARIA toolbar pattern:
 * one Tab stop, arrow keys move between buttons.
 */
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Command, EditorState } from 'prosemirror-state';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import { redoCommand, undoCommand } from 'y-prosemirror';
import {
  canLink,
  isInside,
  isMarkActive,
  isTextblockActive,
  linkAtSelection,
  schemaTypes,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleHeading,
  toggleItalic,
  toggleList,
} from '../editor/commands.ts';
import { Shortcut, shortcutLabel } from '../editor/shortcuts.ts';

export interface ToolbarProps {
  view: ProseMirrorView;
  /** The editor state to reflect (passed so the toolbar re-renders on every transaction). */
  state: EditorState;
  onEditLink(): void;
}

interface ToolbarItem {
  id: string;
  label: string;
  shortcut: string;
  icon: JSX.Element;
  /** Runs the action; called without dispatch, says whether it applies here. */
  command: Command;
  active?: (state: EditorState) => boolean;
}

function Icon({ path }: { path: string }) {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path
        d={path}
        fill="none"
        stroke="currentColor"
        stroke-width="2"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

const toggleBullets = toggleList(schemaTypes.bulletList);
const toggleNumbers = toggleList(schemaTypes.orderedList);

function items(onEditLink: () => void): ToolbarItem[][] {
  const editLink: Command = (state, dispatch) => {
    if (!canLink(state)) return false;
    if (dispatch) onEditLink();
    return true;
  };
  return [
    [
      {
        id: 'bold',
        label: 'Bold',
        shortcut: Shortcut.bold,
        icon: <b class="glyph">B</b>,
        command: toggleBold,
        active: (state) => isMarkActive(state, schemaTypes.strong),
      },
      {
        id: 'italic',
        label: 'Italic',
        shortcut: Shortcut.italic,
        icon: <i class="glyph glyph-serif">I</i>,
        command: toggleItalic,
        active: (state) => isMarkActive(state, schemaTypes.em),
      },
      {
        id: 'link',
        label: 'Link',
        shortcut: Shortcut.link,
        icon: (
          <Icon path="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1" />
        ),
        command: editLink,
        active: (state) => linkAtSelection(state) !== null,
      },
    ],
    [
      {
        id: 'paragraph',
        label: 'Body text',
        shortcut: Shortcut.paragraph,
        icon: <span class="glyph glyph-text">Text</span>,
        command: setParagraph,
        active: (state) => isTextblockActive(state, schemaTypes.paragraph),
      },
      ...([2, 3, 4] as const).map(
        (level): ToolbarItem => ({
          id: `heading${level}`,
          label: `Heading ${level}`,
          shortcut: Shortcut[`heading${level}`],
          icon: <span class="glyph glyph-text">H{level}</span>,
          command: toggleHeading(level),
          active: (state) => isTextblockActive(state, schemaTypes.heading, { level }),
        }),
      ),
    ],
    [
      {
        id: 'blockquote',
        label: 'Quote',
        shortcut: Shortcut.blockquote,
        icon: <Icon path="M7 7h4v4c0 3-1.5 5-4 6M14 7h4v4c0 3-1.5 5-4 6" />,
        command: toggleBlockquote,
        active: (state) => isInside(state, schemaTypes.blockquote),
      },
      {
        id: 'bullet-list',
        label: 'Bulleted list',
        shortcut: Shortcut.bulletList,
        icon: <Icon path="M9 6h11M9 12h11M9 18h11M4.5 6h.01M4.5 12h.01M4.5 18h.01" />,
        command: toggleBullets,
        active: (state) => isInside(state, schemaTypes.bulletList),
      },
      {
        id: 'ordered-list',
        label: 'Numbered list',
        shortcut: Shortcut.orderedList,
        icon: <Icon path="M10 6h10M10 12h10M10 18h10M4 5l1.5-1v5M3.5 15.5c.5-1 2.5-1 2.5.3 0 1-2.5 1.7-2.5 3.2H6" />,
        command: toggleNumbers,
        active: (state) => isInside(state, schemaTypes.orderedList),
      },
    ],
    [
      {
        id: 'undo',
        label: 'Undo your last change',
        shortcut: Shortcut.undo,
        icon: <Icon path="M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />,
        command: undoCommand,
      },
      {
        id: 'redo',
        label: 'Redo',
        shortcut: Shortcut.redo,
        icon: <Icon path="m15 14 5-5-5-5M20 9H9.5a5.5 5.5 0 0 0 0 11H13" />,
        command: redoCommand,
      },
    ],
  ];
}

export function Toolbar({ view, state, onEditLink }: ToolbarProps) {
  const groups = items(onEditLink);
  const flat = groups.flat();
  const [focusIndex, setFocusIndex] = useState(0);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  const run = (item: ToolbarItem) => {
    item.command(view.state, view.dispatch, view);
    // The link editor takes focus itself; everything else returns to the text.
    if (item.id !== 'link') view.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1 };
    let next: number | null = null;
    const step = moves[event.key];
    if (step !== undefined) next = (focusIndex + step + flat.length) % flat.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = flat.length - 1;
    if (next === null) return;
    event.preventDefault();
    setFocusIndex(next);
    buttons.current[next]?.focus();
  };

  let index = 0;
  return (
    <div class="toolbar" role="toolbar" aria-label="Formatting" aria-controls="story-text" onKeyDown={onKeyDown}>
      {groups.map((group) => (
        <div class="toolbar-group" key={group[0]?.id}>
          {group.map((item) => {
            const position = index++;
            const active = item.active?.(state) ?? false;
            // "Body text" on a paragraph has nothing to do, but is the current state, not unavailable.
            const enabled = active || item.command(state, undefined, view);
            const label = `${item.label} (${shortcutLabel(item.shortcut)})`;
            return (
              <button
                key={item.id}
                ref={(element) => {
                  buttons.current[position] = element;
                }}
                type="button"
                class={`toolbar-button${active ? ' is-active' : ''}`}
                aria-label={label}
                title={label}
                aria-pressed={item.active ? active : undefined}
                // aria-disabled rather than disabled: the button stays reachable with the arrow keys.
                aria-disabled={enabled ? undefined : 'true'}
                tabIndex={position === focusIndex ? 0 : -1}
                data-command={item.id}
                // Keep the text selection: a mouse press on a button must not blur the editor.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => {
                  setFocusIndex(position);
                  if (enabled) run(item);
                }}
              >
                {item.icon}
              </button>
            );
          })}
        </div>
      ))}
    </div>
  );
}
