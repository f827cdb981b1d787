/**
 * Between instances: Redis pub/sub carries each room's stored updates, awareness changes and
 * periodic state vectors to every other instance that has the room open. Redis keeps nothing here;
 * storage stays the source of truth, and a gap (a message lost while Redis restarted, say) is healed
 * from storage when the state vectors disagree.
 */
import { Redis } from 'ioredis';

export const BusKind = { update: 0, awareness: 1, stateVector: 2 } as const;
export type BusKind = (typeof BusKind)[keyof typeof BusKind];

export type BusHandler = (kind: BusKind, payload: Uint8Array) => void;

export interface InstanceBus {
  /** This instance's id (messages it sent itself are ignored). */
  readonly instanceId: string;
  /** Resolves once the subscription is active, so nothing published afterwards is missed. */
  subscribe(room: string, handler: BusHandler): Promise<void>;
  unsubscribe(room: string): Promise<void>;
  /** Fire and forget: a message that cannot be sent is healed later from storage. */
  publish(room: string, kind: BusKind, payload: Uint8Array): void;
  /** Called whenever the connection to Redis comes back after a loss. */
  onReconnect(listener: () => void): void;
  /** Whether Redis is reachable now (readiness). */
  isReady(): boolean;
  close(): Promise<void>;
}

const encoder = new TextEncoder();
/** How long loading a room waits for its subscription when Redis does not answer. */
const SUBSCRIBE_WAIT_MS = 2000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
const decoder = new TextDecoder();

export interface RedisBusOptions {
  url: string;
  instanceId: string;
  /** Channel name prefix (several newsrooms on one Redis). */
  prefix?: string;
  onError?: (error: Error) => void;
}

/** Frames: kind (1 byte), sender id length (1 byte), sender id, payload. */
function frame(kind: BusKind, sender: Uint8Array, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(2 + sender.length + payload.length);
  out[0] = kind;
  out[1] = sender.length;
  out.set(sender, 2);
  out.set(payload, 2 + sender.length);
  return out;
}

export async function connectRedisBus(options: RedisBusOptions): Promise<InstanceBus> {
  const prefix = options.prefix ?? 'sourcedesk:room:';
  const sender = encoder.encode(options.instanceId);
  if (sender.length > 255) throw new RangeError('instance id too long');
  const redisOptions = {
    lazyConnect: true,
    // Keep trying for ever: an instance outlives a Redis restart.
    retryStrategy: (times: number) => Math.min(1000, 50 * times),
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
  };
  const pub = new Redis(options.url, redisOptions);
  // Subscriptions wait for a connection however long Redis is away (ioredis resubscribes).
  const sub = new Redis(options.url, { ...redisOptions, maxRetriesPerRequest: null });
  const handlers = new Map<string, BusHandler>();
  const reconnectListeners: (() => void)[] = [];
  const report = (error: Error) => options.onError?.(error);
  pub.on('error', report);
  sub.on('error', report);
  let lost = false;
  sub.on('close', () => {
    lost = true;
  });
  sub.on('ready', () => {
    if (!lost) return;
    lost = false;
    for (const listener of reconnectListeners) listener();
  });
  sub.on('messageBuffer', (channelBuffer: Buffer, message: Buffer) => {
    const room = decoder.decode(channelBuffer).slice(prefix.length);
    const handler = handlers.get(room);
    if (handler === undefined || message.length < 2) return;
    const kind = message[0] as number;
    const idLength = message[1] as number;
    if (message.length < 2 + idLength || kind > BusKind.stateVector) return;
    const from = decoder.decode(message.subarray(2, 2 + idLength));
    if (from === options.instanceId) return;
    const payload = new Uint8Array(message.buffer, message.byteOffset + 2 + idLength, message.length - 2 - idLength);
    handler(kind as BusKind, payload);
  });
  // An instance starts without Redis too (not ready, and alone until Redis answers).
  const connected = Promise.all([pub.connect(), sub.connect()]).catch(report);
  await Promise.race([connected, delay(SUBSCRIBE_WAIT_MS)]);
  return {
    instanceId: options.instanceId,
    async subscribe(room, handler) {
      handlers.set(room, handler);
      // Without Redis, rooms still load: what others publish meanwhile is healed from storage
      // when the connection comes back.
      await Promise.race([sub.subscribe(prefix + room).catch(report), delay(SUBSCRIBE_WAIT_MS)]);
    },
    async unsubscribe(room) {
      handlers.delete(room);
      await sub.unsubscribe(prefix + room).catch(report);
    },
    publish(room, kind, payload) {
      pub.publish(prefix + room, frame(kind, sender, payload)).catch(report);
    },
    onReconnect(listener) {
      reconnectListeners.push(listener);
    },
    isReady() {
      return pub.status === 'ready' && sub.status === 'ready';
    },
    async close() {
      handlers.clear();
      pub.disconnect();
      sub.disconnect();
    },
  };
}
