/**
 * A hostile collaboration client: a raw `ws` socket that speaks bytes (lib0 encoding), so tests can
 * send exactly what a broken or malicious client would. Honest clients are `collabClient.ts`.
 */
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { MessageType, SyncMessageType } from '../../shared/protocol.ts';

export interface RawClient {
  ws: WebSocket;
  /** Binary messages received, in order. */
  received: Uint8Array[];
  /** Resolves with the close code and reason once the socket is closed (by either side). */
  closed: Promise<{ code: number; reason: string }>;
  /** Whether the close event has fired. */
  isClosed(): boolean;
}

/** Opens a raw socket on `/collab/<room>` with an API token; resolves once it is open. */
export async function openRaw(
  collabUrl: string,
  room: string,
  token: string,
  options: { query?: string; wsOptions?: WebSocket.ClientOptions } = {},
): Promise<RawClient> {
  const ws = new WebSocket(`${collabUrl}/${room}?token=${token}${options.query ?? ''}`, options.wsOptions);
  const received: Uint8Array[] = [];
  let done = false;
  ws.on('message', (data: Buffer) => received.push(new Uint8Array(data)));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => {
      done = true;
      resolve({ code, reason: reason.toString() });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('close', (code) => reject(new Error(`socket closed before opening (${code})`)));
  });
  return { ws, received, closed, isClosed: () => done };
}

/** A y-websocket sync message (`step1`, `step2` or `update`) carrying `payload`. */
export function syncMessage(syncType: number, payload: Uint8Array): Uint8Array {
  return encoding.encode((encoder) => {
    encoding.writeVarUint(encoder, MessageType.sync);
    encoding.writeVarUint(encoder, syncType);
    encoding.writeVarUint8Array(encoder, payload);
  });
}

export const updateMessage = (update: Uint8Array): Uint8Array => syncMessage(SyncMessageType.update, update);

/** An awareness message with one entry whose state is the raw `json` text. */
export function awarenessMessage(clientId: number, clock: number, json: string): Uint8Array {
  return encoding.encode((encoder) => {
    encoding.writeVarUint(encoder, MessageType.awareness);
    encoding.writeVarUint8Array(
      encoder,
      encoding.encode((inner) => {
        encoding.writeVarUint(inner, 1);
        encoding.writeVarUint(inner, clientId);
        encoding.writeVarUint(inner, clock);
        encoding.writeVarString(inner, json);
      }),
    );
  });
}

/** Bytes of a varuint. */
export function varUint(value: number): number[] {
  return [...encoding.encode((encoder) => encoding.writeVarUint(encoder, value))];
}

/**
 * One client-to-server WebSocket frame, built by hand with a zero masking key (so the payload is
 * readable in the bytes). Written straight to the TCP socket, several frames arrive in one chunk.
 */
export function rawFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  const header: number[] = [0x80 | opcode];
  if (payload.length < 126) header.push(0x80 | payload.length);
  else if (payload.length < 65536) header.push(0x80 | 126, payload.length >> 8, payload.length & 0xff);
  else throw new RangeError('rawFrame: payload too long for this helper');
  header.push(0, 0, 0, 0);
  return Buffer.concat([Buffer.from(header), payload]);
}

/** Writes bytes to the socket underneath `ws`, bypassing its framing. */
export function writeRaw(ws: WebSocket, bytes: Buffer): void {
  const socket = (ws as unknown as { _socket: { write(data: Buffer): void } })._socket;
  socket.write(bytes);
}
