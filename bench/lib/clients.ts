/**
 * The stock client of each server under test, in Node: y-websocket's `WebsocketProvider` for
 * Sourcedesk and @y/websocket-server, @hocuspocus/provider for Hocuspocus, and a bare `ws` socket
 * for the relay (which carries no document).
 */
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';
import { MessageType } from '../../shared/protocol.ts';
import type { Target } from './protocol.ts';

export interface DocClient {
  /** Resolves once the first sync with the server has completed. */
  synced: Promise<void>;
  /** Count of Sourcedesk `savedAck`s received (only with `acks`). */
  acks(): number;
  destroy(): void;
}

// ws's WebSocket class differs in typing from the DOM WebSocket the providers are typed against;
// at run time it is the drop-in replacement both providers document for Node.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

/**
 * Connects `doc` to `room` on a Yjs server. For Sourcedesk, `room` is `<storyId>/<part>` and
 * `token` is the person's (default: the target's), `acks` asks the server for its saved-acknowledgements (`?ack=1`), counted by `acks()`.
 */
export function connectDoc(
  target: Target,
  room: string,
  doc: Y.Doc,
  options: { acks?: boolean; token?: string | undefined } = {},
): DocClient {
  const base = `ws://127.0.0.1:${target.port}`;
  if (target.kind === 'hocuspocus') {
    const socket = new HocuspocusProviderWebsocket({ url: base, WebSocketPolyfill: NodeWebSocket });
    const provider = new HocuspocusProvider({ websocketProvider: socket, name: room, document: doc });
    provider.attach();
    const synced = new Promise<void>((resolve) => {
      if (provider.isSynced) resolve();
      else provider.on('synced', () => resolve());
    });
    return {
      synced,
      acks: () => 0,
      destroy() {
        provider.destroy();
        socket.destroy();
      },
    };
  }
  if (target.kind === 'relay') throw new RangeError('the relay carries no document');
  const url = target.kind === 'sourcedesk' ? `${base}/collab` : base;
  const params: Record<string, string> = {};
  const token = options.token ?? target.token;
  if (token !== undefined) params.token = token;
  if (options.acks) params.ack = '1';
  const provider = new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: NodeWebSocket,
    params,
    disableBc: true,
  });
  let acks = 0;
  if (options.acks) {
    // Sourcedesk's own message type (see shared/protocol.ts); stock handlers do not know it.
    provider.messageHandlers[MessageType.savedAck] = () => {
      acks++;
    };
  }
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.once('sync', () => resolve());
  });
  return {
    synced,
    acks: () => acks,
    destroy() {
      provider.destroy();
    },
  };
}

export interface RelayClient {
  opened: Promise<void>;
  send(bytes: Uint8Array): void;
  destroy(): void;
}

/** A bare socket on the relay; `onMessage` gets every frame another socket in `room` sent. */
export function connectRelay(target: Target, room: string, onMessage: (bytes: Buffer) => void): RelayClient {
  const socket = new WebSocket(`ws://127.0.0.1:${target.port}/${room}`);
  socket.binaryType = 'nodebuffer';
  socket.on('message', (data: Buffer) => onMessage(data));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    opened,
    send(bytes) {
      if (socket.readyState === socket.OPEN) socket.send(bytes);
    },
    destroy() {
      socket.close();
    },
  };
}
