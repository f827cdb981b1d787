/**
 * The story schema: every node and mark survives the trip through Yjs (y-prosemirror deletes what
 * the schema rejects, so a loss here would silently delete text), and links stay safe.
 */
import { describe, expect, it } from 'vitest';
import { prosemirrorJSONToYDoc, yDocToProsemirrorJSON } from 'y-prosemirror';
import { safeLinkHref } from '../shared/links.ts';
import { SCHEMA_VERSION, storySchema } from '../shared/schema.ts';

type Content = Parameters<typeof storySchema.node>[2];
const node = (name: string, attrs: Record<string, unknown> | null, content?: Content) =>
  storySchema.node(name, attrs, content);
const mark = (name: string, attrs?: Record<string, unknown>) => storySchema.mark(name, attrs);

function everyNodeDocument() {
  return node('doc', null, [
    node('heading', { level: 2 }, storySchema.text('Council votes')),
    node('paragraph', null, [
      storySchema.text('Plain, '),
      storySchema.text('bold', [mark('strong')]),
      storySchema.text(', '),
      storySchema.text('italic', [mark('em')]),
      storySchema.text(' and '),
      storySchema.text('a link', [mark('link', { href: 'https://example.org/minutes', title: null })]),
      node('hard_break', null),
      storySchema.text('after a break.'),
    ]),
    node('blockquote', null, node('paragraph', null, storySchema.text('“A turning point.”'))),
    node('bullet_list', null, [node('list_item', null, node('paragraph', null, storySchema.text('one')))]),
    node('ordered_list', { order: 1 }, [node('list_item', null, node('paragraph', null, storySchema.text('first')))]),
    node('heading', { level: 4 }, storySchema.text('Background')),
  ]);
}

describe(`story schema v${SCHEMA_VERSION}`, () => {
  it('keeps every node and mark through Yjs and back', () => {
    const doc = everyNodeDocument();
    const yDoc = prosemirrorJSONToYDoc(storySchema, doc.toJSON(), 'body');
    const back = storySchema.nodeFromJSON(yDocToProsemirrorJSON(yDoc, 'body'));
    expect(back.eq(doc)).toBe(true);
  });

  it('accepts only http, https and mailto links', () => {
    expect(safeLinkHref('https://example.org/a?b=c')).toBe('https://example.org/a?b=c');
    expect(safeLinkHref('mailto:desk@example.org')).toBe('mailto:desk@example.org');
    for (const unsafe of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'data:text/html,x',
      'vbscript:x',
      'file:///etc/passwd',
      '/relative',
      '',
    ]) {
      expect(safeLinkHref(unsafe), unsafe).toBeNull();
    }
  });

  it('renders a link whose href was made unsafe by a hostile client as plain text', () => {
    const hostile = mark('link', { href: 'javascript:alert(1)', title: null });
    const spec = hostile.type.spec.toDOM?.(hostile, true);
    expect(JSON.stringify(spec)).not.toContain('javascript');
    expect(JSON.stringify(spec)).toContain('link-removed');
  });
});
