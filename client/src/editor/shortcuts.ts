/**
 * The editor's keyboard shortcuts, named once: the keymap binds these names and the toolbar shows
 * them in its buttons' labels, so the two never disagree. Names use prosemirror-keymap's syntax
 * (`Mod` is Cmd on a Mac, Ctrl elsewhere).
 */

const isMac = typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform);

export const Shortcut = {
  bold: 'Mod-b',
  italic: 'Mod-i',
  link: 'Mod-k',
  paragraph: 'Mod-Alt-0',
  heading2: 'Mod-Alt-2',
  heading3: 'Mod-Alt-3',
  heading4: 'Mod-Alt-4',
  blockquote: 'Shift-Mod-.',
  bulletList: 'Shift-Mod-8',
  orderedList: 'Shift-Mod-9',
  undo: 'Mod-z',
  redo: 'Shift-Mod-z',
  redoAlternative: 'Mod-y',
  hardBreak: 'Shift-Enter',
  indentListItem: 'Tab',
  outdentListItem: 'Shift-Tab',
  /**
   * Claim the selection (or the sentence at the cursor); works in a read-only text too. On a Mac,
   * Ctrl-Option: the browser keeps Cmd-Option-C for its developer tools.
   */
  createClaim: isMac ? 'Ctrl-Alt-c' : 'Mod-Alt-c',
  /** Move the focus to the claims panel. */
  focusClaims: isMac ? 'Ctrl-Alt-p' : 'Mod-Alt-p',
  /** Move the focus to the stories pane (opening it when hidden); pressed there, back to the text. */
  focusStories: isMac ? 'Ctrl-Alt-s' : 'Mod-Alt-s',
  // The editorial workflow (client/src/workflow/): on the window, like the claim shortcuts.
  requestReview: isMac ? 'Ctrl-Alt-r' : 'Mod-Alt-r',
  approve: isMac ? 'Ctrl-Alt-a' : 'Mod-Alt-a',
  publish: isMac ? 'Ctrl-Alt-u' : 'Mod-Alt-u',
  reopen: isMac ? 'Ctrl-Alt-o' : 'Mod-Alt-o',
  /** Open or close the history panel. */
  history: isMac ? 'Ctrl-Alt-h' : 'Mod-Alt-h',
  /** Show (or close) the changes since the approval. */
  changes: isMac ? 'Ctrl-Alt-d' : 'Mod-Alt-d',
} as const;

export type ShortcutName = keyof typeof Shortcut;

const MAC_SYMBOLS: Record<string, string> = { Mod: '⌘', Shift: '⇧', Alt: '⌥', Ctrl: '⌃' };
const PC_NAMES: Record<string, string> = { Mod: 'Ctrl', Shift: 'Shift', Alt: 'Alt', Ctrl: 'Ctrl' };
// Keys written shifted on a US keyboard are shown as the key people press.
const KEY_NAMES: Record<string, string> = { '.': '.', Enter: 'Enter', Tab: 'Tab' };

const ARIA_MODIFIERS: Record<string, string> = {
  Mod: isMac ? 'Meta' : 'Control',
  Ctrl: 'Control',
  Alt: 'Alt',
  Shift: 'Shift',
};

/** A shortcut in the syntax of the `aria-keyshortcuts` attribute: "Control+Alt+H". */
export function ariaKeyShortcut(keys: string): string {
  const parts = keys.split(/-(?!$)/);
  const key = parts.pop() ?? '';
  const modifiers = parts.map((name) => ARIA_MODIFIERS[name] ?? name);
  return [...modifiers, key.length === 1 ? key.toUpperCase() : key].join('+');
}

/** How a shortcut is written for people on this platform: "Ctrl+Alt+2" or "⌥⌘2". */
export function shortcutLabel(keys: string): string {
  const parts = keys.split(/-(?!$)/);
  const key = parts.pop() ?? '';
  const shownKey = KEY_NAMES[key] ?? key.toUpperCase();
  if (isMac) {
    // Apple's order: Control, Option, Shift, Command.
    const order = ['Ctrl', 'Alt', 'Shift', 'Mod'];
    const modifiers = order.filter((name) => parts.includes(name)).map((name) => MAC_SYMBOLS[name] ?? name);
    return `${modifiers.join('')}${shownKey}`;
  }
  const order = ['Mod', 'Ctrl', 'Alt', 'Shift'];
  const modifiers = order.filter((name) => parts.includes(name)).map((name) => PC_NAMES[name] ?? name);
  return [...modifiers, shownKey].join('+');
}
