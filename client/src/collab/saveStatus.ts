/**
 * `SaveTracker`: whether everything changed in this tab is durably stored on the server, so that the
 * status bar can say "All changes saved" truthfully rather than hopefully.
 *
 * It relies on the server's saved-state acknowledgement (`MessageType.savedAck`, asked for with
 * `?ack=1` on the socket URL): for each sync step 2 or update message a client sends, the server
 * answers with one ack, in order, once that message is stored (or found to hold nothing new).
 *
 * Per socket, the tracker counts the step-2 and update messages sent (by wrapping that socket's
 * `send`) and the acks received. Counts start at zero on every new socket: acks on a socket only
 * ever answer messages sent on that same socket.
 *
 * Why "acks === sent" means "saved": while a socket is open, every local change is sent on it the
 * moment it is made, and the sync step 2 we send in answer to the server's step 1 carries everything
 * the server lacked when it asked (including edits made offline or loaded from IndexedDB). So once
 * step 2 has been sent on the current socket and every message sent on it is acknowledged, the server
 * holds every local change made before that moment. A local change after it makes the state
 * "unsaved" again until the next such moment. Changes that arrive from the provider (other people's
 * edits, the server's step 2) are not local and never make the state unsaved.
 */
import * as decoding from 'lib0/decoding';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { MessageType, SyncMessageType } from '../../../shared/protocol.ts';

/**
 * `saved`: connected, synced, and the server has stored every local change.
 * `unsaved`: a local change has not been confirmed by the server yet (it is kept in IndexedDB).
 * `pending`: nothing local is waiting, but the server has not confirmed the state yet (connecting,
 * or waiting for the acks of the handshake).
 */
export type SaveState = 'saved' | 'unsaved' | 'pending';

/** What the tracker knows about one socket. */
interface SocketCounts {
  socket: WebSocket;
  /** Sync step 2 and update messages sent on this socket. */
  sent: number;
  /** Acks received on this socket. */
  acked: number;
  /** Whether our sync step 2 (the catch-up of everything the server lacked) has gone out on it. */
  step2Sent: boolean;
}

/** The sync sub-type of an outgoing y-websocket message, or `null` for any other message. */
function outgoingSyncType(data: unknown): number | null {
  if (!(data instanceof Uint8Array) || data.length < 2) return null;
  try {
    const decoder = decoding.createDecoder(data);
    if (decoding.readVarUint(decoder) !== MessageType.sync) return null;
    return decoding.readVarUint(decoder);
  } catch {
    return null;
  }
}

export class SaveTracker {
  private counts: SocketCounts | null = null;
  /** A local change happened since the last moment every sent message was acknowledged. */
  private dirty = false;
  private current: SaveState = 'pending';
  private readonly listeners = new Set<(state: SaveState) => void>();

  constructor(
    private readonly provider: WebsocketProvider,
    private readonly yDoc: Y.Doc,
  ) {
    provider.messageHandlers[MessageType.savedAck] = (_encoder, _decoder, from) => {
      // The provider only hands us messages of its current socket, but check: a late ack of a
      // closed socket must not count against the new one.
      if (from === this.provider && this.counts !== null && from.ws === this.counts.socket) this.onAck();
    };
    provider.on('status', this.onStatus);
    provider.on('sync', this.update);
    yDoc.on('update', this.onDocUpdate);
    // The provider may already be connected when the tracker is created.
    if (provider.wsconnected && provider.ws !== null) this.attach(provider.ws);
  }

  /** The current save state. */
  get state(): SaveState {
    return this.current;
  }

  /** Whether some local change has not been confirmed by the server yet. */
  get hasUnsavedChanges(): boolean {
    return this.dirty;
  }

  /** Calls `listener` whenever the state changes; returns the function that stops it. */
  subscribe(listener: (state: SaveState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  destroy(): void {
    this.provider.off('status', this.onStatus);
    this.provider.off('sync', this.update);
    this.yDoc.off('update', this.onDocUpdate);
    delete this.provider.messageHandlers[MessageType.savedAck];
    this.counts = null;
    this.listeners.clear();
  }

  private readonly onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }): void => {
    // 'connected' is emitted from the socket's `open` handler before the provider sends anything on
    // it (its sync step 1 follows, our step 2 answers the server's step 1), so no message is missed.
    if (status === 'connected' && this.provider.ws !== null) this.attach(this.provider.ws);
    else if (status !== 'connected') this.counts = null;
    this.update();
  };

  private attach(socket: WebSocket): void {
    if (this.counts?.socket === socket) return;
    const counts: SocketCounts = { socket, sent: 0, acked: 0, step2Sent: false };
    this.counts = counts;
    const send = socket.send.bind(socket);
    socket.send = (data) => {
      const syncType = outgoingSyncType(data);
      if (syncType === SyncMessageType.step2 || syncType === SyncMessageType.update) {
        counts.sent += 1;
        if (syncType === SyncMessageType.step2) counts.step2Sent = true;
      }
      send(data);
    };
  }

  private onAck(): void {
    const counts = this.counts;
    if (counts === null) return;
    if (counts.acked >= counts.sent) {
      // More acks than messages: the server and this client disagree on the protocol. Never turn
      // that into a "saved" claim.
      console.warn('Sourcedesk: saved-state ack without a pending update; ignoring it');
      return;
    }
    counts.acked += 1;
    if (counts.acked === counts.sent && counts.step2Sent) this.dirty = false;
    this.update();
  }

  private readonly onDocUpdate = (_update: Uint8Array, origin: unknown): void => {
    if (origin === this.provider) return;
    this.dirty = true;
    this.update();
  };

  private readonly update = (): void => {
    const counts = this.counts;
    let next: SaveState;
    if (this.dirty) next = 'unsaved';
    else if (
      counts !== null &&
      this.provider.wsconnected &&
      this.provider.synced &&
      counts.step2Sent &&
      counts.acked === counts.sent
    )
      next = 'saved';
    else next = 'pending';
    if (next === this.current) return;
    this.current = next;
    for (const listener of this.listeners) listener(next);
  };
}
