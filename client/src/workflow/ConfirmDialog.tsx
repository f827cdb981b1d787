/** Asks before an action that is not undone with Ctrl+Z: publishing, restoring an earlier version. */
import type { ComponentChildren } from 'preact';
import { useRef } from 'preact/hooks';
import { Modal } from './Modal.tsx';

export interface ConfirmDialogProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const confirm = useRef<HTMLButtonElement>(null);
  return (
    <Modal
      labelledBy="confirm-dialog-title"
      describedBy="confirm-dialog-text"
      onClose={onCancel}
      initialFocus={confirm}
      class="confirm-dialog"
      testId="confirm-dialog"
    >
      <h2 id="confirm-dialog-title">{title}</h2>
      <div id="confirm-dialog-text">{children}</div>
      <div class="dialog-actions">
        <button type="button" class="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" class="button button-primary" ref={confirm} onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
