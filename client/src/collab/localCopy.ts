/**
 * `LocalCopyTracker`: whether every change to a document has reached its IndexedDB copy, so that
 * the status bar says "kept on this device" only once that is true.
 *
 * y-indexeddb writes each update in its own readwrite transaction and reports nothing back. IndexedDB
 * runs transactions on the same object store in the order they were created, and a read that is
 * created after those writes completes only after they have. So after a change, the tracker opens a
 * small read on the `updates` store: when it completes, everything written before it is stored.
 */
import type { IndexeddbPersistence } from 'y-indexeddb';
import type * as Y from 'yjs';

/** The object store y-indexeddb keeps updates in. */
const UPDATES_STORE = 'updates';

export class LocalCopyTracker {
  /** Changes made so far, and how many of them are known to be stored. */
  private changes = 0;
  private stored = 0;
  private barrierScheduled = false;
  private destroyed = false;

  constructor(
    private readonly persistence: IndexeddbPersistence,
    private readonly yDoc: Y.Doc,
    private readonly onChange: () => void,
  ) {
    yDoc.on('update', this.onUpdate);
  }

  /** Whether every change made to the document so far is stored in IndexedDB. */
  get upToDate(): boolean {
    return this.stored === this.changes;
  }

  destroy(): void {
    this.destroyed = true;
    this.yDoc.off('update', this.onUpdate);
  }

  private readonly onUpdate = (_update: Uint8Array, origin: unknown): void => {
    // Updates loaded from IndexedDB are already there.
    if (origin === this.persistence) return;
    const wasUpToDate = this.upToDate;
    this.changes += 1;
    if (wasUpToDate) this.onChange();
    this.scheduleBarrier();
  };

  private scheduleBarrier(): void {
    if (this.barrierScheduled) return;
    this.barrierScheduled = true;
    // One barrier per burst of changes (a paste, fast typing), created after their writes.
    setTimeout(() => {
      this.barrierScheduled = false;
      this.runBarrier();
    }, 0);
  }

  private runBarrier(): void {
    if (this.destroyed) return;
    const db = this.persistence.db;
    if (db === null) {
      // Not open yet: y-indexeddb stores the whole document once it opens.
      this.persistence.whenSynced.then(
        () => this.scheduleBarrier(),
        () => undefined,
      );
      return;
    }
    const target = this.changes;
    try {
      const transaction = db.transaction([UPDATES_STORE], 'readonly');
      // A request keeps the transaction from being a no-op; key -1 never exists (keys count from 1).
      transaction.objectStore(UPDATES_STORE).get(-1);
      transaction.oncomplete = () => {
        if (this.destroyed || target <= this.stored) return;
        this.stored = target;
        this.onChange();
      };
    } catch (error) {
      // The database was closed (page leaving) or deleted; the copy can no longer be confirmed.
      console.warn('Sourcedesk: could not confirm the local copy', error);
    }
  }
}
