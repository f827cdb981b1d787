/**
 * Resource limits of a collaboration socket: message floods, too many sockets for one account,
 * sockets that never say anything, readers that stop reading, and the limits as configuration
 * (`buildServer` options and `sourcedesk serve`'s environment). Each test checks the exact close
 * code and reason, that the document is untouched, and that the honest clients' round trip through
 * the same room still completes while the limit is being hit.
 */
import { rmSync } from 'node:fs';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  DEFAULT_LIMITS,
  ECHO_BUDGET_FACTOR,
  isPresenceEcho,
  limitsFromEnv,
  TokenBucket,
} from '../server/collab/limits.ts';
import { resolveConfig } from '../server/config.ts';
import { CloseCode, CloseReason, MessageType, SyncMessageType } from '../shared/protocol.ts';
import { equalBytes, openAttackedRoom } from './helpers/attackedRoom.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { openRaw, type RawClient, syncMessage, updateMessage } from './helpers/hostileClient.ts';
import { freePort, runCli, startServerProcess } from './helpers/serverProcess.ts';
import { api, createStory, login, makeDataDir, type TestServer } from './helpers/testServer.ts';

const servers: TestServer[] = [];
const sockets: RawClient[] = [];
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.ws.terminate();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const server of servers.splice(0)) await server.close();
});

function track(socket: RawClient): RawClient {
  sockets.push(socket);
  return socket;
}

const step1 = (doc: Y.Doc = new Y.Doc()) => syncMessage(SyncMessageType.step1, Y.encodeStateVector(doc));
/** An update with nothing in it: the smallest valid message that reaches the room. */
const EMPTY_UPDATE = updateMessage(new Uint8Array([0, 0]));

describe('message rate', () => {
  it('a flood of tiny messages is cut off with 4429 while the honest clients carry on', async () => {
    const room = await openAttackedRoom(servers);
    cleanups.push(() => room.close());
    await room.roundTrip();
    const before = await room.state();
    const socket = track(await room.attack());
    // Far more than the burst, in one go.
    for (let i = 0; i < DEFAULT_LIMITS.messageBurst * 5; i++) socket.ws.send(EMPTY_UPDATE);
    const [closed] = await Promise.all([socket.closed, room.roundTrip()]);
    expect(closed).toEqual({ code: CloseCode.rateLimited, reason: CloseReason.rateLimited });
    const after = await room.state();
    expect(equalBytes(after.update, before.update)).toBe(true);
    expect(after.logLength).toBe(before.logLength);
    await room.roundTrip();
  });

  it('a flood of presence updates (each fanned out to everyone) is cut off the same way', async () => {
    const room = await openAttackedRoom(servers, { messagesPerSecond: 50, messageBurst: 200 });
    cleanups.push(() => room.close());
    const honestCloses: number[] = [];
    for (const client of [room.alice, room.bob]) {
      client.provider.on('connection-close', (event) => honestCloses.push(event?.code ?? 0));
    }
    const socket = track(await room.attack());
    for (let clock = 1; clock <= 2000; clock++) {
      socket.ws.send(
        encoding.encode((encoder) => {
          encoding.writeVarUint(encoder, MessageType.awareness);
          encoding.writeVarUint8Array(
            encoder,
            encoding.encode((inner) => {
              encoding.writeVarUint(inner, 1);
              encoding.writeVarUint(inner, 777);
              encoding.writeVarUint(inner, clock);
              encoding.writeVarString(inner, JSON.stringify({ cursor: clock }));
            }),
          );
        }),
      );
    }
    const [closed] = await Promise.all([socket.closed, room.roundTrip()]);
    expect(closed).toEqual({ code: CloseCode.rateLimited, reason: CloseReason.rateLimited });
    // Mallory's presence left with her socket.
    await waitFor(() => !room.bob.provider.awareness.getStates().has(777), 'no ghost presence');
    // The stock providers echoed every presence update the server fanned out to them (as they
    // always do); echoes have a budget of their own, so the honest sockets were never cut off.
    await room.roundTrip();
    expect(room.server.app.rooms.peek(room.key)?.connectionCount).toBe(2);
    expect(honestCloses).toEqual([]);
  });

  it('fake presence echoes (states the room already has) have a budget too', async () => {
    const room = await openAttackedRoom(servers, { messagesPerSecond: 50, messageBurst: 200 });
    cleanups.push(() => room.close());
    await room.roundTrip();
    const aliceId = room.alice.doc.clientID;
    const live = room.server.app.rooms.peek(room.key);
    const clock = live?.awareness.meta.get(aliceId)?.clock ?? 0;
    const echo = encoding.encode((encoder) => {
      encoding.writeVarUint(encoder, MessageType.awareness);
      encoding.writeVarUint8Array(
        encoder,
        encoding.encode((inner) => {
          encoding.writeVarUint(inner, 1);
          encoding.writeVarUint(inner, aliceId);
          encoding.writeVarUint(inner, clock);
          encoding.writeVarString(inner, JSON.stringify({ probe: 'forged' }));
        }),
      );
    });
    const socket = track(await room.attack());
    socket.ws.send(step1());
    await waitFor(() => socket.received.length > 0, 'mallory joined');
    expect(live !== undefined && isPresenceEcho(echo, live.awareness)).toBe(true);
    for (let i = 0; i < 200 * ECHO_BUDGET_FACTOR * 3; i++) socket.ws.send(echo);
    const [closed] = await Promise.all([socket.closed, room.roundTrip()]);
    expect(closed).toEqual({ code: CloseCode.rateLimited, reason: CloseReason.rateLimited });
    // An echo changes nothing: alice's presence is hers.
    expect(room.bob.provider.awareness.getStates().get(aliceId)).not.toMatchObject({ probe: 'forged' });
  });

  it('the token bucket lets a burst through, then the sustained rate, and refills with time', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(Array.from({ length: 5 }, () => bucket.take(0))).toEqual([true, true, true, true, true]);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(100)).toBe(true); // 0.1 s at 10/s: one token
    expect(bucket.take(100)).toBe(false);
    expect(bucket.take(10_000)).toBe(true); // refilled, never beyond the burst
    expect(Array.from({ length: 5 }, () => bucket.take(10_000)).filter(Boolean)).toHaveLength(4);
  });

  it('the default budget is never reached by a person typing fast with presence, or by a reconnect', () => {
    const bucket = new TokenBucket(DEFAULT_LIMITS.messagesPerSecond, DEFAULT_LIMITS.messageBurst, 0);
    let now = 0;
    // Ten minutes at 15 keystrokes a second, each an update and a presence change, with a
    // reconnect (sync step 1, step 2, presence, queued updates) every minute.
    for (let second = 0; second < 600; second++) {
      if (second % 60 === 0) for (let i = 0; i < 4; i++) expect(bucket.take(now)).toBe(true);
      for (let key = 0; key < 15; key++) {
        now += 1000 / 15;
        expect(bucket.take(now)).toBe(true);
        expect(bucket.take(now)).toBe(true);
      }
    }
    // A paste of a whole article is one message.
    expect(bucket.take(now)).toBe(true);
  });
});

describe('sockets per account', () => {
  it('refuses an account its socket beyond the limit with 4409, and counts a closed one out', async () => {
    const room = await openAttackedRoom(servers, { maxSocketsPerUser: 3 });
    cleanups.push(() => room.close());
    const open: RawClient[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = track(await room.attack());
      socket.ws.send(step1());
      open.push(socket);
    }
    await waitFor(() => open.every((socket) => socket.received.length > 0), 'three sockets joined');
    const fourth = track(await room.attack());
    expect(await fourth.closed).toEqual({ code: CloseCode.tooManySockets, reason: CloseReason.tooManySockets });
    // Other people are not affected.
    await room.roundTrip();
    // One of mallory's closes: she may open another.
    const first = open[0] as RawClient;
    first.ws.close();
    await first.closed;
    await waitFor(() => room.server.app.rooms.peek(room.key)?.connectionCount === 4, 'closed socket left the room');
    const again = track(await room.attack());
    again.ws.send(step1());
    await waitFor(() => again.received.length > 0, 'the new socket joined');
    expect(again.isClosed()).toBe(false);
  });
});

describe('handshake time', () => {
  it('closes a socket that sends nothing with 4408; one that speaks stays', async () => {
    const room = await openAttackedRoom(servers, { handshakeTimeoutMs: 400 });
    cleanups.push(() => room.close());
    // Opened first, so its deadline passes first.
    const speaking = track(await room.attack());
    speaking.ws.send(step1());
    const silent = track(await room.attack());
    expect(await silent.closed).toEqual({ code: CloseCode.handshakeTimeout, reason: CloseReason.handshakeTimeout });
    expect(speaking.isClosed()).toBe(false);
    expect(speaking.received.length).toBeGreaterThan(0);
    // A stock provider, which speaks at once, is unaffected.
    await room.roundTrip();
    const late: CollabClient = connectClient(room.server.collabUrl, room.storyId, 'body', {
      token: room.malloryToken,
    });
    cleanups.push(() => late.destroy());
    await late.synced;
    expect(late.provider.wsconnected).toBe(true);
  });
});

describe('slow readers', () => {
  it('cuts off a client that stops reading with 4509 before its send buffer grows past the limit', async () => {
    const maxBufferedBytes = 256 * 1024;
    const room = await openAttackedRoom(servers, { maxBufferedBytes });
    cleanups.push(() => room.close());
    const reader = track(await room.attack());
    reader.ws.send(step1());
    await waitFor(() => reader.received.length >= 2, 'the reader is synced');
    // The reader stops reading: the server's writes to it back up.
    const tcp = (reader.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const live = room.server.app.rooms.peek(room.key);
    const paragraph = room.alice.doc.getXmlFragment('body').get(0) as Y.XmlElement;
    const chunk = 'Council minutes, page after page. '.repeat(3000); // ~100 KB per update
    let largest = 0;
    for (let i = 0; i < 200 && live?.connectionCount === 3; i++) {
      paragraph.insert(paragraph.length, [new Y.XmlText(`${i}: ${chunk}`)]);
      await waitFor(
        () => equalBytes(Y.encodeStateVector(room.bob.doc), Y.encodeStateVector(room.alice.doc)),
        'bob keeps up',
        30_000,
      );
      for (const client of room.server.app.websocketServer.clients) largest = Math.max(largest, client.bufferedAmount);
    }
    expect(live?.connectionCount).toBe(2);
    // Never more than the limit plus the message that found it full (plus framing).
    expect(largest).toBeLessThanOrEqual(maxBufferedBytes + 2 * chunk.length);
    tcp.resume();
    expect(await reader.closed).toEqual({ code: CloseCode.slowReader, reason: CloseReason.slowReader });
    await room.roundTrip();
  });
});

describe('limits are configuration', () => {
  it('resolves the defaults, and options override them', () => {
    const defaults = resolveConfig({});
    for (const [key, value] of Object.entries(DEFAULT_LIMITS)) {
      expect(defaults[key as keyof typeof DEFAULT_LIMITS]).toBe(value);
    }
    expect(resolveConfig({ messagesPerSecond: 5, maxBufferedBytes: 1024 })).toMatchObject({
      messagesPerSecond: 5,
      maxBufferedBytes: 1024,
      messageBurst: DEFAULT_LIMITS.messageBurst,
    });
  });

  it('reads the environment of `sourcedesk serve`, refusing anything but positive integers', () => {
    expect(limitsFromEnv({ MAX_UPDATE_BYTES: '1000', MESSAGES_PER_SECOND: ' 5 ', OTHER: 'x' })).toEqual({
      maxUpdateBytes: 1000,
      messagesPerSecond: 5,
    });
    expect(() => limitsFromEnv({ MAX_SOCKETS_PER_USER: '0' })).toThrow(/MAX_SOCKETS_PER_USER/);
    expect(() => limitsFromEnv({ HANDSHAKE_TIMEOUT_MS: '2s' })).toThrow(/HANDSHAKE_TIMEOUT_MS/);
  });

  it('`sourcedesk serve` applies MAX_SOCKETS_PER_USER from its environment', async () => {
    const dataDir = makeDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    expect((await runCli(['user', 'add', 'writer', '--password', 'writer-password-1'], dataDir)).code).toBe(0);
    const server = await startServerProcess(dataDir, await freePort(), { MAX_SOCKETS_PER_USER: '1' });
    cleanups.push(() => {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    });
    const cookie = await login(server.url, 'writer', 'writer-password-1');
    const story = await createStory(server.url, cookie, 'Limits');
    const { body } = await api<{ token: string }>(server.url, 'POST', '/api/tokens', { cookie }, { name: 't' });
    const first = track(await openRaw(server.collabUrl, `${story.id}/body`, body.token));
    first.ws.send(step1());
    await waitFor(() => first.received.length > 0, 'first socket joined');
    const second = track(await openRaw(server.collabUrl, `${story.id}/body`, body.token));
    expect(await second.closed).toEqual({ code: CloseCode.tooManySockets, reason: CloseReason.tooManySockets });
    expect(first.isClosed()).toBe(false);
    // A bad value stops the server with a message naming the variable.
    const refused = await startServerProcess(dataDir, await freePort(), { MESSAGE_BURST: 'lots' }).catch(
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/MESSAGE_BURST must be a positive integer/);
  });
});
