/**
 * Limits on what one collaboration socket may send, and the cheap checks that enforce them before
 * anything is decoded by Yjs. A message that breaks a limit closes that socket only, with a close
 * code and reason from `shared/protocol.ts`; the room, its document and every other socket carry on.
 *
 * `screenMessage` walks a y-websocket message the way Yjs's v1 update decoder would, but without
 * building any `Item`s: it checks the framing, counts the structs an update declares (against the
 * limit and against the bytes actually present, so "four billion structs" in a 20-byte update costs
 * nothing), measures how deeply types and JSON-like values nest, and checks that a delete set is
 * sorted and disjoint (an overlapping one would make the novelty check walk the same structs again
 * for every range). Only a message that passes is handed to the room, which decodes it for real.
 */
import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';
import { CloseCode, CloseReason, MessageType, SyncMessageType } from '../../shared/protocol.ts';

export interface CollabLimits {
  /** Largest WebSocket frame (message) accepted, in bytes; `ws` refuses to buffer a larger one. */
  maxFrameBytes: number;
  /** Largest Yjs update (the payload of a sync step 2 or update message), in bytes. */
  maxUpdateBytes: number;
  /** Most structs (items, GC and skip runs) one update may declare. */
  maxUpdateStructs: number;
  /** Deepest nesting of Yjs types, and of JSON or `Any` values, in an update or a presence state. */
  maxNestingDepth: number;
  /** Largest presence (awareness) update, in bytes. */
  maxAwarenessBytes: number;
  /** Sustained messages per second per socket (token bucket refill rate). */
  messagesPerSecond: number;
  /** Messages a socket may send at once before the sustained rate applies (token bucket size). */
  messageBurst: number;
  /** Collaboration sockets one account may have open at once (every instance counts its own). */
  maxSocketsPerUser: number;
  /** Time from the upgrade until the socket must have joined its room and sent a message, in ms. */
  handshakeTimeoutMs: number;
  /** Bytes that may wait in a socket's send buffer before the slow reader is cut off. */
  maxBufferedBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults: far above anything a person typing (or a stock provider's sync on connect) produces,
 * and low enough that one socket cannot take the server's memory or CPU.
 */
export const DEFAULT_LIMITS: CollabLimits = {
  maxFrameBytes: 8 * MiB,
  maxUpdateBytes: 4 * MiB,
  maxUpdateStructs: 200_000,
  maxNestingDepth: 100,
  maxAwarenessBytes: 64 * 1024,
  messagesPerSecond: 200,
  messageBurst: 2000,
  maxSocketsPerUser: 60,
  handshakeTimeoutMs: 10_000,
  maxBufferedBytes: 4 * MiB,
};

/** The environment variable of `sourcedesk serve` that sets each limit. */
export const LIMIT_ENV: Record<keyof CollabLimits, string> = {
  maxFrameBytes: 'MAX_FRAME_BYTES',
  maxUpdateBytes: 'MAX_UPDATE_BYTES',
  maxUpdateStructs: 'MAX_UPDATE_STRUCTS',
  maxNestingDepth: 'MAX_NESTING_DEPTH',
  maxAwarenessBytes: 'MAX_AWARENESS_BYTES',
  messagesPerSecond: 'MESSAGES_PER_SECOND',
  messageBurst: 'MESSAGE_BURST',
  maxSocketsPerUser: 'MAX_SOCKETS_PER_USER',
  handshakeTimeoutMs: 'HANDSHAKE_TIMEOUT_MS',
  maxBufferedBytes: 'MAX_BUFFERED_BYTES',
};

/** Reads the limits set in the environment; throws a message naming the variable when one is not a positive integer. */
export function limitsFromEnv(env: Record<string, string | undefined>): Partial<CollabLimits> {
  const limits: Partial<CollabLimits> = {};
  for (const [key, name] of Object.entries(LIMIT_ENV) as [keyof CollabLimits, string][]) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new RangeError(`${name} must be a positive integer, not "${raw}"`);
    limits[key] = value;
  }
  return limits;
}

/** Why a message closes its socket. */
export interface Refusal {
  code: number;
  reason: string;
}

const refusal = (code: number, reason: string): Refusal => ({ code, reason });
const MALFORMED = refusal(CloseCode.badMessage, CloseReason.malformedMessage);

/** Thrown inside the scanner to stop at the first broken limit. */
class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

/**
 * A token bucket: `burst` tokens, refilled at `rate` per second. `take` answers whether a message
 * may pass. Time is passed in (milliseconds, monotonic) so tests can drive it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  take(now: number = performance.now(), cost = 1): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

/**
 * How many times the message budget a socket has for presence echoes. The stock `WebsocketProvider`
 * sends every presence change it receives straight back to the server (its awareness `update`
 * handler does not look at the origin), so each client's echo rate grows with the room's activity.
 * An echo changes nothing (the room already has that state at that clock) and is fanned out to
 * nobody, so it is counted in a budget of its own, this much larger, instead of the message budget.
 */
export const ECHO_BUDGET_FACTOR = 10;

/**
 * Whether a message is a presence echo: an awareness update whose every entry the room's
 * awareness already holds at that clock or a newer one. Anything else (including a malformed
 * message) is not, and goes through the ordinary budget and screen.
 */
export function isPresenceEcho(message: Uint8Array, awareness: { meta: Map<number, { clock: number }> }): boolean {
  if (message[0] !== MessageType.awareness) return false;
  try {
    const decoder = decoding.createDecoder(message);
    decoding.readVarUint(decoder);
    const payload = decoding.createDecoder(readBytes(decoder, decoding.readVarUint(decoder)));
    const count = readCount(payload, 3);
    if (count === 0) return false;
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(payload);
      const clock = decoding.readVarUint(payload);
      readBytes(payload, decoding.readVarUint(payload));
      const known = awareness.meta.get(clientId);
      if (known === undefined || known.clock < clock) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks one binary y-websocket message against the limits before the room decodes it. `doc` is
 * the room's document (nesting depth continues from the types it already has); `null` checks the
 * message on its own. Returns why the socket must close, or `null` when the message may pass.
 *
 * `message` must own its whole `ArrayBuffer` (see `ownBytes`): lib0 reads sub-arrays through the
 * underlying buffer, so a view into a larger one would let a length prefix read past the frame.
 */
export function screenMessage(message: Uint8Array, doc: Y.Doc | null, limits: CollabLimits): Refusal | null {
  try {
    const decoder = decoding.createDecoder(message);
    const type = decoding.readVarUint(decoder);
    switch (type) {
      case MessageType.sync: {
        const syncType = decoding.readVarUint(decoder);
        const length = decoding.readVarUint(decoder);
        if (syncType === SyncMessageType.step1) {
          screenStateVector(readBytes(decoder, length));
          return null;
        }
        if (syncType !== SyncMessageType.step2 && syncType !== SyncMessageType.update) {
          return refusal(CloseCode.badMessage, CloseReason.unknownSyncType);
        }
        if (length > limits.maxUpdateBytes) return refusal(CloseCode.tooLarge, CloseReason.updateTooLarge);
        screenUpdate(readBytes(decoder, length), doc, limits);
        return null;
      }
      case MessageType.awareness: {
        const length = decoding.readVarUint(decoder);
        if (length > limits.maxAwarenessBytes) return refusal(CloseCode.tooLarge, CloseReason.awarenessTooLarge);
        screenAwareness(readBytes(decoder, length), limits);
        return null;
      }
      case MessageType.auth:
      case MessageType.queryAwareness:
        return null;
      default:
        return refusal(CloseCode.badMessage, CloseReason.unknownMessageType);
    }
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    return MALFORMED;
  }
}

/** A copy of `bytes` that owns its `ArrayBuffer` exactly (so no read can run past its end). */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}

function readBytes(decoder: decoding.Decoder, length: number): Uint8Array {
  if (length > decoder.arr.length - decoder.pos) throw new Refused(MALFORMED);
  const bytes = decoder.arr.subarray(decoder.pos, decoder.pos + length);
  decoder.pos += length;
  return bytes;
}

function remaining(decoder: decoding.Decoder): number {
  return decoder.arr.length - decoder.pos;
}

/** A declared count that cannot fit in the bytes left (each entry takes at least `minBytes`). */
function readCount(decoder: decoding.Decoder, minBytes: number): number {
  const count = decoding.readVarUint(decoder);
  if (count * minBytes > remaining(decoder)) throw new Refused(MALFORMED);
  return count;
}

function readString(decoder: decoding.Decoder): string {
  return new TextDecoder().decode(readBytes(decoder, decoding.readVarUint(decoder)));
}

function screenStateVector(bytes: Uint8Array): void {
  const decoder = decoding.createDecoder(bytes);
  const count = readCount(decoder, 2);
  for (let i = 0; i < count; i++) {
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
  }
}

/** How deeply `[`/`{` nest in a JSON text (strings skipped); throws past `max`. */
export function checkJsonDepth(json: string, max: number): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (inString) {
      if (char === 92 /* \ */) i++;
      else if (char === 34 /* " */) inString = false;
    } else if (char === 34) inString = true;
    else if (char === 91 /* [ */ || char === 123 /* { */) {
      if (++depth > max) throw new Refused(refusal(CloseCode.tooLarge, CloseReason.nestedTooDeeply));
    } else if (char === 93 /* ] */ || char === 125 /* } */) depth--;
  }
}

function screenAwareness(bytes: Uint8Array, limits: CollabLimits): void {
  const decoder = decoding.createDecoder(bytes);
  // Each entry: client id, clock, state (at least one byte each).
  const count = readCount(decoder, 3);
  for (let i = 0; i < count; i++) {
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    checkJsonDepth(readString(decoder), limits.maxNestingDepth);
  }
}

/** lib0 `Any` value (ContentAny, ContentDoc options): skipped without building it, depth-checked. */
function skipAny(decoder: decoding.Decoder, max: number): void {
  // An explicit stack of open arrays and objects (values still to read in each): no recursion.
  const stack: { left: number; object: boolean }[] = [{ left: 1, object: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as { left: number; object: boolean };
    if (frame.left === 0) {
      stack.pop();
      continue;
    }
    frame.left--;
    if (frame.object) readBytes(decoder, decoding.readVarUint(decoder));
    if (remaining(decoder) < 1) throw new Refused(MALFORMED);
    const tag = decoding.readUint8(decoder);
    switch (tag) {
      case 127: // undefined
      case 126: // null
      case 121: // false
      case 120: // true
        break;
      case 125: // integer
        decoding.readVarInt(decoder);
        if (decoder.pos > decoder.arr.length) throw new Refused(MALFORMED);
        break;
      case 124: // float32
        readBytes(decoder, 4);
        break;
      case 123: // float64
      case 122: // bigint64
        readBytes(decoder, 8);
        break;
      case 119: // string
      case 116: // Uint8Array
        readBytes(decoder, decoding.readVarUint(decoder));
        break;
      case 118: // object: key, value pairs
      case 117: {
        // array
        const object = tag === 118;
        const size = readCount(decoder, object ? 2 : 1);
        if (stack.length >= max) throw new Refused(refusal(CloseCode.tooLarge, CloseReason.nestedTooDeeply));
        stack.push({ left: size, object });
        break;
      }
      default:
        throw new Refused(MALFORMED);
    }
  }
}

/** Where an item hangs: a root type, the type inside another item, or beside another item. */
type ParentRef = { kind: 'root' } | { kind: 'parent' | 'sibling'; client: number; clock: number };

interface ScannedItem {
  clock: number;
  end: number;
  ref: ParentRef;
  depth: number;
}

function readId(decoder: decoding.Decoder): { client: number; clock: number } {
  const client = decoding.readVarUint(decoder);
  const clock = decoding.readVarUint(decoder);
  return { client, clock };
}

/**
 * Walks a v1 update (Yjs's `readClientsStructRefs` and `readDeleteSet`) without decoding it: the
 * struct count against the limit, every length against the bytes present, nesting depth of types
 * (continuing from `doc`) and of values, and a sorted, disjoint delete set.
 */
export function screenUpdate(update: Uint8Array, doc: Y.Doc | null, limits: CollabLimits): void {
  if (update.byteLength > limits.maxUpdateBytes)
    throw new Refused(refusal(CloseCode.tooLarge, CloseReason.updateTooLarge));
  const decoder = decoding.createDecoder(update);
  const tooDeep = () => new Refused(refusal(CloseCode.tooLarge, CloseReason.nestedTooDeeply));
  const items = new Map<number, ScannedItem[]>();
  let structs = 0;
  // Each client section: struct count, client, clock, and at least one struct of two bytes.
  const sections = readCount(decoder, 3);
  for (let section = 0; section < sections; section++) {
    const declared = decoding.readVarUint(decoder);
    structs += declared;
    if (structs > limits.maxUpdateStructs) throw new Refused(refusal(CloseCode.tooLarge, CloseReason.tooManyStructs));
    // Every struct takes at least two bytes (its info byte and a length or content).
    if (declared * 2 > remaining(decoder)) throw new Refused(MALFORMED);
    const client = decoding.readVarUint(decoder);
    let clock = decoding.readVarUint(decoder);
    const own = items.get(client) ?? [];
    items.set(client, own);
    for (let i = 0; i < declared; i++) {
      if (remaining(decoder) < 1) throw new Refused(MALFORMED);
      const info = decoding.readUint8(decoder);
      const contentRef = info & 0b11111;
      if (contentRef === 0 || contentRef === 10) {
        // GC or Skip: a length only.
        clock += decoding.readVarUint(decoder);
        continue;
      }
      const origin = (info & 0b10000000) !== 0 ? readId(decoder) : null;
      const rightOrigin = (info & 0b01000000) !== 0 ? readId(decoder) : null;
      let ref: ParentRef;
      if (origin === null && rightOrigin === null) {
        if (decoding.readVarUint(decoder) === 1) {
          readString(decoder);
          ref = { kind: 'root' };
        } else {
          ref = { kind: 'parent', ...readId(decoder) };
        }
        if ((info & 0b00100000) !== 0) readString(decoder);
      } else {
        ref = { kind: 'sibling', ...((origin ?? rightOrigin) as { client: number; clock: number }) };
      }
      let length = 1;
      switch (contentRef) {
        case 1: // deleted
          length = decoding.readVarUint(decoder);
          break;
        case 2: {
          // JSON: strings
          length = readCount(decoder, 1);
          for (let j = 0; j < length; j++) checkJsonDepth(readString(decoder), limits.maxNestingDepth);
          break;
        }
        case 3: // binary
          readBytes(decoder, decoding.readVarUint(decoder));
          break;
        case 4: // string: its length in UTF-16 code units, as Yjs counts it
          length = readString(decoder).length;
          break;
        case 5: // embed (JSON)
          checkJsonDepth(readString(decoder), limits.maxNestingDepth);
          break;
        case 6: // format: key, value (JSON)
          readString(decoder);
          checkJsonDepth(readString(decoder), limits.maxNestingDepth);
          break;
        case 7: {
          // a type; XmlElement and XmlHook carry a name
          const typeRef = decoding.readVarUint(decoder);
          if (typeRef > 6) throw new Refused(MALFORMED);
          if (typeRef === 3 || typeRef === 5) readString(decoder);
          break;
        }
        case 8: {
          // Any values
          length = readCount(decoder, 1);
          for (let j = 0; j < length; j++) skipAny(decoder, limits.maxNestingDepth);
          break;
        }
        case 9: // subdocument: nothing in a story uses them, and each would be a whole Y.Doc here
          throw new Refused(refusal(CloseCode.badMessage, CloseReason.subdocument));
        default:
          throw new Refused(MALFORMED);
      }
      if (length < 1) throw new Refused(MALFORMED);
      own.push({ clock, end: clock + length, ref, depth: 0 });
      clock += length;
    }
  }
  // The delete set: per client, ranges sorted and disjoint (as Yjs always writes them).
  const dsClients = readCount(decoder, 2);
  const seen = new Set<number>();
  for (let i = 0; i < dsClients; i++) {
    const client = decoding.readVarUint(decoder);
    if (seen.has(client)) throw new Refused(MALFORMED);
    seen.add(client);
    const ranges = readCount(decoder, 2);
    let end = 0;
    for (let j = 0; j < ranges; j++) {
      const from = decoding.readVarUint(decoder);
      const len = decoding.readVarUint(decoder);
      if (from < end) throw new Refused(MALFORMED);
      end = from + len;
    }
  }
  checkTypeDepth(items, doc, limits.maxNestingDepth, tooDeep);
}

/** Finds the scanned item holding `clock` of `client`. */
function findScanned(items: Map<number, ScannedItem[]>, client: number, clock: number): ScannedItem | undefined {
  const list = items.get(client);
  if (list === undefined) return undefined;
  let low = 0;
  let high = list.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const item = list[mid] as ScannedItem;
    if (clock < item.clock) high = mid - 1;
    else if (clock >= item.end) low = mid + 1;
    else return item;
  }
  return undefined;
}

/** Depth of an item the document already has (1: child of a root type), or `null` if unknown. */
function docDepth(doc: Y.Doc, client: number, clock: number, max: number): number | null {
  const structs = doc.store.clients.get(client);
  if (structs === undefined || clock >= Y.getState(doc.store, client)) return null;
  const struct = structs[Y.findIndexSS(structs, clock)];
  if (!(struct instanceof Y.Item)) return null;
  let depth = 1;
  let parent = struct.parent as Y.AbstractType<unknown> | null;
  while (parent?._item) {
    depth++;
    if (depth > max) break;
    parent = parent._item.parent as Y.AbstractType<unknown> | null;
  }
  return depth;
}

/**
 * How deep each item of the update will sit: a child of a root type is at depth 1, a child of the
 * type inside an item at depth `d` is at `d + 1`, an item beside another at that one's depth.
 * Items the update refers to that neither it nor the document has are counted from depth 1.
 */
function checkTypeDepth(
  items: Map<number, ScannedItem[]>,
  doc: Y.Doc | null,
  max: number,
  tooDeep: () => Refused,
): void {
  const resolving = new Set<ScannedItem>();
  for (const list of items.values()) {
    for (const start of list) {
      if (start.depth > 0) continue;
      // Follow references iteratively until one resolves, then unwind.
      const chain: ScannedItem[] = [start];
      resolving.add(start);
      while (chain.length > 0) {
        const item = chain.at(-1) as ScannedItem;
        const ref = item.ref;
        let depth: number | null = null;
        if (ref.kind === 'root') depth = 1;
        else {
          const target = findScanned(items, ref.client, ref.clock);
          if (target !== undefined && target.depth === 0 && !resolving.has(target)) {
            resolving.add(target);
            chain.push(target);
            continue;
          }
          const known =
            target !== undefined
              ? target.depth || null
              : doc === null
                ? null
                : docDepth(doc, ref.client, ref.clock, max);
          if (ref.kind === 'parent') depth = (known ?? 0) + 1;
          else depth = known ?? 1;
        }
        if (depth > max) throw tooDeep();
        item.depth = depth;
        resolving.delete(item);
        chain.pop();
      }
    }
  }
}
