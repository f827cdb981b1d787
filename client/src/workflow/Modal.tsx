/**
 * A modal dialog on the browser's own `<dialog>` (`showModal`): the rest of the page is inert while
 * it is open, Escape closes it, the focus starts inside it (on `initialFocus`, else its first
 * control) and goes back to where it was when it closes (or to the story text, when that is gone).
 */
import type { ComponentChildren, RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ModalProps {
  /** Id of the element naming the dialog (its heading). */
  labelledBy: string;
  /** Id of the element describing it. */
  describedBy?: string;
  /** Escape, or the page asks it to close. */
  onClose(): void;
  initialFocus?: RefObject<HTMLElement | null>;
  class?: string;
  testId?: string;
  children: ComponentChildren;
}

export function Modal({
  labelledBy,
  describedBy,
  onClose,
  initialFocus,
  class: className,
  testId,
  children,
}: ModalProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const unmounted = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!element.open) element.showModal();
    const first =
      initialFocus?.current ??
      element.querySelector<HTMLElement>('button:not([disabled]), textarea, input, select, [tabindex="0"]');
    first?.focus();
    return () => {
      unmounted.current = true;
      if (element.open) element.close();
      // Back to where the person was, unless the caller moved the focus on purpose. When that is gone
      // (the button of an action just taken), back to the story text.
      if (document.activeElement !== document.body && !element.contains(document.activeElement)) return;
      if (previous?.isConnected) previous.focus();
      else document.querySelector<HTMLElement>('#story-text[contenteditable="true"]')?.focus();
    };
  }, []);

  return (
    <dialog
      ref={dialog}
      class={`modal${className === undefined ? '' : ` ${className}`}`}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      data-testid={testId}
      onCancel={(event) => {
        // Escape: the owner decides (it unmounts the dialog).
        event.preventDefault();
        onCloseRef.current();
      }}
      onClose={() => {
        // Closed by the browser itself (it lets a repeated Escape through without a cancel event).
        if (!unmounted.current) onCloseRef.current();
      }}
    >
      {children}
    </dialog>
  );
}
