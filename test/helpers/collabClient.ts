/**
 * A real y-websocket client in Node: the stock `WebsocketProvider` over `ws`, exactly as a
 * script or another stock Yjs client would connect.
 */
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { gcEnabledFor, type StoryPart } from '../../shared/documentLayout.ts';

export interface CollabClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Resolves once the first sync with the server has completed. */
  synced: Promise<void>;
  /** Resolves with the close event the next time the server closes the socket. */
  nextClose(): Promise<{ code: number; reason: string }>;
  destroy(): void;
}

export function connectClient(
  collabUrl: string,
  storyId: string,
  part: StoryPart,
  auth: { token?: string; headers?: Record<string, string> },
  options: { doc?: Y.Doc; connect?: boolean } = {},
): CollabClient {
  const doc = options.doc ?? new Y.Doc({ gc: gcEnabledFor(part) });
  const headers = auth.headers;
  // ws's WebSocket class differs in typing from the DOM WebSocket the provider is typed against;
  // at run time it is the drop-in replacement the provider documents.
  const Polyfill = headers
    ? class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, { headers });
        }
      }
    : WebSocket;
  const provider = new WebsocketProvider(collabUrl, `${storyId}/${part}`, doc, {
    WebSocketPolyfill: Polyfill as unknown as typeof globalThis.WebSocket,
    params: auth.token ? { token: auth.token } : {},
    disableBc: true,
    connect: options.connect ?? true,
  });
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve();
    else provider.once('sync', () => resolve());
  });
  return {
    doc,
    provider,
    synced,
    nextClose: () =>
      new Promise((resolve) => {
        provider.once('connection-close', (event) => {
          if (event) resolve({ code: event.code, reason: event.reason });
        });
      }),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Polls until `check` returns true, or fails with `message` after `timeoutMs`. */
export async function waitFor(check: () => boolean, message: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
