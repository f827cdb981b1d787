/**
 * The long hostile-input fuzz (`npm run fuzz:hostile`), outside the test suite: a member with write access
 * sends random corruptions of valid messages (updates, presence, sync step 1), random bytes and
 * random message types, one after another, at a story two honest clients are editing, for as long
 * as asked. Every so often it checks what the suite checks once: the socket closed only with a
 * named close code, the room holds exactly what the store holds, the honest clients still make a
 * round trip and have everything the room accepted. Prints a summary (and the seed to replay).
 *
 *   npm run fuzz:hostile                 20,000 messages, a random seed
 *   FUZZ_SEED=7 FUZZ_ITERATIONS=200000 npm run fuzz:hostile
 */
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { CloseCode, MessageType, SyncMessageType } from '../shared/protocol.ts';
import { equalBytes, openAttackedRoom, storedEqualsRoom } from '../test/helpers/attackedRoom.ts';
import { waitFor } from '../test/helpers/collabClient.ts';
import { changeOf, mutate } from '../test/helpers/fuzzing.ts';
import { awarenessMessage, type RawClient, syncMessage, updateMessage } from '../test/helpers/hostileClient.ts';
import { prng } from '../test/helpers/prng.ts';
import type { TestServer } from '../test/helpers/testServer.ts';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const iterations = Number(process.env.FUZZ_ITERATIONS ?? 20_000);
const checkEvery = Number(process.env.FUZZ_CHECK_EVERY ?? 1000);
const random = prng(seed);
const ALLOWED = new Set<number>([CloseCode.badMessage, CloseCode.tooLarge, CloseCode.updateRefused]);

function fail(message: string): never {
  process.stderr.write(`fuzz: FAILED (seed ${seed}): ${message}\n`);
  process.exit(1);
}

function randomBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(random() * 256));
}

/** A message to send: mostly corruptions of valid ones, some pure noise. */
function nextMessage(state: Uint8Array, i: number): Uint8Array {
  const choice = random();
  if (choice < 0.55) {
    const update = changeOf(
      state,
      (doc) => {
        const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement;
        const text = paragraph.get(0) as Y.XmlText;
        text.insert(Math.floor(random() * (text.length + 1)), `f${i} `);
        if (random() < 0.3 && text.length > 8) text.format(1, 4, { strong: random() < 0.5 ? true : null });
        if (random() < 0.2) doc.getMap('meta').set('dek', { i, nested: [[i]] });
        if (random() < 0.1) paragraph.insert(paragraph.length, [new Y.XmlElement('hard_break')]);
      },
      1_000_000 + i,
    );
    return mutate(random() < 0.7 ? updateMessage(update) : update, random);
  }
  if (choice < 0.7) return mutate(awarenessMessage(2_000_000 + i, 1 + (i % 50), JSON.stringify({ cursor: i })), random);
  if (choice < 0.8) return mutate(syncMessage(SyncMessageType.step1, new Uint8Array([1, 5, 3])), random);
  if (choice < 0.9) return randomBytes(1 + Math.floor(random() * 64));
  return encoding.encode((encoder) => {
    encoding.writeVarUint(encoder, Math.floor(random() * 8));
    encoding.writeVarUint8Array(encoder, randomBytes(Math.floor(random() * 32)));
  });
}

async function main(): Promise<void> {
  const servers: TestServer[] = [];
  // Generous rates: the fuzz is about content, one message at a time (floods are in the suite).
  const room = await openAttackedRoom(servers, { messagesPerSecond: 100_000, messageBurst: 100_000 });
  const codes = new Map<number, number>();
  let accepted = 0;
  let socket: RawClient = await room.attack();
  const started = Date.now();
  const rssStart = process.memoryUsage().rss;
  for (let i = 0; i < iterations; i++) {
    const live = room.server.app.rooms.peek(room.key);
    if (live === undefined) fail('the room unloaded while its clients were connected');
    socket.ws.send(nextMessage(Y.encodeStateAsUpdate(live.doc), i));
    // A query after it: answered unless the message before closed the socket.
    socket.ws.send(encoding.encode((encoder) => encoding.writeVarUint(encoder, MessageType.queryAwareness)));
    const answered = socket.received.length;
    await Promise.race([socket.closed, waitFor(() => socket.received.length > answered, 'answer', 30_000)]);
    if (socket.isClosed()) {
      const { code } = await socket.closed;
      codes.set(code, (codes.get(code) ?? 0) + 1);
      if (!ALLOWED.has(code)) fail(`message ${i} closed the socket with ${code}`);
      socket = await room.attack();
    } else accepted += 1;
    if ((i + 1) % checkEvery === 0 || i === iterations - 1) {
      if (!(await storedEqualsRoom(room))) fail(`after message ${i}: the room and the store differ`);
      await room.roundTrip();
      const current = room.server.app.rooms.peek(room.key);
      await waitFor(
        () => equalBytes(Y.encodeStateVector(room.alice.doc), Y.encodeStateVector(current?.doc ?? new Y.Doc())),
        `after message ${i}: alice has everything the room accepted`,
        30_000,
      );
      const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
      process.stdout.write(`fuzz: ${i + 1}/${iterations} messages, ${accepted} kept the socket open, rss ${rss} MiB\n`);
    }
  }
  socket.ws.terminate();
  room.close();
  for (const server of servers) await server.close();
  const summary = [...codes].map(([code, count]) => `${code}×${count}`).join(', ');
  process.stdout.write(
    `fuzz: passed, seed ${seed}, ${iterations} messages in ${Math.round((Date.now() - started) / 1000)} s; ` +
      `closes ${summary}; rss grew ${Math.round((process.memoryUsage().rss - rssStart) / 1024 / 1024)} MiB\n`,
  );
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
