/**
 * The newsroom ProseMirror schema, used by the editor, by the server (exports, validation) and by
 * tests. Node and mark names follow `prosemirror-schema-basic` so that documents stay readable by
 * stock tools.
 *
 * y-prosemirror deletes any Yjs node the local schema rejects, so every change here bumps
 * `SCHEMA_VERSION` and must be tested against documents stored under the previous version.
 */
import { type MarkSpec, type NodeSpec, Schema } from 'prosemirror-model';
import { marks as basicMarks, nodes as basicNodes } from 'prosemirror-schema-basic';
import { bulletList, listItem, orderedList } from 'prosemirror-schema-list';
import { safeLinkHref } from './links.ts';

export const SCHEMA_VERSION = 1;

const nodes: Record<string, NodeSpec> = {
  doc: { content: 'block+' },
  paragraph: basicNodes.paragraph,
  heading: {
    ...basicNodes.heading,
    attrs: { level: { default: 2, validate: 'number' } },
    parseDOM: [2, 3, 4].map((level) => ({ tag: `h${level}`, attrs: { level } })),
    toDOM: (node) => [`h${Math.min(4, Math.max(2, Number(node.attrs.level)))}`, 0],
  },
  blockquote: basicNodes.blockquote,
  bullet_list: { ...bulletList, content: 'list_item+', group: 'block' },
  ordered_list: { ...orderedList, content: 'list_item+', group: 'block' },
  list_item: { ...listItem, content: 'paragraph block*' },
  text: basicNodes.text,
  hard_break: basicNodes.hard_break,
};

const link: MarkSpec = {
  attrs: { href: { validate: 'string' }, title: { default: null } },
  inclusive: false,
  parseDOM: [
    {
      tag: 'a[href]',
      getAttrs(dom) {
        const href = safeLinkHref((dom as HTMLElement).getAttribute('href'));
        if (href === null) return false;
        return { href, title: (dom as HTMLElement).getAttribute('title') };
      },
    },
  ],
  toDOM(mark) {
    const href = safeLinkHref(mark.attrs.href);
    // An unsafe href can still arrive from a hostile client through the shared document:
    // render the text without a link instead of trusting it.
    if (href === null) return ['span', { class: 'link-removed' }, 0];
    const title = typeof mark.attrs.title === 'string' ? mark.attrs.title : null;
    return ['a', { href, title, rel: 'noopener noreferrer nofollow', target: '_blank' }, 0];
  },
};

const marks: Record<string, MarkSpec> = {
  link,
  em: basicMarks.em,
  strong: basicMarks.strong,
};

/** The one schema of a story body. */
export const storySchema = new Schema({ nodes, marks });

/** Names of the block nodes a story may contain (for import and validation). */
export const BLOCK_NODE_NAMES = ['paragraph', 'heading', 'blockquote', 'bullet_list', 'ordered_list'] as const;
