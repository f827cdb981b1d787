/**
 * Pasted HTML goes through the same cleaning as an imported story (`shared/htmlCleaning.ts`: page
 * furniture out, DOMPurify with the shared allow-list) before ProseMirror parses it with the story
 * schema. Copies from a story editor (ProseMirror's own clipboard HTML) are only sanitized.
 */
import { Plugin } from 'prosemirror-state';
import {
  cleanPastedHtml,
  createSanitizer,
  PASTE_EXTRA_ATTRIBUTES,
  type Sanitizer,
} from '../../../shared/htmlCleaning.ts';

let sanitizer: Sanitizer | null = null;

export function pasteCleaningPlugin(): Plugin {
  return new Plugin({
    props: {
      transformPastedHTML(html) {
        sanitizer ??= createSanitizer(window, PASTE_EXTRA_ATTRIBUTES);
        return cleanPastedHtml(html, window, sanitizer).html;
      },
    },
  });
}
