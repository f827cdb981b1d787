/**
 * The story's headline, bound live to the `Y.Text` at `meta.title` in the body document: what one
 * person types appears for everyone as they type, and two people editing the headline at once
 * merge character by character. Enter moves on to the story text.
 */
import { useEffect, useRef } from 'preact/hooks';
import * as Y from 'yjs';
import { META_LIMITS } from '../../../shared/documentLayout.ts';
import { mapIndexThroughDelta, metaText, readMetaField, replaceText } from '../../../shared/metaText.ts';

/** Transaction origin of headline edits made in this tab (anything but the provider counts as local). */
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

export function TitleField({ yMeta, readOnly, onLeave, onTitle }: TitleFieldProps) {
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    /** Shows the current headline; `delta` (a remote change) moves this person's caret with the text. */
    const show = (delta?: Y.YTextEvent['delta']) => {
      const element = input.current;
      const title = readMetaField(yMeta, 'title');
      onTitle(title);
      if (element === null) return;
      if (element.value === title) {
        fitHeight(element);
        return;
      }
      const focused = document.activeElement === element;
      const { selectionStart, selectionEnd } = element;
      element.value = title;
      if (focused && selectionStart !== null && selectionEnd !== null) {
        const map = (index: number) => Math.min(title.length, delta ? mapIndexThroughDelta(index, delta) : index);
        element.setSelectionRange(map(selectionStart), map(selectionEnd));
      }
      fitHeight(element);
    };
    let observed: Y.Text | null = null;
    const onText = (event: Y.YTextEvent) => show(event.delta);
    /** Follows the headline's `Y.Text` (it is replaced only when a document from an older layout is upgraded). */
    const follow = () => {
      const current = yMeta.get('title');
      const text = current instanceof Y.Text ? current : null;
      if (text === observed) return;
      observed?.unobserve(onText);
      observed = text;
      observed?.observe(onText);
    };
    follow();
    show();
    const onMeta = (event: Y.YMapEvent<unknown>) => {
      if (!event.keysChanged.has('title')) return;
      follow();
      show();
    };
    yMeta.observe(onMeta);
    const refit = () => {
      if (input.current !== null) fitHeight(input.current);
    };
    window.addEventListener('resize', refit);
    return () => {
      yMeta.unobserve(onMeta);
      observed?.unobserve(onText);
      window.removeEventListener('resize', refit);
    };
  }, [yMeta, onTitle]);

  const write = (value: string) => {
    const title = value.replace(/[\r\n]+/g, ' ').slice(0, META_LIMITS.title);
    if (title === readMetaField(yMeta, 'title')) return;
    const doc = yMeta.doc;
    if (doc === null) return;
    doc.transact(() => replaceText(metaText(yMeta, 'title'), title), TITLE_ORIGIN);
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
