/**
 * The story's headline, bound live to `meta.title` in the body document: what one person types
 * appears for everyone as they type. Enter moves on to the story text.
 */
import { useEffect, useRef } from 'preact/hooks';
import type * as Y from 'yjs';
import { META_LIMITS } from '../../../shared/documentLayout.ts';

/** Transaction origin of title edits made in this tab (anything but the provider counts as local). */
const TITLE_ORIGIN = Symbol('sourcedesk-title-field');

export interface TitleFieldProps {
  yMeta: Y.Map<unknown>;
  readOnly: boolean;
  /** Called when the person presses Enter or ArrowDown at the end of the title. */
  onLeave(): void;
  /** Called with the title whenever it changes (for the page title). */
  onTitle(title: string): void;
}

/** Grows the headline box to show every line of a long headline. */
function fitHeight(element: HTMLTextAreaElement): void {
  element.style.height = 'auto';
  element.style.height = `${element.scrollHeight}px`;
}

function titleOf(yMeta: Y.Map<unknown>): string {
  const title = yMeta.get('title');
  return typeof title === 'string' ? title : '';
}

export function TitleField({ yMeta, readOnly, onLeave, onTitle }: TitleFieldProps) {
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const show = () => {
      const element = input.current;
      const title = titleOf(yMeta);
      onTitle(title);
      if (element === null) return;
      if (element.value === title) {
        fitHeight(element);
        return;
      }
      // Keep the caret where it was when someone else's edit arrives while this person types.
      const focused = document.activeElement === element;
      const { selectionStart, selectionEnd } = element;
      element.value = title;
      if (focused && selectionStart !== null && selectionEnd !== null) {
        element.setSelectionRange(Math.min(selectionStart, title.length), Math.min(selectionEnd, title.length));
      }
      fitHeight(element);
    };
    show();
    const observer = (event: Y.YMapEvent<unknown>) => {
      if (event.keysChanged.has('title')) show();
    };
    yMeta.observe(observer);
    const refit = () => {
      if (input.current !== null) fitHeight(input.current);
    };
    window.addEventListener('resize', refit);
    return () => {
      yMeta.unobserve(observer);
      window.removeEventListener('resize', refit);
    };
  }, [yMeta, onTitle]);

  const write = (value: string) => {
    const title = value.replace(/[\r\n]+/g, ' ').slice(0, META_LIMITS.title);
    if (title === titleOf(yMeta)) return;
    const doc = yMeta.doc;
    if (doc === null) return;
    doc.transact(() => yMeta.set('title', title), TITLE_ORIGIN);
  };

  return (
    // A textarea so that a long headline wraps instead of scrolling out of sight; line breaks are
    // not part of a headline (Enter moves on to the text, pasted ones become spaces).
    <textarea
      ref={input}
      class="story-title"
      rows={1}
      aria-label="Headline"
      placeholder="Headline"
      maxLength={META_LIMITS.title}
      readOnly={readOnly}
      spellcheck
      onInput={(event) => {
        write(event.currentTarget.value);
        fitHeight(event.currentTarget);
      }}
      onKeyDown={(event) => {
        if (event.isComposing) return;
        const element = event.currentTarget;
        const atEnd = element.selectionStart === element.value.length;
        if (event.key === 'Enter' || (event.key === 'ArrowDown' && atEnd)) {
          event.preventDefault();
          onLeave();
        }
      }}
    />
  );
}
