/**
 * Burst: one writer sends `edits` single-character edits (one Yjs transaction, so one update
 * message, each) as fast as it can; one reader. Timed from the first send until the reader holds
 * every edit and, on Sourcedesk (whose writer asks for saved-acknowledgements), until every edit is
 * acknowledged as stored (fsynced).
 *
 * On the raw relay the writer sends the very same y-websocket update messages (made by the same
 * Yjs document) and the reader decodes and applies each one to its own document, so the load
 * generator does the same work against every server and the relay row is the floor of the server's
 * part alone.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import type { ServerOptions } from '../../server/config.ts';
import { MessageType, SyncMessageType } from '../../shared/protocol.ts';
import { connectDoc, connectRelay, type DocClient, type RelayClient } from '../lib/clients.ts';
import { loopMonitor, loopStats } from '../lib/loop.ts';
import { type LoopStats, SERVER_LABELS, type ServerKind } from '../lib/protocol.ts';
import { makeNewsroom } from '../lib/rooms.ts';
import { ServerProcess } from '../lib/serverProcess.ts';

const TEXT = 'burst';
/** The writer yields to its event loop after this many edits (so its socket drains), as in the replay. */
const YIELD_EVERY = 500;

/**
 * As in the replay: Sourcedesk's per-socket message limit (200/s, burst 2,000) would close a socket
 * that sends 50,000 messages at once (4429); it is lifted for this row to measure the pipeline.
 */
const BURST_OPTIONS = {
  sourcedesk: { messagesPerSecond: 1_000_000_000, messageBurst: 1_000_000_000 } satisfies Partial<ServerOptions>,
};

export interface BurstResult {
  kind: ServerKind;
  edits: number;
  /** First send → the writer has handed every edit to its socket. */
  sentMs: number;
  /** First send → the reader holds every edit. */
  deliveredMs: number;
  /** First send → every edit acknowledged as stored (Sourcedesk; null elsewhere). */
  storedMs: number | null;
  /** First send → absorbed: delivered and, where the server stores, stored. */
  absorbedMs: number;
  /** Reader's text equals the writer's (and, on Sourcedesk, the stored document's). */
  converged: boolean;
  serverCpuSeconds: number;
  peakRssBytes: number;
  generatorCpuSeconds: number;
  generatorLoop: LoopStats;
  loadAverage: [start: number, end: number];
}

function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const poll = () => {
      if (check()) resolve(performance.now());
      else if (performance.now() - started > timeoutMs) reject(new Error(`timed out: ${what}`));
      else setTimeout(poll, 1);
    };
    poll();
  });
}

/** A reader document; `delivered` resolves with `performance.now()` once its text has `edits` characters. */
function readerDoc(edits: number): { doc: Y.Doc; delivered: Promise<number> } {
  const doc = new Y.Doc({ gc: false });
  const text = doc.getText(TEXT);
  const delivered = new Promise<number>((resolve) => {
    const check = () => {
      if (text.length < edits) return;
      doc.off('update', check);
      resolve(performance.now());
    };
    doc.on('update', check);
  });
  return { doc, delivered };
}

function updateMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, SyncMessageType.update);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

export async function burst(kind: ServerKind, edits: number, timeoutMs = 300_000): Promise<BurstResult> {
  const server = await ServerProcess.start(kind, undefined, BURST_OPTIONS);
  server.label = `burst ${edits} ${SERVER_LABELS[kind]}`;
  const closers: (() => void)[] = [];
  try {
    const newsroom = await makeNewsroom(server, 'burst', 1, 2);
    const room = newsroom.rooms[0];
    if (room === undefined) throw new Error('no room');
    const writerDoc = new Y.Doc({ gc: false });
    closers.push(() => writerDoc.destroy());
    const reader = readerDoc(edits);
    closers.push(() => reader.doc.destroy());
    const acks = kind === 'sourcedesk';
    let writer: DocClient | null = null;
    if (kind === 'relay') {
      const readerSocket: RelayClient = connectRelay(server.target, room, (bytes) => {
        const decoder = decoding.createDecoder(bytes);
        if (decoding.readVarUint(decoder) !== MessageType.sync) return;
        decoding.readVarUint(decoder);
        Y.applyUpdate(reader.doc, decoding.readVarUint8Array(decoder), 'relay');
      });
      closers.push(() => readerSocket.destroy());
      const writerSocket = connectRelay(server.target, room, () => undefined);
      closers.push(() => writerSocket.destroy());
      await Promise.all([readerSocket.opened, writerSocket.opened]);
      writerDoc.on('update', (update: Uint8Array) => writerSocket.send(updateMessage(update)));
    } else {
      writer = connectDoc(server.target, room, writerDoc, { acks, token: newsroom.tokens[0]?.[0] });
      const writerClient = writer;
      closers.push(() => writerClient.destroy());
      const readerClient = connectDoc(server.target, room, reader.doc, { token: newsroom.tokens[0]?.[1] });
      closers.push(() => readerClient.destroy());
      await Promise.all([writerClient.synced, readerClient.synced]);
    }

    const loadAtStart = loadavg()[0] ?? 0;
    const loop = loopMonitor();
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const serverBefore = server.stats();
    server.markStart();
    const text = writerDoc.getText(TEXT);
    const timeout = new Promise<never>((_resolve, reject) =>
      setTimeout(
        () => reject(new Error(`the reader did not get ${edits} edits in ${timeoutMs} ms`)),
        timeoutMs,
      ).unref(),
    );
    const started = performance.now();
    for (let index = 0; index < edits; index++) {
      // One character, at the end of the text: one transaction, one update message.
      writerDoc.transact(() => text.insert(index, String.fromCharCode(97 + (index % 26))));
      if ((index + 1) % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const sentMs = performance.now() - started;
    const deliveredAt = await Promise.race([reader.delivered, timeout]);
    let storedMs: number | null = null;
    if (writer !== null && acks) {
      const writerClient = writer;
      const storedAt = await Promise.race([
        waitUntil(() => writerClient.acks() >= edits, timeoutMs, 'saved-acknowledgements'),
        timeout,
      ]);
      storedMs = storedAt - started;
    }
    const deliveredMs = deliveredAt - started;
    server.markEnd();
    const serverAfter = server.stats();
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    const loadAtEnd = loadavg()[0] ?? 0;

    const written = text.toString();
    let converged = reader.doc.getText(TEXT).toString() === written;
    if (kind === 'sourcedesk') {
      const stats = await server.docStats(room, TEXT);
      converged &&= stats.storedText === written;
    }
    return {
      kind,
      edits,
      sentMs,
      deliveredMs,
      storedMs,
      absorbedMs: Math.max(deliveredMs, storedMs ?? 0),
      converged,
      serverCpuSeconds: serverAfter.cpuSeconds - serverBefore.cpuSeconds,
      peakRssBytes: serverAfter.peakRssBytes,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      generatorLoop: loopStats(loop),
      loadAverage: [loadAtStart, loadAtEnd],
    };
  } finally {
    // Also on failure: a provider left behind would keep reconnecting to a stopped server.
    for (const close of closers.reverse()) close();
    await server.stop();
  }
}
