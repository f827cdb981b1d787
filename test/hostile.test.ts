/**
 * Protocol abuse, after Etherpad's and Hocuspocus's malformed-frame tests: a member with write
 * access (mallory) opens raw sockets on a story two honest reporters are editing and sends what a
 * broken or malicious client would. Every case must close mallory's socket only, with the named
 * close code and reason, leave the document and the stored log exactly as they were, and let the
 * honest clients' round trip through the same room complete during and after the attack.
 */
import * as encoding from 'lib0/encoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DEFAULT_LIMITS, screenMessage } from '../server/collab/limits.ts';
import { CloseCode, CloseReason, MessageType, SyncMessageType } from '../shared/protocol.ts';
import { type AttackedRoom, equalBytes, openAttackedRoom, storedEqualsRoom } from './helpers/attackedRoom.ts';
import { waitFor } from './helpers/collabClient.ts';
import { changeOf, mutate } from './helpers/fuzzing.ts';
import {
  awarenessMessage,
  type RawClient,
  rawFrame,
  syncMessage,
  updateMessage,
  varUint,
  writeRaw,
} from './helpers/hostileClient.ts';
import { prng } from './helpers/prng.ts';
import type { TestServer } from './helpers/testServer.ts';

/** Limits small enough to reach with small messages (the defaults are tested in hostileLimits). */
const LIMITS = {
  maxFrameBytes: 256 * 1024,
  maxUpdateBytes: 64 * 1024,
  maxUpdateStructs: 2000,
};

const servers: TestServer[] = [];
const sockets: RawClient[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
});

async function healthy(room: AttackedRoom): Promise<boolean> {
  const response = await fetch(`${room.server.url}/api/health`);
  return response.status === 200;
}

function nestedElements(depth: number): Y.XmlElement {
  const root = new Y.XmlElement('blockquote');
  let current = root;
  for (let i = 1; i < depth; i++) {
    const child = new Y.XmlElement('blockquote');
    current.insert(0, [child]);
    current = child;
  }
  return root;
}

function nestedArray(depth: number): unknown {
  let value: unknown = 'core';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A hand-written v1 update: one client section of raw struct bytes, then an empty delete set. */
function handUpdate(structCount: number, structBytes: number[], client = 4242): Uint8Array {
  return new Uint8Array([1, ...varUint(structCount), ...varUint(client), 0, ...structBytes, 0]);
}

const text = (s: string): number[] => {
  const bytes = [...new TextEncoder().encode(s)];
  return [...varUint(bytes.length), ...bytes];
};

interface Case {
  name: string;
  /** The frame to send, from the room's current state. */
  frame: (state: Uint8Array) => Uint8Array;
  expected: { code: number; reason: string };
  /** Send as a text frame instead of binary. */
  textFrame?: boolean;
}

const CASES: Case[] = [
  {
    name: 'garbage bytes',
    frame: () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x13]),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'an empty frame',
    frame: () => new Uint8Array(),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'an unknown message type',
    frame: () => new Uint8Array([7, 1, 2, 3]),
    expected: { code: CloseCode.badMessage, reason: CloseReason.unknownMessageType },
  },
  {
    name: 'an unknown sync message type',
    frame: () => new Uint8Array([MessageType.sync, 9, 1, 0]),
    expected: { code: CloseCode.badMessage, reason: CloseReason.unknownSyncType },
  },
  {
    name: 'a truncated update',
    frame: (state) => {
      const update = changeOf(state, (doc) => doc.getMap('meta').set('dek', 'A dek long enough to cut in half'));
      return updateMessage(update.slice(0, Math.floor(update.length / 2)));
    },
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'a length prefix longer than the frame',
    frame: () => new Uint8Array([MessageType.sync, SyncMessageType.update, ...varUint(5000), 1, 1, 4242, 0]),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'an unknown content type in a struct',
    frame: () => updateMessage(handUpdate(1, [0b00001011, 1, ...text('body')])),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'an unknown type reference',
    frame: () => updateMessage(handUpdate(1, [0b00000111, 1, ...text('body'), 9])),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'a delete set with overlapping ranges',
    frame: () => updateMessage(new Uint8Array([0, 1, ...varUint(4242), 2, 0, 10, 5, 10])),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'an update declaring four billion structs',
    frame: () => updateMessage(new Uint8Array([1, ...varUint(4_000_000_000), ...varUint(4242), 0, 4, 1, 1, 0])),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.tooManyStructs },
  },
  {
    name: 'an update declaring more structs than it has bytes for',
    frame: () => updateMessage(new Uint8Array([1, ...varUint(1500), ...varUint(4242), 0, 4, 1, 1, 0])),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'a valid update with more structs than the limit',
    frame: (state) =>
      updateMessage(
        changeOf(state, (doc) => {
          const map = doc.getMap('meta');
          for (let i = 0; i < LIMITS.maxUpdateStructs + 100; i++) map.set(i.toString(36), i);
        }),
      ),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.tooManyStructs },
  },
  {
    name: 'a valid update larger than the update limit',
    frame: (state) => updateMessage(changeOf(state, (doc) => doc.getMap('meta').set('dek', 'x'.repeat(100_000)))),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.updateTooLarge },
  },
  {
    name: 'a frame larger than the frame limit',
    frame: () => new Uint8Array(LIMITS.maxFrameBytes + 1024).fill(7),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.frameTooLarge },
  },
  {
    name: 'elements nested 150 deep',
    frame: (state) =>
      updateMessage(changeOf(state, (doc) => doc.getXmlFragment('body').insert(1, [nestedElements(150)]))),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.nestedTooDeeply },
  },
  {
    name: 'a value nested 150 arrays deep',
    frame: (state) => updateMessage(changeOf(state, (doc) => doc.getMap('meta').set('dek', nestedArray(150)))),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.nestedTooDeeply },
  },
  {
    name: 'a subdocument',
    frame: (state) => updateMessage(changeOf(state, (doc) => doc.getMap('meta').set('sub', new Y.Doc()))),
    expected: { code: CloseCode.badMessage, reason: CloseReason.subdocument },
  },
  {
    name: 'a presence state nested 5000 deep',
    frame: () => awarenessMessage(4242, 1, `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.nestedTooDeeply },
  },
  {
    name: 'a presence update larger than its limit',
    frame: () => awarenessMessage(4242, 1, JSON.stringify({ name: 'x'.repeat(DEFAULT_LIMITS.maxAwarenessBytes) })),
    expected: { code: CloseCode.tooLarge, reason: CloseReason.awarenessTooLarge },
  },
  {
    name: 'a presence state that is not JSON',
    frame: () => awarenessMessage(4242, 1, '{"user": <script>'),
    expected: { code: CloseCode.badMessage, reason: CloseReason.malformedMessage },
  },
  {
    name: 'a text frame',
    frame: () => new TextEncoder().encode('{"type":"sync"}'),
    textFrame: true,
    expected: { code: CloseCode.badMessage, reason: CloseReason.textFrame },
  },
  {
    name: 'invalid UTF-8 in a text frame',
    frame: () => new Uint8Array([0x68, 0xc3, 0x28, 0xa0, 0xa1]),
    textFrame: true,
    expected: { code: CloseCode.badMessage, reason: CloseReason.invalidUtf8 },
  },
];

describe('malformed traffic closes only the offending socket', () => {
  let room: AttackedRoom;

  beforeAll(async () => {
    room = await openAttackedRoom(servers, LIMITS);
  });
  afterAll(async () => {
    room?.close();
    for (const server of servers.splice(0)) await server.close();
  });

  for (const testCase of CASES) {
    it(`${testCase.name}: ${testCase.expected.code} "${testCase.expected.reason}"`, async () => {
      await room.roundTrip();
      const before = await room.state();
      const socket = await room.attack();
      sockets.push(socket);
      socket.ws.send(testCase.frame(before.update), { binary: testCase.textFrame !== true });
      // The honest clients' round trip completes while the attack is handled.
      const [closed] = await Promise.all([socket.closed, room.roundTrip()]);
      expect(closed).toEqual(testCase.expected);
      const after = await room.state();
      expect(equalBytes(after.update, before.update)).toBe(true);
      expect(after.logLength).toBe(before.logLength);
      expect(room.server.app.rooms.peek(room.key)?.connectionCount).toBe(2);
      await room.roundTrip();
      expect(await healthy(room)).toBe(true);
    });
  }

  it('a length prefix that runs into the next frame reads nothing past its own frame', async () => {
    // Two frames in one TCP write. The first declares an update whose string runs on into the
    // second frame's bytes; read through the shared read buffer, it would parse as a valid update
    // holding "LEAKED" from the next frame.
    const before = await room.state();
    const socket = await room.attack();
    sockets.push(socket);
    const tail = [...new TextEncoder().encode('-LEAKED'), 0];
    const secondHeaderLength = 6;
    const stringLength = 4 + secondHeaderLength + (tail.length - 1);
    const update = [1, 1, ...varUint(4242), 0, 0b00000100, 1, ...text('leak'), ...varUint(stringLength)];
    const firstUpdateBytes = [...update, 65, 65, 65, 65];
    const total = update.length + stringLength + 1;
    const first = new Uint8Array([MessageType.sync, SyncMessageType.update, ...varUint(total), ...firstUpdateBytes]);
    writeRaw(socket.ws, Buffer.concat([rawFrame(first), rawFrame(new Uint8Array(tail))]));
    expect(await socket.closed).toEqual({ code: CloseCode.badMessage, reason: CloseReason.malformedMessage });
    const live = room.server.app.rooms.peek(room.key);
    expect(live?.doc.share.has('leak')).toBe(false);
    expect(equalBytes((await room.state()).update, before.update)).toBe(true);
  });

  it('a nesting limit counts from the depth the document already has', async () => {
    const socket = await room.attack();
    sockets.push(socket);
    const state = (await room.state()).update;
    // 60 levels are fine on their own (and mallory may write the body)...
    const first = changeOf(state, (doc) => doc.getXmlFragment('body').insert(1, [nestedElements(60)]), 9_100_001);
    socket.ws.send(updateMessage(first));
    const live = room.server.app.rooms.peek(room.key);
    await waitFor(() => live !== undefined && Y.getState(live.doc.store, 9_100_001) > 0, 'the first nesting is stored');
    // ...but 60 more inside the deepest one make 120.
    const deeper = changeOf(
      Y.encodeStateAsUpdate(live?.doc ?? new Y.Doc()),
      (doc) => {
        let element = doc.getXmlFragment('body').get(1) as Y.XmlElement;
        while (element.length > 0) element = element.get(0) as Y.XmlElement;
        element.insert(0, [nestedElements(60)]);
      },
      9_100_002,
    );
    socket.ws.send(updateMessage(deeper));
    expect(await socket.closed).toEqual({ code: CloseCode.tooLarge, reason: CloseReason.nestedTooDeeply });
    expect(Y.getState(live?.doc.store ?? new Y.Doc().store, 9_100_002)).toBe(0);
    await waitFor(
      () => equalBytes(Y.encodeStateVector(room.bob.doc), Y.encodeStateVector(live?.doc ?? new Y.Doc())),
      'bob has the accepted nesting',
    );
    expect(await storedEqualsRoom(room)).toBe(true);
  });

  it('never negotiates compression (no decompression bombs)', async () => {
    const socket = await room.attack();
    sockets.push(socket);
    expect(socket.ws.extensions).toBe('');
  });
});

describe('the screen agrees with Yjs on honest updates', () => {
  it('accepts every update Yjs writes: text, formats, nested lists, maps, deletions, GC and skips', () => {
    const random = prng(9);
    const doc = new Y.Doc({ gc: true });
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    const fragment = doc.getXmlFragment('body');
    const meta = doc.getMap('meta');
    for (let step = 0; step < 400; step++) {
      doc.transact(() => {
        const choice = random();
        if (choice < 0.3 || fragment.length === 0) {
          const paragraph = new Y.XmlElement('paragraph');
          const text = new Y.XmlText(`Sentence ${step} with ünïcödé and 😀 emoji.`);
          paragraph.insert(0, [text]);
          fragment.insert(Math.floor(random() * (fragment.length + 1)), [paragraph]);
        } else if (choice < 0.5) {
          const list = new Y.XmlElement('bullet_list');
          const item = new Y.XmlElement('list_item');
          item.insert(0, [nestedElements(1 + Math.floor(random() * 8))]);
          list.insert(0, [item]);
          fragment.insert(0, [list]);
        } else if (choice < 0.7) {
          const first = fragment.get(Math.floor(random() * fragment.length));
          const text = first instanceof Y.XmlElement ? first.get(0) : null;
          if (text instanceof Y.XmlText && text.length > 4) {
            text.format(1, 3, { strong: true, link: { href: 'https://example.org' } });
            text.delete(0, 1);
            text.insertEmbed(1, { image: 'x' });
          }
        } else if (choice < 0.85) {
          meta.set(`k${step % 7}`, { nested: [1, 2.5, 'x', true, null, { deep: [new Uint8Array([1, 2])] }] });
        } else {
          fragment.delete(0, Math.min(fragment.length, 1 + Math.floor(random() * 2)));
        }
      });
    }
    const all = [...updates, Y.encodeStateAsUpdate(doc), Y.mergeUpdates(updates.filter((_u, i) => i % 3 !== 1))];
    for (const update of all) {
      expect(screenMessage(updateMessage(update), null, DEFAULT_LIMITS)).toBeNull();
    }
    // The state of a document that collected garbage holds GC structs; a merge with gaps, skips.
    const decoded = Y.decodeUpdate(all[all.length - 1] as Uint8Array);
    expect(decoded.structs.some((struct) => struct instanceof Y.Skip)).toBe(true);
    expect(Y.decodeUpdate(all[all.length - 2] as Uint8Array).structs.some((struct) => struct instanceof Y.GC)).toBe(
      true,
    );
  });

  it('accepts sync step 1, presence, auth and query messages as the stock provider sends them', () => {
    const doc = new Y.Doc();
    doc.getText('t').insert(0, 'x');
    const step1 = syncMessage(SyncMessageType.step1, Y.encodeStateVector(doc));
    const query = encoding.encode((encoder) => encoding.writeVarUint(encoder, MessageType.queryAwareness));
    const presence = awarenessMessage(1, 3, JSON.stringify({ cursor: { anchor: { type: null, tname: 'body' } } }));
    for (const message of [step1, query, presence]) expect(screenMessage(message, doc, DEFAULT_LIMITS)).toBeNull();
  });
});

describe('randomly corrupted updates (seeded)', () => {
  afterAll(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('every corruption is either a valid update, stored and applied, or a named close; nothing else', async () => {
    const seed = Number(process.env.HOSTILE_SEED ?? 20260914);
    const random = prng(seed);
    const room = await openAttackedRoom(servers, LIMITS);
    const allowed = new Set<number>([
      CloseCode.badMessage,
      CloseCode.tooLarge,
      CloseCode.updateRefused,
      CloseCode.rateLimited,
    ]);
    const codes = new Map<number, number>();
    let socket = await room.attack();
    sockets.push(socket);
    const iterations = Number(process.env.HOSTILE_ITERATIONS ?? 300);
    for (let i = 0; i < iterations; i++) {
      const live = room.server.app.rooms.peek(room.key);
      if (live === undefined) throw new Error('room unloaded');
      const base = changeOf(
        Y.encodeStateAsUpdate(live.doc),
        (doc) => {
          const fragment = doc.getXmlFragment('body');
          const paragraph = fragment.get(0) as Y.XmlElement;
          const text = paragraph.get(0) as Y.XmlText;
          text.insert(Math.floor(random() * text.length), `w${i} `);
          if (random() < 0.5 && text.length > 10) text.format(2, 3, { em: random() < 0.5 ? true : null });
          if (random() < 0.3) doc.getMap('meta').set('dek', { n: i, list: [i, 'x'] });
          if (random() < 0.2 && text.length > 20) text.delete(5, 2);
        },
        10_000 + i,
      );
      const mutated = mutate(random() < 0.7 ? updateMessage(base) : base, random);
      socket.ws.send(mutated);
      // A message after it: the socket answers it unless the corrupt one closed it.
      socket.ws.send(syncMessage(SyncMessageType.step1, new Uint8Array([0])));
      const answered = socket.received.length;
      await Promise.race([socket.closed, waitFor(() => socket.received.length > answered, 'answer', 30_000)]);
      if (socket.isClosed()) {
        const { code } = await socket.closed;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        expect(allowed.has(code), `iteration ${i} (seed ${seed}) closed with ${code}`).toBe(true);
        socket = await room.attack();
        sockets.push(socket);
      }
    }
    // The room holds exactly what is stored, and the honest clients have all of it.
    expect(await storedEqualsRoom(room)).toBe(true);
    await room.roundTrip();
    const live = room.server.app.rooms.peek(room.key);
    await waitFor(
      () => equalBytes(Y.encodeStateVector(room.alice.doc), Y.encodeStateVector(live?.doc ?? new Y.Doc())),
      'alice has every accepted update',
      30_000,
    );
    // Both outcomes happened: corruptions that still decode (a changed character) were accepted.
    const closedCount = [...codes.values()].reduce((sum, count) => sum + count, 0);
    expect(codes.get(CloseCode.badMessage) ?? 0).toBeGreaterThan(0);
    expect(closedCount).toBeLessThan(iterations);
    room.close();
  });
});
