/**
 * The story editor's key bindings (names from `shortcuts.ts`). Undo and redo are y-prosemirror's:
 * they undo only this person's own changes, never a colleague's.
 */
import { chainCommands, exitCode } from 'prosemirror-commands';
import { undoInputRule } from 'prosemirror-inputrules';
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list';
import type { Command } from 'prosemirror-state';
import { redoCommand, undoCommand } from 'y-prosemirror';
import {
  canLink,
  insertHardBreak,
  schemaTypes,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleHeading,
  toggleItalic,
  toggleList,
} from './commands.ts';
import { Shortcut } from './shortcuts.ts';

export interface KeymapHooks {
  /** Opens the link editor for the selection (Mod-k). */
  editLink(): void;
}

/** Bindings checked before ProseMirror's base keymap. */
export function storyKeymap(hooks: KeymapHooks): Record<string, Command> {
  const editLink: Command = (state, dispatch) => {
    if (!canLink(state)) return false;
    if (dispatch) hooks.editLink();
    return true;
  };
  const hardBreak = chainCommands(exitCode, insertHardBreak);
  return {
    [Shortcut.undo]: undoCommand,
    [Shortcut.redo]: redoCommand,
    [Shortcut.redoAlternative]: redoCommand,
    Backspace: undoInputRule,
    [Shortcut.bold]: toggleBold,
    [Shortcut.italic]: toggleItalic,
    [Shortcut.link]: editLink,
    [Shortcut.paragraph]: setParagraph,
    [Shortcut.heading2]: toggleHeading(2),
    [Shortcut.heading3]: toggleHeading(3),
    [Shortcut.heading4]: toggleHeading(4),
    [Shortcut.blockquote]: toggleBlockquote,
    [Shortcut.bulletList]: toggleList(schemaTypes.bulletList),
    [Shortcut.orderedList]: toggleList(schemaTypes.orderedList),
    [Shortcut.hardBreak]: hardBreak,
    'Mod-Enter': hardBreak,
    Enter: splitListItem(schemaTypes.listItem),
    // Outside a list these return false, so Tab still moves focus out of the editor.
    [Shortcut.indentListItem]: sinkListItem(schemaTypes.listItem),
    [Shortcut.outdentListItem]: liftListItem(schemaTypes.listItem),
    'Mod-]': sinkListItem(schemaTypes.listItem),
    'Mod-[': liftListItem(schemaTypes.listItem),
  };
}
