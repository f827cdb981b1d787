/**
 * Creates the ProseMirror view of a story body, bound to the body room. The view owns its DOM
 * inside `mount`; Preact only renders around it.
 */
import { EditorState } from 'prosemirror-state';
import { EditorView } from 'prosemirror-view';
import { storySchema } from '../../../shared/schema.ts';
import type { StorySession } from '../collab/storySession.ts';
import { storyPlugins } from './plugins.ts';

export interface StoryEditorOptions {
  mount: HTMLElement;
  session: StorySession;
  /** Whether this person may edit the story text now (re-read on every update and on `setProps`). */
  isEditable(): boolean;
  /** Opens the link editor (Mod-k, toolbar). */
  editLink(): void;
  /**
   * Called after every transaction, with the view holding its new state (the toolbar follows the
   * selection). May be called while the view is still being constructed (plugins dispatch on init).
   */
  onStateChange(view: EditorView): void;
}

export function createStoryEditor(options: StoryEditorOptions): EditorView {
  const { session } = options;
  const state = EditorState.create({
    schema: storySchema,
    plugins: storyPlugins({
      yBody: session.yBody,
      awareness: session.body.awareness,
      yNotes: session.yNotes,
      editLink: options.editLink,
    }),
  });
  return new EditorView(options.mount, {
    state,
    editable: () => options.isEditable(),
    attributes: {
      id: 'story-text',
      class: 'story-text',
      role: 'textbox',
      'aria-multiline': 'true',
      'aria-label': 'Story text',
      spellcheck: 'true',
    },
    dispatchTransaction(this: EditorView, tr) {
      const next = this.state.apply(tr);
      this.updateState(next);
      options.onStateChange(this);
    },
  });
}
