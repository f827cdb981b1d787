/**
 * Keeps the text a link is being added to visibly highlighted while the link form has the focus
 * (the browser stops drawing the editor's selection once focus leaves it). Plugin state changes only
 * through transaction meta: `{from, to}` shows the highlight, `null` removes it.
 */
import { Plugin, PluginKey } from 'prosemirror-state';
import { Decoration, DecorationSet, type EditorView } from 'prosemirror-view';

const linkTargetKey = new PluginKey<DecorationSet>('sourcedesk-link-target');

type LinkTargetMeta = { from: number; to: number } | null;

export function linkTargetPlugin(): Plugin<DecorationSet> {
  return new Plugin<DecorationSet>({
    key: linkTargetKey,
    state: {
      init: () => DecorationSet.empty,
      apply(tr, decorations) {
        const meta = tr.getMeta(linkTargetKey) as LinkTargetMeta | undefined;
        if (meta === undefined) return decorations.map(tr.mapping, tr.doc);
        if (meta === null || meta.from >= meta.to) return DecorationSet.empty;
        return DecorationSet.create(tr.doc, [Decoration.inline(meta.from, meta.to, { class: 'link-target' })]);
      },
    },
    props: {
      decorations: (state) => linkTargetKey.getState(state) ?? DecorationSet.empty,
    },
  });
}

/** Highlights the current selection as the text a link will go on (nothing for an empty selection). */
export function showLinkTarget(view: EditorView): void {
  const { from, to } = view.state.selection;
  view.dispatch(view.state.tr.setMeta(linkTargetKey, { from, to } satisfies LinkTargetMeta));
}

/** Removes the highlight. */
export function hideLinkTarget(view: EditorView): void {
  if (view.isDestroyed) return;
  view.dispatch(view.state.tr.setMeta(linkTargetKey, null satisfies LinkTargetMeta));
}
