/**
 * The plugins of the story editor, in precedence order: the Yjs binding first (ySyncPlugin mirrors
 * every transaction into the shared `Y.XmlFragment`; yCursorPlugin draws other people's carets;
 * yUndoPlugin keeps per-person undo), then our keymap, ProseMirror's base keymap, input rules and
 * the drop and gap cursors, the highlight of the text a link is being added to, the cleaning of
 * pasted HTML, and the claims (their highlights and the sentences that need a source).
 */
import { baseKeymap } from 'prosemirror-commands';
import { dropCursor } from 'prosemirror-dropcursor';
import { gapCursor } from 'prosemirror-gapcursor';
import { keymap } from 'prosemirror-keymap';
import type { Plugin } from 'prosemirror-state';
import { yCursorPlugin, ySyncPlugin, yUndoPlugin } from 'y-prosemirror';
import type { Awareness } from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { claimsPlugins } from './claims/index.ts';
import { buildRemoteCursor, buildRemoteSelection } from './cursors.ts';
import { storyInputRules } from './inputRules.ts';
import { type KeymapHooks, storyKeymap } from './keymap.ts';
import { linkTargetPlugin } from './linkTarget.ts';
import { pasteCleaningPlugin } from './pasteCleaning.ts';

export interface StoryPluginOptions extends KeymapHooks {
  /** The body document's fragment the editor is bound to. */
  yBody: Y.XmlFragment;
  /** Presence of the body room (cursors). */
  awareness: Awareness;
  /** The story's notes document (claims). */
  yNotes: Y.Doc;
}

export function storyPlugins(options: StoryPluginOptions): Plugin[] {
  return [
    ySyncPlugin(options.yBody),
    yCursorPlugin(options.awareness, { cursorBuilder: buildRemoteCursor, selectionBuilder: buildRemoteSelection }),
    yUndoPlugin(),
    keymap(storyKeymap(options)),
    keymap(baseKeymap),
    storyInputRules(),
    dropCursor({ color: '#1d4ed8', width: 2 }),
    gapCursor(),
    linkTargetPlugin(),
    pasteCleaningPlugin(),
    ...claimsPlugins({ yBody: options.yBody, yNotes: options.yNotes }),
  ];
}
