/**
 * What the WebSocket adapter (`collabRoute.ts`) does to keep one socket from hurting the others:
 * exact-size copies of frames, our close codes for broken frames, sockets counted per account, and
 * a send that cuts off a reader whose buffer keeps growing. The limits are in `limits.ts`.
 */
import type { EventEmitter } from 'node:events';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, CloseReason } from '../../shared/protocol.ts';

/**
 * The bytes of one binary message in an `ArrayBuffer` of their own. `ws` hands out views into the
 * socket's read buffer (which also holds the frames after this one, or stale bytes of other
 * connections); lib0 reads sub-arrays through the underlying buffer, so a length prefix longer
 * than the frame would otherwise read past it instead of failing.
 */
export function frameBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data);
}

/** The error codes `ws`'s frame parser raises, and how we close for each. */
const FRAME_ERRORS: Record<string, { code: number; reason: string }> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: { code: CloseCode.tooLarge, reason: CloseReason.frameTooLarge },
  WS_ERR_INVALID_UTF8: { code: CloseCode.badMessage, reason: CloseReason.invalidUtf8 },
};

/**
 * Closes with our own code and reason when `ws` finds a broken frame (over `maxPayload`, invalid
 * UTF-8 in a text frame, bad opcode or flags), instead of its generic 1009/1007/1002 without a
 * reason. `ws` has already refused to buffer the frame; our listener runs first, so its own close
 * that follows finds the socket closing. Relies on `ws`'s receiver (`_receiver`, stable across
 * ws 8); without it `ws`'s own codes apply.
 */
export function closeOnFrameErrors(socket: WebSocket, close: (code: number, reason: string) => void): void {
  const receiver = (socket as unknown as { _receiver?: EventEmitter })._receiver;
  receiver?.prependListener('error', (error: Error & { code?: string }) => {
    const mapped = FRAME_ERRORS[error.code ?? ''] ?? { code: CloseCode.badMessage, reason: CloseReason.malformedFrame };
    close(mapped.code, mapped.reason);
  });
}

/** Open collaboration sockets per account, on this instance. */
export class SocketCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more socket for the user; `false` (and nothing counted) when at the limit. */
  acquire(userId: string): boolean {
    const count = this.open.get(userId) ?? 0;
    if (count >= this.max) return false;
    this.open.set(userId, count + 1);
    return true;
  }

  release(userId: string): void {
    const count = (this.open.get(userId) ?? 1) - 1;
    if (count <= 0) this.open.delete(userId);
    else this.open.set(userId, count);
  }

  count(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}

/**
 * Sends unless the socket's send buffer already holds more than `maxBufferedBytes` (a client that
 * does not read: its buffer would otherwise grow with every change anyone makes); then closes it
 * with `CloseCode.slowReader` and returns false. The buffer is bounded by the limit plus one message.
 */
export function sendOrCutOff(
  socket: WebSocket,
  message: Uint8Array,
  maxBufferedBytes: number,
  close: (code: number, reason: string) => void,
  onError: (error: Error) => void,
): boolean {
  if (socket.readyState !== socket.OPEN) return false;
  if (socket.bufferedAmount > maxBufferedBytes) {
    close(CloseCode.slowReader, CloseReason.slowReader);
    return false;
  }
  socket.send(message, (error) => {
    if (error) onError(error);
  });
  return true;
}
