/**
 * `RoomConnection`: one Yjs document of a story kept in step with its y-websocket room, with a local
 * copy in IndexedDB, and the state the status bar shows (connection, saved or not, why the server
 * closed the room).
 *
 * Start-up order matters: the local copy is loaded from IndexedDB *before* the socket connects, so
 * the first sync step 2 this client sends already carries any edits made offline in an earlier
 * session, and the editor is never bound to an empty document that the server then fills in.
 *
 * A change the server refuses (this role may not write the room, or the update breaks its rules)
 * leaves this copy diverged from the server's for good: the room reports it as `refusal`, and
 * whoever owns the room discards it (`discardLocalCopy`) and opens a fresh one (see
 * `storySession.ts`).
 */
import { IndexeddbPersistence } from 'y-indexeddb';
import * as authProtocol from 'y-protocols/auth';
import type { Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { User } from '../../../shared/api.ts';
import { gcEnabledFor, roomName, type StoryPart } from '../../../shared/documentLayout.ts';
import { CloseCode, COLLAB_PATH, MessageType } from '../../../shared/protocol.ts';
import { type ClosedExplanation, explainClose } from './closeReasons.ts';
import { LocalCopyTracker } from './localCopy.ts';
import { type SaveState, SaveTracker } from './saveStatus.ts';

/**
 * Errors of local copies that failed to open. y-indexeddb chains on its failed open in its own
 * constructor without handling the failure; this room handles it (`localCopy: 'unavailable'`, the
 * status bar says so), so those chained rejections are not errors of the page.
 */
const localCopyOpenFailures = new WeakSet<object>();
if (typeof window !== 'undefined') {
  window.addEventListener('unhandledrejection', (event) => {
    const { reason } = event;
    if (typeof reason === 'object' && reason !== null && localCopyOpenFailures.has(reason)) event.preventDefault();
  });
}

/**
 * `connecting`: first attempt of this page; `connected`: socket open and synced;
 * `reconnecting`: lost (or never reached) the server and trying again; `offline`: the browser says
 * there is no network; `closed`: the server ended the room for good (see `RoomStatus.closed`).
 */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'closed';

/**
 * `loading`: reading IndexedDB; `loaded`: the local copy (possibly empty) is in the document;
 * `unavailable`: IndexedDB failed, or another tab of this user discarded the copy.
 */
export type LocalCopyState = 'loading' | 'loaded' | 'unavailable';

/**
 * The server refused a change made here. `permission`: this person's role may not write the room
 * (y-protocols' permission-denied message; the socket stays open for reading). `invalid`: the
 * update broke the room's rules (close code `updateRefused`). Either way this copy now holds
 * changes the server will never take.
 */
export interface RoomRefusal {
  kind: 'permission' | 'invalid';
  /** The server's words, e.g. "a viewer cannot change the body of this story". */
  reason: string;
}

export interface RoomStatus {
  connection: ConnectionState;
  save: SaveState;
  localCopy: LocalCopyState;
  /** Whether every change made here is stored in the local copy (false while IndexedDB is unavailable). */
  localCopyUpToDate: boolean;
  /** Whether the document has completed a sync with the server since the page opened it. */
  everSynced: boolean;
  /** Set once the server has closed the room with a permanent code (other than a refused update). */
  closed: ClosedExplanation | null;
  /** Set once the server has refused a change made here (the first refusal; later ones add nothing). */
  refusal: RoomRefusal | null;
}

export interface RoomConnectionOptions {
  storyId: string;
  part: StoryPart;
  /** The logged-in user: names the local copy and seeds our own presence. */
  user: User;
}

/** The collaboration socket's base URL on the server this page came from. */
export function collabServerUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${COLLAB_PATH}`;
}

/** Name of the IndexedDB database holding one user's local copy of one room. */
export function localCopyName(userId: string, storyId: string, part: StoryPart): string {
  return `sourcedesk:${userId}:${roomName(storyId, part)}`;
}

export class RoomConnection {
  readonly yDoc: Y.Doc;
  readonly provider: WebsocketProvider;
  readonly awareness: Awareness;
  private readonly persistence: IndexeddbPersistence;
  private readonly saveTracker: SaveTracker;
  private readonly localCopyTracker: LocalCopyTracker;
  private readonly listeners = new Set<() => void>();
  private snapshot: RoomStatus;
  private localCopy: LocalCopyState = 'loading';
  private everConnected = false;
  private everSynced = false;
  private failedAttempts = 0;
  private closed: ClosedExplanation | null = null;
  private refusal: RoomRefusal | null = null;
  /** The socket and the local copy are gone (`discardLocalCopy`); the document is still readable. */
  private discarded: Promise<void> | null = null;
  private disconnected = false;
  private destroyed = false;
  /** Settles when another tab deletes this local copy (see `onLocalCopyDeleted`). */
  private readonly localCopyLost: Promise<'unavailable'>;
  private loseLocalCopy: () => void = () => undefined;

  constructor(options: RoomConnectionOptions) {
    const { storyId, part, user } = options;
    this.localCopyLost = new Promise((resolve) => {
      this.loseLocalCopy = () => resolve('unavailable');
    });
    this.yDoc = new Y.Doc({ gc: gcEnabledFor(part) });
    this.provider = new WebsocketProvider(collabServerUrl(), roomName(storyId, part), this.yDoc, {
      connect: false,
      params: { ack: '1' },
      // Every change goes through the server, which decides what this user may write; tabs do not
      // pass changes to each other behind its back.
      disableBc: true,
    });
    this.awareness = this.provider.awareness;
    // The stock handler only logs a permission denial; here it is a refusal the person must hear of.
    this.provider.messageHandlers[MessageType.auth] = (_encoder, decoder) => {
      authProtocol.readAuthMessage(decoder, this.yDoc, (_yDoc, reason: string) =>
        this.onRefused({ kind: 'permission', reason }),
      );
    };
    // The server overwrites `user` with the session's identity; setting it here makes our own
    // state right before that echo arrives.
    this.awareness.setLocalStateField('user', { id: user.id, name: user.name, color: user.color });
    this.saveTracker = new SaveTracker(this.provider, this.yDoc);
    this.persistence = new IndexeddbPersistence(localCopyName(user.id, storyId, part), this.yDoc);
    this.localCopyTracker = new LocalCopyTracker(this.persistence, this.yDoc, () => this.refresh());
    this.persistence._db.then(
      (db) => db.addEventListener('versionchange', this.onLocalCopyDeleted),
      (error: unknown) => {
        if (typeof error === 'object' && error !== null) localCopyOpenFailures.add(error);
      },
    );
    this.snapshot = this.computeStatus();

    this.saveTracker.subscribe(this.refresh);
    this.provider.on('status', this.onStatus);
    this.provider.on('sync', this.onSync);
    this.provider.on('connection-close', this.onConnectionClose);
    this.provider.on('closed', this.onClosed);
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.refresh);

    this.loadLocalCopy().then(
      (state) => {
        if (this.destroyed || this.discarded !== null) return;
        this.localCopy = state;
        this.provider.connect();
        this.refresh();
      },
      (error: unknown) => console.error('Sourcedesk: could not start the collaboration connection', error),
    );
  }

  /** The latest status; the same object until something changes (safe to compare by identity). */
  get status(): RoomStatus {
    return this.snapshot;
  }

  /**
   * Whether local changes are waiting for the server's confirmation. Never true once the copy is
   * discarded: the server refused those changes for good, and the page has shown them to the person.
   */
  get hasUnsavedChanges(): boolean {
    return this.discarded === null && this.saveTracker.hasUnsavedChanges;
  }

  /** Calls `listener` whenever `status` changes; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Disconnects, closes the local copy (it stays in IndexedDB) and drops every listener. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.disconnect();
    this.awareness.destroy();
    this.persistence.destroy().catch((error: unknown) => console.warn('Sourcedesk: closing the local copy', error));
    this.yDoc.destroy();
    this.listeners.clear();
  }

  /**
   * For a copy the server refused: disconnects for good and deletes the local copy from IndexedDB
   * (it holds changes the server will never take, which would otherwise be sent again on the next
   * visit). The document stays readable until `destroy`, so the page can keep showing it and read
   * the person's version from it. Resolves once the copy is deleted (or there was none).
   */
  discardLocalCopy(): Promise<void> {
    if (this.discarded !== null) return this.discarded;
    this.disconnect();
    this.discarded = this.persistence
      .destroy()
      .then(
        () => deleteDatabase(this.persistence.name),
        // IndexedDB never opened: there is no copy to delete.
        () => undefined,
      )
      .catch((error: unknown) => console.warn('Sourcedesk: could not delete the local copy', error));
    this.refresh();
    return this.discarded;
  }

  /** Stops the socket and the trackers (idempotent). */
  private disconnect(): void {
    if (this.disconnected) return;
    this.disconnected = true;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.refresh);
    this.saveTracker.destroy();
    this.localCopyTracker.destroy();
    this.provider.destroy();
  }

  private async loadLocalCopy(): Promise<LocalCopyState> {
    // IndexedDB can be missing or refuse to open (private windows, full disks). The editor then
    // works online only; `whenSynced` would never settle, so the open itself is watched too.
    const failed = this.persistence._db.then(
      () => new Promise<never>(() => undefined),
      (error: unknown) => {
        console.warn('Sourcedesk: no local copy (IndexedDB unavailable)', error);
        return 'unavailable' as const;
      },
    );
    return Promise.race([this.persistence.whenSynced.then(() => 'loaded' as const), failed, this.localCopyLost]);
  }

  /**
   * Another tab of this user is deleting this local copy (it discarded a refused change). Close ours,
   * or the deletion would wait for this tab forever; this tab goes on without a local copy.
   */
  private readonly onLocalCopyDeleted = (): void => {
    this.localCopyTracker.destroy();
    this.persistence.destroy().catch(() => undefined);
    this.loseLocalCopy();
    if (this.localCopy === 'loaded') this.localCopy = 'unavailable';
    this.refresh();
  };

  private onRefused(refusal: RoomRefusal): void {
    if (this.refusal !== null || this.destroyed) return;
    this.refusal = refusal;
    this.refresh();
  }

  private readonly onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }): void => {
    if (status === 'connected') this.everConnected = true;
    this.refresh();
  };

  private readonly onSync = (synced: boolean): void => {
    if (synced) {
      this.everSynced = true;
      this.failedAttempts = 0;
    }
    this.refresh();
  };

  private readonly onConnectionClose = (): void => {
    this.failedAttempts += 1;
    this.refresh();
  };

  private readonly onClosed = ({ code, reason }: { code: number; reason: string }): void => {
    if (code === CloseCode.updateRefused) {
      this.onRefused({ kind: 'invalid', reason });
      return;
    }
    this.closed = explainClose(code, reason);
    this.refresh();
  };

  private readonly onOnline = (): void => {
    // Back online: try at once instead of waiting out the provider's back-off.
    if (
      !this.destroyed &&
      this.discarded === null &&
      this.closed === null &&
      this.refusal === null &&
      !this.provider.wsconnected &&
      this.provider.ws === null
    ) {
      this.provider.connect();
    }
    this.refresh();
  };

  private computeStatus(): RoomStatus {
    let connection: ConnectionState;
    // The browser knows about a lost network at once; an open socket only notices when its
    // heartbeat times out (up to 30 s), so "offline" wins over a socket that still looks open.
    if (this.closed !== null || this.discarded !== null) connection = 'closed';
    else if (!navigator.onLine) connection = 'offline';
    else if (this.provider.wsconnected && this.provider.synced) connection = 'connected';
    else if (this.everConnected || this.failedAttempts > 0) connection = 'reconnecting';
    else connection = 'connecting';
    return {
      connection,
      save: this.saveTracker.state,
      localCopy: this.localCopy,
      localCopyUpToDate: this.localCopy === 'loaded' && this.localCopyTracker.upToDate,
      everSynced: this.everSynced,
      closed: this.closed,
      refusal: this.refusal,
    };
  }

  private readonly refresh = (): void => {
    if (this.destroyed) return;
    const next = this.computeStatus();
    const previous = this.snapshot;
    if (
      next.connection === previous.connection &&
      next.save === previous.save &&
      next.localCopy === previous.localCopy &&
      next.localCopyUpToDate === previous.localCopyUpToDate &&
      next.everSynced === previous.everSynced &&
      next.closed === previous.closed &&
      next.refusal === previous.refusal
    ) {
      return;
    }
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  };
}

/** Deletes an IndexedDB database; resolves once it is gone. */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error ?? new Error(`could not delete ${name}`));
    // Another tab still has it open: it closes it on `versionchange`, and the deletion goes on.
    request.onblocked = () => console.warn(`Sourcedesk: deleting ${name} waits for another tab to let go of it`);
  });
}
