/**
 * Editing commands of the story editor, in ProseMirror's `Command` shape
 * (`(state, dispatch?, view?) => boolean`; called without `dispatch` they only say whether they
 * apply, which is how the toolbar enables its buttons), plus the questions the toolbar asks about
 * the selection.
 */
import { lift, setBlockType, toggleMark, wrapIn } from 'prosemirror-commands';
import type { Attrs, MarkType, NodeType } from 'prosemirror-model';
import { liftListItem, wrapInList } from 'prosemirror-schema-list';
import type { Command, EditorState } from 'prosemirror-state';
import { safeLinkHref } from '../../../shared/links.ts';
import { storySchema } from '../../../shared/schema.ts';

const { nodes, marks } = storySchema;

function nodeType(name: string): NodeType {
  const type = nodes[name];
  if (type === undefined) throw new RangeError(`The story schema has no node type ${name}`);
  return type;
}

function markType(name: string): MarkType {
  const type = marks[name];
  if (type === undefined) throw new RangeError(`The story schema has no mark type ${name}`);
  return type;
}

export const schemaTypes = {
  paragraph: nodeType('paragraph'),
  heading: nodeType('heading'),
  blockquote: nodeType('blockquote'),
  bulletList: nodeType('bullet_list'),
  orderedList: nodeType('ordered_list'),
  listItem: nodeType('list_item'),
  hardBreak: nodeType('hard_break'),
  strong: markType('strong'),
  em: markType('em'),
  link: markType('link'),
} as const;

/** Whether the mark is on the stored marks (empty selection) or anywhere in the selection. */
export function isMarkActive(state: EditorState, type: MarkType): boolean {
  const { from, $from, to, empty } = state.selection;
  if (empty) return type.isInSet(state.storedMarks ?? $from.marks()) !== undefined;
  return state.doc.rangeHasMark(from, to, type);
}

/** Whether the selection's textblock is of `type` (and has `attrs`, when given). */
export function isTextblockActive(state: EditorState, type: NodeType, attrs?: Attrs): boolean {
  const { $from, to } = state.selection;
  if ($from.parent.type !== type || to > $from.end()) return false;
  if (attrs === undefined) return true;
  return Object.entries(attrs).every(([key, value]) => $from.parent.attrs[key] === value);
}

/** Depth of the closest ancestor of the selection start that is of `type`, or -1. */
function ancestorDepth(state: EditorState, type: NodeType): number {
  const { $from } = state.selection;
  for (let depth = $from.depth; depth > 0; depth--) {
    if ($from.node(depth).type === type) return depth;
  }
  return -1;
}

/** Whether the selection is inside a node of `type` (a blockquote or a list). */
export function isInside(state: EditorState, type: NodeType): boolean {
  return ancestorDepth(state, type) >= 0;
}

export const toggleBold: Command = toggleMark(schemaTypes.strong);
export const toggleItalic: Command = toggleMark(schemaTypes.em);

/** Turns the selected textblocks into paragraphs. */
export const setParagraph: Command = setBlockType(schemaTypes.paragraph);

/** Makes the selected textblocks headings of `level`; applied to such a heading, makes it a paragraph again. */
export function toggleHeading(level: 2 | 3 | 4): Command {
  const makeHeading = setBlockType(schemaTypes.heading, { level });
  return (state, dispatch, view) => {
    if (isTextblockActive(state, schemaTypes.heading, { level })) return setParagraph(state, dispatch, view);
    return makeHeading(state, dispatch, view);
  };
}

/** Wraps the selection in a blockquote, or lifts it out of the one it is in. */
export const toggleBlockquote: Command = (state, dispatch, view) => {
  if (isInside(state, schemaTypes.blockquote)) return lift(state, dispatch, view);
  return wrapIn(schemaTypes.blockquote)(state, dispatch, view);
};

/**
 * Wraps the selection in a list of `listType`. Inside a list of that type, lifts the items out of
 * it; inside a list of the other type, switches that list's type.
 */
export function toggleList(listType: NodeType): Command {
  const wrap = wrapInList(listType);
  const liftItem = liftListItem(schemaTypes.listItem);
  return (state, dispatch, view) => {
    const listDepth = Math.max(
      ancestorDepth(state, schemaTypes.bulletList),
      ancestorDepth(state, schemaTypes.orderedList),
    );
    if (listDepth < 0) return wrap(state, dispatch, view);
    const { $from } = state.selection;
    const list = $from.node(listDepth);
    if (list.type === listType) return liftItem(state, dispatch, view);
    if (dispatch) {
      const attrs = listType === schemaTypes.orderedList ? { order: 1 } : null;
      dispatch(state.tr.setNodeMarkup($from.before(listDepth), listType, attrs).scrollIntoView());
    }
    return true;
  };
}

/** Inserts a line break inside the current paragraph. */
export const insertHardBreak: Command = (state, dispatch) => {
  if (!state.selection.$from.parent.type.contentMatch.matchType(schemaTypes.hardBreak)) return false;
  if (dispatch) dispatch(state.tr.replaceSelectionWith(schemaTypes.hardBreak.create()).scrollIntoView());
  return true;
};

/** The range of the link around an empty selection (the run of text carrying that link), or `null`. */
function linkRangeAround(state: EditorState): { from: number; to: number; href: string } | null {
  const { $from } = state.selection;
  const link = schemaTypes.link.isInSet($from.marks());
  if (link === undefined) return null;
  const parent = $from.parent;
  let position = $from.start();
  let runFrom = -1;
  for (let index = 0; index < parent.childCount; index++) {
    const child = parent.child(index);
    const childFrom = position;
    position += child.nodeSize;
    if (link.isInSet(child.marks)) {
      if (runFrom < 0) runFrom = childFrom;
      if (runFrom <= $from.pos && $from.pos <= position) {
        // Extend over the following children with the same link, then stop.
        let runTo = position;
        for (let next = index + 1; next < parent.childCount; next++) {
          const following = parent.child(next);
          if (!link.isInSet(following.marks)) break;
          runTo += following.nodeSize;
        }
        return { from: runFrom, to: runTo, href: String(link.attrs.href) };
      }
    } else {
      runFrom = -1;
    }
  }
  return null;
}

/** The href of the link at the selection, if there is one. */
export function linkAtSelection(state: EditorState): string | null {
  const { from, to, empty } = state.selection;
  if (empty) return linkRangeAround(state)?.href ?? null;
  let href: string | null = null;
  state.doc.nodesBetween(from, to, (node) => {
    const link = schemaTypes.link.isInSet(node.marks);
    if (href === null && link !== undefined) href = String(link.attrs.href);
  });
  return href;
}

/** Whether a link can be added at the selection (the selection is in text that allows links). */
export const canLink: Command = (state) => {
  const { $from } = state.selection;
  return $from.parent.inlineContent && $from.parent.type.allowsMarkType(schemaTypes.link);
};

/**
 * Links the selection to `rawHref` (only http, https and mailto: `safeLinkHref` decides). With an
 * empty selection inside a link, changes that link; with an empty selection elsewhere, inserts the
 * address itself as linked text. Returns false, changing nothing, for an unsafe address.
 */
export function setLink(rawHref: string): Command {
  return (state, dispatch) => {
    const href = safeLinkHref(rawHref);
    if (href === null || !canLink(state)) return false;
    if (!dispatch) return true;
    const mark = schemaTypes.link.create({ href });
    const { from, to, empty } = state.selection;
    const tr = state.tr;
    if (!empty) {
      tr.removeMark(from, to, schemaTypes.link).addMark(from, to, mark);
    } else {
      const around = linkRangeAround(state);
      if (around !== null) {
        tr.removeMark(around.from, around.to, schemaTypes.link).addMark(around.from, around.to, mark);
      } else {
        tr.insert(from, storySchema.text(href, [mark])).removeStoredMark(schemaTypes.link);
      }
    }
    dispatch(tr.scrollIntoView());
    return true;
  };
}

/** Removes the link(s) in the selection, or the whole link around an empty selection. */
export const removeLink: Command = (state, dispatch) => {
  const { from, to, empty } = state.selection;
  const range = empty ? linkRangeAround(state) : { from, to };
  if (range === null || !state.doc.rangeHasMark(range.from, range.to, schemaTypes.link)) return false;
  if (dispatch) dispatch(state.tr.removeMark(range.from, range.to, schemaTypes.link).scrollIntoView());
  return true;
};

/**
 * Turns what a person typed into a link address: a bare domain ("example.com/page") gets
 * `https://`, an email address gets `mailto:`. The result still goes through `safeLinkHref`.
 */
export function normalizeLinkInput(input: string): string {
  const trimmed = input.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return trimmed;
  if (/^[^\s@/]+@[^\s@/]+\.[^\s@/]+$/.test(trimmed)) return `mailto:${trimmed}`;
  if (/^[^\s/]+\.[^\s/]+/.test(trimmed)) return `https://${trimmed.replace(/^\/\//, '')}`;
  return trimmed;
}
