/**
 * The small form that edits the link at the selection (Mod-k or the toolbar's link button). Only
 * http, https and mailto addresses are accepted; a bare "example.com" becomes https://example.com.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import { linkAtSelection, normalizeLinkInput, removeLink, setLink } from '../editor/commands.ts';
import { hideLinkTarget, showLinkTarget } from '../editor/linkTarget.ts';

export interface LinkEditorProps {
  view: ProseMirrorView;
  /** Called when the form is done (applied, removed or cancelled); focus goes back to the text. */
  onClose(): void;
}

export function LinkEditor({ view, onClose }: LinkEditorProps) {
  const [current] = useState(() => linkAtSelection(view.state));
  const [value, setValue] = useState(current ?? '');
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    showLinkTarget(view);
    input.current?.focus();
    input.current?.select();
    return () => hideLinkTarget(view);
  }, [view]);

  const close = () => {
    onClose();
    view.focus();
  };

  const apply = (event: Event) => {
    event.preventDefault();
    if (value.trim() === '') {
      if (current !== null) removeLink(view.state, view.dispatch, view);
      close();
      return;
    }
    if (!setLink(normalizeLinkInput(value))(view.state, view.dispatch, view)) {
      setError('Use a web address (https://…) or an email address (mailto:…).');
      return;
    }
    close();
  };

  return (
    <form
      class="link-editor"
      aria-label={current === null ? 'Add a link' : 'Edit link'}
      onSubmit={apply}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          close();
        }
      }}
    >
      <label for="link-address">Link address</label>
      <input
        id="link-address"
        ref={input}
        type="text"
        inputMode="url"
        autoComplete="url"
        spellcheck={false}
        placeholder="https://example.com/article"
        value={value}
        aria-invalid={error === null ? undefined : 'true'}
        aria-describedby={error === null ? undefined : 'link-error'}
        onInput={(event) => {
          setValue(event.currentTarget.value);
          setError(null);
        }}
      />
      <button type="submit" class="button button-primary">
        {current === null ? 'Add link' : 'Update'}
      </button>
      {current !== null && (
        <button
          type="button"
          class="button"
          onClick={() => {
            removeLink(view.state, view.dispatch, view);
            close();
          }}
        >
          Remove link
        </button>
      )}
      <button type="button" class="button button-quiet" onClick={close}>
        Cancel
      </button>
      {error !== null && (
        <p id="link-error" class="field-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
