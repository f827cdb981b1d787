/**
 * The convergence fuzz (issue #9): real WebsocketProvider clients, through the real server, driven
 * by a seeded PRNG. A story gets reporters (who edit the body the way y-prosemirror writes it),
 * fact-checkers (claims, sources, verdicts in the notes room, as a stock client may), an editor
 * (everything, and deleting claims); each person-tab holds a body and a notes client, with the
 * real editor's saved-state tracker (`?ack=1`). For `steps` steps the PRNG picks: typing,
 * deleting (also across paragraphs), formatting, splitting and joining paragraphs, hard breaks,
 * headings, the headline; claims anchored to random ranges (notes room or HTTP API), sources,
 * statuses, notes, deleting claims; clean disconnects, abrupt network cuts and outages (each tab
 * reaches the server through its own TCP relay), reconnects; server restarts on the same data
 * dir; pauses and event-loop turns so that messages really cross.
 *
 * Checked during the run: no honest client is ever refused (close codes other than going away or
 * a dropped network, permission denials); whenever a tab's tracker says "saved", the store holds
 * every change that tab made. Checked at the end, once everyone is back and the server is quiet:
 * every copy of the body and of the notes equals every other (state vector, delete set, content),
 * the live room and the store; the body equals what Yjs alone makes of all the clients' copies
 * (nothing anyone typed is missing); the notes hold at least that (the server adds its own
 * re-check fields); and after a clean shutdown the store, read by a fresh server, holds the same.
 *
 * The PRNG fixes the sequence of actions (each step draws the same numbers whatever happened), so
 * a seed replays the same run; the network's timing still varies, so a replay re-runs the same
 * script, not the exact same interleaving. Every failure names the seed and how to replay it.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import * as authProtocol from 'y-protocols/auth';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { SaveTracker } from '../../client/src/collab/saveStatus.ts';
import { Room } from '../../server/collab/Room.ts';
import { anchorRange, flattenBody } from '../../shared/anchors.ts';
import type { Role } from '../../shared/api.ts';
import {
  appendThreadMessage,
  type ClaimRecord,
  deleteClaim,
  readClaims,
  readSources,
  SETTABLE_CLAIM_STATUSES,
  type SettableClaimStatus,
  SOURCE_KINDS,
  updateClaim,
  writeClaim,
  writeSource,
} from '../../shared/claims.ts';
import { gcEnabledFor, roomName, type StoryPart, YName } from '../../shared/documentLayout.ts';
import { metaText } from '../../shared/metaText.ts';
import { canDeleteClaim, canEditBody, canSetClaimStatus } from '../../shared/permissions.ts';
import { MessageType } from '../../shared/protocol.ts';
import { prng } from './prng.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './testServer.ts';

export interface ConvergenceFuzzOptions {
  seed: number;
  steps: number;
  /** Person-tabs, each with a body and a notes client; at least 4 (two reporters, a fact-checker, an editor). */
  clients?: number;
  /** A running server to use (never restarted, left running); by default the run starts its own. */
  server?: TestServer;
  /** Restart the server on its data dir now and then (only a server the run started). Default true. */
  restarts?: boolean;
  /**
   * Let clients reach the server while it shuts down for a restart. Default false, because of an
   * open bug outside the collaboration core: a WebSocket upgrade that arrives while the app's
   * `preClose` hooks run (rooms compacting) is answered 503 on a socket nobody ends, and
   * `app.close()` then never finishes (see the known-bug test in `convergenceFuzz.test.ts`). By
   * default the relays go offline for the restart, as for an instance taken out of a load balancer.
   */
  reconnectDuringRestart?: boolean;
  /**
   * Fail the run when a restart's `app.close()` hangs (that known bug, hit by an upgrade request
   * already in flight when the close begins). Default false: the hang is counted and reported
   * (`closeHangs`), the stuck connections are cut, and the run goes on.
   */
  strictShutdown?: boolean;
  /** Longest pause the PRNG may pick between steps, in ms. Default 30. */
  maxPauseMs?: number;
  /** At most this many steps per second, so every socket stays under the server's message rate. */
  maxStepsPerSecond?: number;
  /** How long the end waits for everyone to agree, in ms. Default 60 s. */
  settleTimeoutMs?: number;
  /** A step (or the setup, or the clean-up) that makes no progress this long fails the run. Default 60 s. */
  stepTimeoutMs?: number;
  /** Progress lines: setup, every `progressEvery` steps, the end. */
  log?: (line: string) => void;
  progressEvery?: number;
}

export interface ConvergenceFuzzResult {
  seed: number;
  steps: number;
  clients: number;
  /** How often each action ran (`skip:<action>` when it had nothing to act on). */
  counts: Record<string, number>;
  restarts: number;
  /** "saved" states checked against the store during the run. */
  savedChecks: number;
  /** Restarts whose `app.close()` hung (the known shutdown bug) until its stuck connections were cut. */
  closeHangs: number;
  /** Formatting marks the final body deleted beyond the union of all copies (Yjs's own cleanup). */
  formatMarksCleanedUp: number;
  paragraphs: number;
  characters: number;
  claims: number;
  sources: number;
}

/** A failure of the fuzz: names the seed and how to replay it. */
export class ConvergenceFuzzFailure extends Error {
  constructor(
    readonly seed: number,
    message: string,
  ) {
    super(message);
    this.name = 'ConvergenceFuzzFailure';
  }
}

/** How to replay a run. */
export function replayHint(seed: number, steps: number, clients: number): string {
  return (
    `replay: FUZZ_SEED=${seed} FUZZ_STEPS=${steps} FUZZ_CLIENTS=${clients} npm run fuzz` +
    ` (or FUZZ_SEED=${seed} FUZZ_STEPS=${steps} FUZZ_CLIENTS=${clients} npx vitest run test/convergenceFuzz.test.ts --project sqlite)`
  );
}

/** Close codes an honest client may see: the server going away (restart) and a dropped network. */
const HARMLESS_CLOSES = new Set([1000, 1001, 1005, 1006]);
/** Roles of the person-tabs, in order; extra tabs cycle through the list. */
const ROLE_CYCLE: Role[] = ['reporter', 'reporter', 'fact-checker', 'editor', 'reporter', 'fact-checker'];
/** Fixed number of PRNG draws per step, so that the script does not depend on timing. */
const DRAWS = 10;
const VERDICTS: SettableClaimStatus[] = ['verified', 'disputed', 'false'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A TCP relay between one tab and the server: lets the fuzz cut that tab's connections abruptly
 * (no close frame, as a dropped network does), keep it offline while its provider retries, and
 * point every tab at a restarted server (which listens on a new port).
 */
class Link {
  private readonly sockets = new Set<Socket>();
  online = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    public target: number,
  ) {
    server.on('connection', (client) => this.accept(client));
  }

  static async open(target: number): Promise<Link> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('relay has no TCP address');
    return new Link(server, address.port, target);
  }

  private accept(client: Socket): void {
    if (!this.online) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(this.target, '127.0.0.1');
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const both = [client, upstream];
    for (const socket of both) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        for (const other of both) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Drops every connection at once, without close frames. */
  cut(): void {
    for (const socket of [...this.sockets]) socket.destroy();
  }

  setOnline(online: boolean): void {
    this.online = online;
    if (!online) this.cut();
  }

  async close(): Promise<void> {
    this.online = false;
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Tab {
  part: StoryPart;
  doc: Y.Doc;
  provider: WebsocketProvider;
  tracker: SaveTracker;
}

interface Person {
  index: number;
  name: string;
  role: Role;
  userId: string;
  token: string;
  cookie: string;
  link: Link;
  body: Tab;
  notes: Tab;
  /** Tokens typed so far (unique words). */
  typed: number;
}

type ActionName =
  | 'type'
  | 'delete'
  | 'deleteAcross'
  | 'format'
  | 'formatTogether'
  | 'split'
  | 'join'
  | 'hardBreak'
  | 'heading'
  | 'newParagraph'
  | 'deleteParagraph'
  | 'headline'
  | 'claim'
  | 'claimApi'
  | 'source'
  | 'sourceApi'
  | 'status'
  | 'statusApi'
  | 'note'
  | 'deleteClaim'
  | 'disconnect'
  | 'reconnect'
  | 'cut'
  | 'networkDown'
  | 'networkUp'
  | 'restart'
  | 'checkSaved'
  | 'pause'
  | 'turn';

const WEIGHTS: [ActionName, number][] = [
  ['type', 24],
  ['delete', 8],
  ['deleteAcross', 2],
  ['format', 5],
  ['formatTogether', 1.5],
  ['split', 4],
  ['join', 3],
  ['hardBreak', 1],
  ['heading', 1],
  ['newParagraph', 2],
  ['deleteParagraph', 1],
  ['headline', 2],
  ['claim', 5],
  ['claimApi', 2],
  ['source', 3],
  ['sourceApi', 1],
  ['status', 4],
  ['statusApi', 2],
  ['note', 2],
  ['deleteClaim', 1],
  ['disconnect', 2.5],
  ['reconnect', 4],
  ['cut', 1.5],
  ['networkDown', 1],
  ['networkUp', 2],
  ['restart', 0.25],
  ['checkSaved', 2],
  ['pause', 5],
  ['turn', 6],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
/** What people do while the server is down (nothing that needs the HTTP API). */
const OFFLINE_ACTIONS: ActionName[] = [
  'formatTogether',
  'type',
  'type',
  'type',
  'delete',
  'format',
  'split',
  'join',
  'claim',
  'status',
  'note',
  'source',
];

function pickAction(x: number): ActionName {
  let left = x * TOTAL_WEIGHT;
  for (const [name, weight] of WEIGHTS) {
    if (left < weight) return name;
    left -= weight;
  }
  return 'turn';
}

function pick<T>(items: readonly T[], x: number): T | undefined {
  return items[Math.min(items.length - 1, Math.floor(x * items.length))];
}

/** The story's textblocks (the fuzz writes only paragraphs and headings at the top level). */
function blocks(doc: Y.Doc): Y.XmlElement[] {
  return doc
    .getXmlFragment(YName.body)
    .toArray()
    .filter((node): node is Y.XmlElement => node instanceof Y.XmlElement);
}

function textsOf(block: Y.XmlElement): Y.XmlText[] {
  return block.toArray().filter((node): node is Y.XmlText => node instanceof Y.XmlText);
}

type DeltaOp = { insert?: unknown; attributes?: Record<string, unknown> };

/** The text ops of `text` from `from` on (XmlText deltas here hold only strings). */
function deltaFrom(text: Y.XmlText, from: number): { insert: string; attributes?: Record<string, unknown> }[] {
  const out: { insert: string; attributes?: Record<string, unknown> }[] = [];
  let at = 0;
  for (const op of text.toDelta() as DeltaOp[]) {
    if (typeof op.insert !== 'string') continue;
    const end = at + op.insert.length;
    if (end > from) {
      const insert = op.insert.slice(Math.max(0, from - at));
      out.push(op.attributes === undefined ? { insert } : { insert, attributes: op.attributes });
    }
    at = end;
  }
  return out;
}

/** Appends ops at the end of `text` with exactly their formatting (as y-prosemirror writes it). */
function appendOps(text: Y.XmlText, ops: { insert: string; attributes?: Record<string, unknown> }[]): void {
  for (const op of ops) text.insert(text.length, op.insert, op.attributes ?? {});
}

/** Copies a block's inline content to the end of `target` (text merged into its last text node). */
function copyInline(source: Y.XmlElement, target: Y.XmlElement): void {
  for (const child of source.toArray()) {
    if (child instanceof Y.XmlText) {
      const ops = deltaFrom(child, 0);
      if (ops.length === 0) continue;
      const last = target.length > 0 ? target.get(target.length - 1) : null;
      if (last instanceof Y.XmlText) appendOps(last, ops);
      else {
        const fresh = new Y.XmlText();
        target.insert(target.length, [fresh]);
        appendOps(fresh, ops);
      }
    } else if (child instanceof Y.XmlElement) {
      target.insert(target.length, [new Y.XmlElement(child.nodeName)]);
    }
  }
}

function newBlock(nodeName: string, level: unknown): Y.XmlElement {
  const element = new Y.XmlElement(nodeName);
  // y-prosemirror writes a node's attributes as they are (a heading's level is a number).
  if (nodeName === 'heading') (element as Y.XmlElement<{ level: number }>).setAttribute('level', Number(level ?? 2));
  return element;
}

/** Sorted-key JSON, so that maps filled in different orders compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

function bodyContent(doc: Y.Doc): string {
  return `${doc.getXmlFragment(YName.body).toString()}\nmeta:${canonical(doc.getMap(YName.meta).toJSON())}`;
}

function notesContent(doc: Y.Doc): string {
  return canonical({
    claims: doc.getMap(YName.claims).toJSON(),
    sources: doc.getMap(YName.sources).toJSON(),
    threads: doc.getMap(YName.threads).toJSON(),
  });
}

function contentOf(doc: Y.Doc, part: StoryPart): string {
  return part === 'body' ? bodyContent(doc) : notesContent(doc);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function stateVectorText(doc: Y.Doc): string {
  return [...Y.decodeStateVector(Y.encodeStateVector(doc)).entries()]
    .sort(([a], [b]) => a - b)
    .map(([client, clock]) => `${client}:${clock}`)
    .join(' ');
}

/** Where two strings first differ, with a little context (for failure messages). */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return `at ${i}: …${JSON.stringify(a.slice(Math.max(0, i - 40), i + 60))}… vs …${JSON.stringify(b.slice(Math.max(0, i - 40), i + 60))}…`;
}

/**
 * What Yjs alone makes of these copies (no server, no network): their union, in one local
 * transaction, so that Yjs adds nothing of its own (no formatting cleanup).
 */
function mergedAlone(docs: Y.Doc[], gc: boolean): Y.Doc {
  const merged = new Y.Doc({ gc });
  Y.transact(merged, () => {
    for (const doc of docs) Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc));
  });
  return merged;
}

/**
 * The deletions `doc` holds beyond `expected`'s, as "client:clock" of each item and whether all of
 * them are formatting marks (which Yjs deletes by itself when they became redundant); `missing` are
 * deletions of `expected` that `doc` lacks.
 */
function compareDeletions(
  doc: Y.Doc,
  expected: Y.Doc,
): { missing: string[]; extra: string[]; extraAllFormat: boolean } {
  const have = Y.createDeleteSetFromStructStore(doc.store);
  const want = Y.createDeleteSetFromStructStore(expected.store);
  const missing: string[] = [];
  for (const [client, ranges] of want.clients) {
    for (const range of ranges) {
      for (let clock = range.clock; clock < range.clock + range.len; clock++) {
        if (!Y.isDeleted(have, Y.createID(client, clock))) missing.push(`${client}:${clock}`);
      }
    }
  }
  const extra: string[] = [];
  let extraAllFormat = true;
  Y.transact(doc, (transaction) => {
    Y.iterateDeletedStructs(transaction, have, (struct) => {
      if (Y.isDeleted(want, struct.id)) return;
      extra.push(`${struct.id.client}:${struct.id.clock}`);
      if (!(struct instanceof Y.Item && struct.content instanceof Y.ContentFormat)) extraAllFormat = false;
    });
  });
  return { missing, extra, extraAllFormat };
}

export async function runConvergenceFuzz(options: ConvergenceFuzzOptions): Promise<ConvergenceFuzzResult> {
  const { seed, steps } = options;
  const clientCount = Math.max(4, options.clients ?? 4);
  const maxPauseMs = options.maxPauseMs ?? 30;
  const maxStepsPerSecond = options.maxStepsPerSecond ?? 400;
  const settleTimeoutMs = options.settleTimeoutMs ?? 60_000;
  const stepTimeoutMs = options.stepTimeoutMs ?? 60_000;
  const progressEvery = options.progressEvery ?? Math.max(100, Math.floor(steps / 10));
  const log = options.log ?? (() => undefined);
  const random = prng(seed);
  const owned = options.server === undefined;
  const restartsAllowed = owned && (options.restarts ?? true);
  const reconnectDuringRestart = options.reconnectDuringRestart ?? false;
  const strictShutdown = options.strictShutdown ?? false;
  // Compact often, so that edits land on stories compacted meanwhile; rooms unload soon after the
  // last client leaves, so that an outage of everyone reloads them from the store.
  const serverOptions = { compactAfterUpdates: 60, unloadGraceMs: 100 };
  /** The server side of every connection to the current server (to cut them if a close hangs). */
  let serverSockets = new Set<Socket>();
  const startServer = async (dataDir?: string): Promise<TestServer> => {
    const fresh = await startTestServer(dataDir === undefined ? serverOptions : { ...serverOptions, dataDir });
    const sockets = new Set<Socket>();
    fresh.app.server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    serverSockets = sockets;
    return fresh;
  };
  let server: TestServer = options.server ?? (await startServer());
  const started = Date.now();

  const trace: string[] = [];
  const note = (line: string) => {
    trace.push(line);
    if (trace.length > 60) trace.shift();
  };
  /** Problems seen by event handlers (refusals, unexpected closes); checked after every step. */
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  const count = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  /** API calls in flight, with what they are (a hang names them). */
  const pendingCalls = new Map<Promise<void>, string>();
  const people: Person[] = [];
  const links: Link[] = [];
  let restarts = 0;
  let closeHangs = 0;
  /** While the server is down for a restart: nobody calls the HTTP API. */
  let serverDown = false;
  let savedChecks = 0;
  let step = 0;
  let storyId = '';
  let ids = 0;
  const seedTag = seed
    .toString(36)
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 12);
  const newId = (kind: string) => `${kind}${seedTag}x${String(++ids).padStart(6, '0')}`;

  const fail = (message: string): never => {
    throw new ConvergenceFuzzFailure(
      seed,
      `convergence fuzz failed (seed ${seed}, step ${step}/${steps}, ${clientCount} clients): ${message}\n` +
        `${replayHint(seed, steps, clientCount)}\nlast actions:\n  ${trace.join('\n  ')}`,
    );
  };

  const openTab = (person: Omit<Person, 'body' | 'notes'>, storyId: string, part: StoryPart): Tab => {
    const doc = new Y.Doc({ gc: gcEnabledFor(part) });
    const provider = new WebsocketProvider(`ws://127.0.0.1:${person.link.port}/collab`, roomName(storyId, part), doc, {
      // ws's WebSocket differs in typing from the DOM one the provider is typed against; at run
      // time it is the drop-in replacement the provider documents.
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: person.token, ack: '1' },
      disableBc: true,
    });
    const tracker = new SaveTracker(provider, doc);
    provider.messageHandlers[MessageType.auth] = (_encoder, decoder) => {
      authProtocol.readAuthMessage(decoder, doc, (_doc, reason: string) => {
        problems.push(`${person.name} (${person.role}) ${part}: permission denied: ${reason}`);
      });
    };
    provider.on('connection-close', (event) => {
      if (event && !HARMLESS_CLOSES.has(event.code)) {
        problems.push(
          `${person.name} (${person.role}) ${part}: the server closed the socket ${event.code} ${event.reason}`,
        );
      }
    });
    return { part, doc, provider, tracker };
  };

  const tabs = () => people.flatMap((person) => [person.body, person.notes]);

  const call = (person: Person, method: string, path: string, body: unknown, accepted: number[]) => {
    if (serverDown) throw new Error('the fuzz called the API while the server was down');
    const label = `${person.name} ${method} ${path}`;
    const promise = api(server.url, method, `/api/stories/${storyId}${path}`, { cookie: person.cookie }, body)
      .then((answer) => {
        if (!accepted.includes(answer.status)) {
          problems.push(`${label} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
        }
      })
      .catch((error: unknown) => {
        problems.push(`${label} failed: ${String(error)}`);
      })
      .finally(() => pendingCalls.delete(promise));
    pendingCalls.set(promise, `#${step} ${label}`);
  };

  const closeAll = async (): Promise<void> => {
    for (const tab of tabs()) {
      tab.tracker.destroy();
      tab.provider.destroy();
      tab.doc.destroy();
    }
    people.length = 0;
    for (const link of links.splice(0)) await link.close();
  };

  try {
    // --- Setup: people, the story, their tabs, a first text everyone has. ---
    const run = `${seedTag}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const accounts: { name: string; role: Role; userId: string; token: string; cookie: string }[] = [];
    for (let index = 0; index < clientCount; index++) {
      const role = ROLE_CYCLE[index % ROLE_CYCLE.length] as Role;
      const name = `fz${run}${index}`;
      const account = await server.addUser(name, { name: `${role} ${index}` });
      accounts.push({
        name,
        role,
        userId: account.user.id,
        token: await tokenFor(server.url, account),
        cookie: await login(server.url, name, account.password),
      });
    }
    const editor = accounts.find((account) => account.role === 'editor');
    if (editor === undefined) throw new Error('no editor');
    const story = await createStory(server.url, editor.cookie, `Fuzz ${seed}`);
    storyId = story.id;
    for (const account of accounts) {
      if (account === editor) continue;
      const added = await api(
        server.url,
        'PUT',
        `/api/stories/${storyId}/members/${account.userId}`,
        { cookie: editor.cookie },
        { role: account.role },
      );
      if (added.status >= 300) throw new Error(`adding a member failed: ${added.status}`);
    }

    for (const [index, account] of accounts.entries()) {
      const link = await Link.open(Number(new URL(server.url).port));
      links.push(link);
      const base = { index, ...account, link, typed: 0 };
      const person: Person = {
        ...base,
        body: openTab(base, storyId, 'body'),
        notes: openTab(base, storyId, 'notes'),
      };
      people.push(person);
    }
    await waitUntil(() => tabs().every((tab) => tab.provider.synced), 'every tab synced at the start', 20_000, fail);
    const first = people.find((person) => person.role === 'editor') as Person;
    first.body.doc.transact(() => {
      const fragment = first.body.doc.getXmlFragment(YName.body);
      fragment.insert(
        0,
        [
          'The council approved the harbour budget on Tuesday.',
          'According to the city, the plan costs $4 million. Critics said it was rushed.',
          'Mayor Ruth Okafor said the vote was a turning point.',
        ].map((line) => {
          const paragraph = new Y.XmlElement('paragraph');
          paragraph.insert(0, [new Y.XmlText(line)]);
          return paragraph;
        }),
      );
      metaText(first.body.doc.getMap(YName.meta), 'title').insert(0, 'Harbour budget');
    });
    await waitUntil(
      () => people.every((person) => bodyContent(person.body.doc) === bodyContent(first.body.doc)),
      'everyone has the first text',
      20_000,
      fail,
    );
    log(
      `seed ${seed}: story ${storyId}, ${clientCount} clients (${people.map((person) => person.role).join(', ')}), ${steps} steps`,
    );

    // --- The run. ---
    const windowStart: number[] = [];
    for (step = 1; step <= steps; step++) {
      const r = Array.from({ length: DRAWS }, random);
      const action = pickAction(r[0] as number);
      const done = await within(act(action, r), `step ${step} (${action})`);
      count(done ? action : `skip:${action}`);
      if (problems.length > 0) fail(problems.join('; '));
      const after = r[9] as number;
      if (after < 0.25) await turn();
      else if (after < 0.33) await sleep(Math.floor(((after - 0.25) / 0.08) * 8));
      // Keep every socket under the server's message rate (a steady writer gets a share of the steps).
      windowStart.push(Date.now());
      if (windowStart.length > 50) {
        const oldest = windowStart.shift() as number;
        const least = (50 * 1000) / maxStepsPerSecond;
        const spent = Date.now() - oldest;
        if (spent < least) await sleep(least - spent);
      }
      if (step % progressEvery === 0) {
        const offline = people.filter((person) => !person.link.online || !person.body.provider.shouldConnect).length;
        log(
          `seed ${seed}: step ${step}/${steps}, ${blocks(first.body.doc).length} blocks, ` +
            `${flattenBody(first.body.doc.getXmlFragment(YName.body)).text.length} chars, ` +
            `${readClaims(first.notes.doc).size} claims, ${offline} offline, ${restarts} restarts, ` +
            `${Math.round((Date.now() - started) / 1000)} s`,
        );
      }
    }

    // --- The end: everyone back, everything agreed and stored. ---
    step = steps;
    note('end: everyone reconnects');
    await within(Promise.all([...pendingCalls.keys()]), 'the last API calls');
    if (problems.length > 0) fail(problems.join('; '));
    for (const person of people) person.link.setOnline(true);
    for (const tab of tabs()) reconnectNow(tab);
    // No client changes anything from here on: the body must come out exactly as Yjs merges the copies.
    const expectedBody = mergedAlone(
      people.map((person) => person.body.doc),
      false,
    );
    // The notes also hold what the server wrote for API calls, which may not have reached anyone yet.
    const expectedNotes = await withStored(server, 'notes', (storedNotes) =>
      mergedAlone([...people.map((person) => person.notes.doc), storedNotes], true),
    );
    await settle();
    const reference = (people[0] as Person).body.doc;
    const referenceNotes = (people[0] as Person).notes.doc;

    // Nothing anyone typed is missing, nothing appeared from nowhere, nothing was deleted that
    // nobody deleted (but formatting marks Yjs drops by itself once redundant).
    if (stateVectorText(reference) !== stateVectorText(expectedBody)) {
      fail(
        `the body differs from what Yjs makes of all the copies: ${stateVectorText(reference)} vs ${stateVectorText(expectedBody)}`,
      );
    }
    const deletions = compareDeletions(reference, expectedBody);
    if (deletions.missing.length > 0 || !deletions.extraAllFormat) {
      fail(
        `the body's deletions differ from all the copies': missing ${deletions.missing.slice(0, 10).join(' ') || 'none'}, ` +
          `beyond them ${deletions.extra.slice(0, 10).join(' ') || 'none'}${deletions.extraAllFormat ? '' : ' (not only formatting marks)'}`,
      );
    }
    if (bodyContent(reference) !== bodyContent(expectedBody)) {
      fail(
        `the body's content differs from the merge of all copies ${firstDifference(bodyContent(reference), bodyContent(expectedBody))}`,
      );
    }
    const finalNotesVector = Y.decodeStateVector(Y.encodeStateVector(referenceNotes));
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(expectedNotes))) {
      if ((finalNotesVector.get(client) ?? 0) < clock) {
        fail(
          `notes: client ${client}'s changes up to ${clock} are missing (have ${finalNotesVector.get(client) ?? 0})`,
        );
      }
    }
    const sameIds = (what: string, final: Map<string, unknown>, merged: Map<string, unknown>) => {
      const missing = [...merged.keys()].filter((id) => !final.has(id));
      const extra = [...final.keys()].filter((id) => !merged.has(id));
      if (missing.length > 0 || extra.length > 0) {
        fail(
          `notes: ${what} differ from the merge of all copies: missing ${missing.join(',') || 'none'}, unexpected ${extra.join(',') || 'none'}`,
        );
      }
    };
    sameIds('the claims', readClaims(referenceNotes), readClaims(expectedNotes));
    sameIds('the sources', readSources(referenceNotes), readSources(expectedNotes));
    expectedBody.destroy();
    expectedNotes.destroy();

    // The store, as the server loads it.
    for (const part of ['body', 'notes'] as const) {
      await withStored(server, part, (stored) =>
        compareDocs(part, 'the store', stored, part === 'body' ? reference : referenceNotes),
      );
    }
    const flat = flattenBody(reference.getXmlFragment(YName.body));
    const result: ConvergenceFuzzResult = {
      seed,
      steps,
      clients: clientCount,
      counts,
      restarts,
      savedChecks,
      closeHangs,
      formatMarksCleanedUp: deletions.extra.length,
      paragraphs: flat.blocks.length,
      characters: flat.text.length,
      claims: readClaims(referenceNotes).size,
      sources: readSources(referenceNotes).size,
    };
    const finalBody = Y.encodeStateAsUpdate(reference);
    const finalNotes = Y.encodeStateAsUpdate(referenceNotes);
    await closeAll();

    // After a clean shutdown (rooms compacted on unload), a fresh server reads the same from the store.
    if (owned) {
      const dataDir = server.dataDir;
      await closeServer();
      server = await startServer(dataDir);
      for (const [part, update] of [
        ['body', finalBody],
        ['notes', finalNotes],
      ] as const) {
        const expected = new Y.Doc({ gc: gcEnabledFor(part) });
        Y.transact(expected, () => Y.applyUpdate(expected, update));
        await withStored(server, part, (stored) => compareDocs(part, 'the store after a shutdown', stored, expected));
        expected.destroy();
      }
    }
    log(
      `seed ${seed}: converged after ${steps} steps in ${Math.round((Date.now() - started) / 100) / 10} s: ` +
        `${result.paragraphs} blocks, ${result.characters} chars, ${result.claims} claims, ${result.sources} sources, ` +
        `${restarts} restarts, ${savedChecks} saved-state checks, ${result.formatMarksCleanedUp} formatting marks cleaned up by Yjs` +
        (closeHangs > 0 ? `, ${closeHangs} shutdown hang(s) (known bug)` : ''),
    );
    return result;
  } catch (error) {
    if (error instanceof ConvergenceFuzzFailure) throw error;
    // Anything else (a helper that threw, a timeout) is a failure of this seed too.
    return fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    // A clean-up that hangs must not hang the caller (the failure above already names the seed).
    const cleanUp = async () => {
      await closeAll();
      await Promise.allSettled([...pendingCalls.keys()]);
      if (owned) await server.close();
    };
    await Promise.race([cleanUp().catch(() => undefined), sleep(stepTimeoutMs)]);
  }

  // --- Helpers that use the run's state. ---

  /**
   * Runs `use` on the stored state of one part, loaded exactly as the server loads a room
   * (`Room.load`: snapshot and log in one transaction). Rebuilding it update by update would not
   * do: Yjs may then change the copy by itself (formatting cleanup) and hide what the store lacks.
   */
  async function withStored<T>(from: TestServer, part: StoryPart, use: (doc: Y.Doc) => T): Promise<T> {
    const room = await Room.load({ storyId, part }, from.app.storage.documents, from.app.log);
    try {
      return use(room.doc);
    } finally {
      room.destroy();
    }
  }

  /**
   * Closes the server, keeping its data. A close that hangs (the known shutdown bug) fails the run
   * with `strictShutdown`; otherwise it is counted and reported, and its stuck connections are cut.
   */
  async function closeServer(): Promise<void> {
    const closing = server.close({ keepData: true });
    const closed = await Promise.race([closing.then(() => true), sleep(5000).then(() => false)]);
    if (closed) return;
    const stuck = [...serverSockets].filter((socket) => !socket.destroyed);
    const what = `app.close() hung with ${stuck.length} connection(s) left open (${stuck.map((socket) => `${socket.readyState}, ${socket.bytesRead} bytes read, ${socket.bytesWritten} written`).join('; ')}): the known shutdown bug, see the known-bug test in convergenceFuzz.test.ts`;
    if (strictShutdown) fail(what);
    closeHangs += 1;
    note(`#${step} ${what}`);
    log(`seed ${seed}: step ${step}: ${what}; cutting them`);
    for (const socket of stuck) socket.destroy();
    await closing;
  }

  /** `work`, or a failure naming what hung (and the API calls in flight) after `stepTimeoutMs`. */
  async function within<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const calls = [...pendingCalls.values()];
        reject(
          new ConvergenceFuzzFailure(
            seed,
            `convergence fuzz failed (seed ${seed}, step ${step}/${steps}, ${clientCount} clients): ${what} made no progress in ${stepTimeoutMs} ms` +
              `${calls.length > 0 ? `; API calls in flight: ${calls.join(', ')}` : ''}\n` +
              `${replayHint(seed, steps, clientCount)}\nlast actions:\n  ${trace.join('\n  ')}`,
          ),
        );
      }, stepTimeoutMs);
    });
    try {
      return await Promise.race([work, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  function compareDocs(part: StoryPart, what: string, actual: Y.Doc, expected: Y.Doc): void {
    if (!equalBytes(Y.encodeStateVector(actual), Y.encodeStateVector(expected))) {
      fail(`${part}: ${what} has state ${stateVectorText(actual)}, the clients ${stateVectorText(expected)}`);
    }
    if (
      !Y.equalDeleteSets(
        Y.createDeleteSetFromStructStore(actual.store),
        Y.createDeleteSetFromStructStore(expected.store),
      )
    ) {
      fail(`${part}: ${what} has other deletions than the clients`);
    }
    const [a, b] = [contentOf(actual, part), contentOf(expected, part)];
    if (a !== b) fail(`${part}: ${what} differs from the clients ${firstDifference(a, b)}`);
  }

  /** Reconnects a tab at once (instead of waiting out the provider's back-off). */
  function reconnectNow(tab: Tab): void {
    if (tab.provider.wsconnected || tab.provider.wsconnecting) return;
    tab.provider.disconnect();
    tab.provider.connect();
  }

  /**
   * Waits until every tab is connected, synced and saved, every copy of each part equals the live
   * room, and nothing changes for a while (the server re-checks claims after body edits).
   */
  async function settle(): Promise<void> {
    const deadline = Date.now() + settleTimeoutMs;
    let quietSince: { at: number; signature: string } | null = null;
    for (;;) {
      for (const tab of tabs()) if (!tab.provider.wsconnected) reconnectNow(tab);
      const bodyRoom = server.app.rooms.peek({ storyId, part: 'body' });
      const notesRoom = server.app.rooms.peek({ storyId, part: 'notes' });
      await bodyRoom?.settled();
      await notesRoom?.settled();
      const mismatch = disagreement(bodyRoom?.doc, notesRoom?.doc);
      if (mismatch === null) {
        const signature = `${stateVectorText(bodyRoom?.doc as Y.Doc)}|${stateVectorText(notesRoom?.doc as Y.Doc)}`;
        if (quietSince === null || quietSince.signature !== signature) quietSince = { at: Date.now(), signature };
        else if (Date.now() - quietSince.at >= 500) return;
      } else quietSince = null;
      if (Date.now() > deadline)
        fail(`no agreement within ${settleTimeoutMs} ms: ${mismatch ?? 'the server kept changing'}`);
      if (problems.length > 0) fail(problems.join('; '));
      await sleep(25);
    }
  }

  /** Why the tabs and rooms do not agree yet, or `null` when they do. */
  function disagreement(bodyRoom: Y.Doc | undefined, notesRoom: Y.Doc | undefined): string | null {
    if (bodyRoom === undefined || notesRoom === undefined) return 'a room is not loaded';
    for (const person of people) {
      for (const tab of [person.body, person.notes]) {
        const room = tab.part === 'body' ? bodyRoom : notesRoom;
        const label = `${person.name} (${person.role}) ${tab.part}`;
        if (!tab.provider.wsconnected || !tab.provider.synced) return `${label} is not connected and synced`;
        if (tab.tracker.state !== 'saved') return `${label} is ${tab.tracker.state}`;
        if (!equalBytes(Y.encodeStateVector(tab.doc), Y.encodeStateVector(room))) {
          return `${label} has state ${stateVectorText(tab.doc)}, the room ${stateVectorText(room)}`;
        }
        if (tab.part === 'body' && !Y.equalSnapshots(Y.snapshot(tab.doc), Y.snapshot(room))) {
          return `${label} has other deletions than the room`;
        }
        const [mine, theirs] = [contentOf(tab.doc, tab.part), contentOf(room, tab.part)];
        if (mine !== theirs) return `${label} differs from the room ${firstDifference(mine, theirs)}`;
      }
    }
    return null;
  }

  /** Runs one action; `who` acts when given, else the PRNG picks someone. */
  async function act(action: ActionName, r: number[], who?: Person): Promise<boolean> {
    const x = (i: number) => r[i] as number;
    const bodyWriters = people.filter((person) => canEditBody(person.role));
    const writer = who ?? (pick(bodyWriters, x(1)) as Person);
    const anyone = who ?? (pick(people, x(1)) as Person);
    const token = (person: Person) => {
      person.typed += 1;
      const word = `${person.role[0]}${person.index}w${person.typed}`;
      return x(8) < 0.15 ? `${word}. ` : `${word} `;
    };
    switch (action) {
      case 'type': {
        const doc = writer.body.doc;
        const all = blocks(doc);
        const block = pick(all, x(2));
        const word = token(writer);
        const marks = x(5) < 0.12 ? { strong: {} } : x(5) < 0.2 ? { em: {} } : undefined;
        if (block === undefined) return newParagraph(writer, x(2), word);
        const text = pick(textsOf(block), x(3));
        doc.transact(() => {
          if (text === undefined) block.insert(block.length, [new Y.XmlText(word)]);
          else {
            const at = Math.floor(x(4) * (text.length + 1));
            if (marks === undefined) text.insert(at, word);
            else text.insert(at, word, marks);
          }
        });
        note(`#${step} ${writer.name} types ${JSON.stringify(word)}`);
        return true;
      }
      case 'delete': {
        const text = pick(
          blocks(writer.body.doc)
            .flatMap(textsOf)
            .filter((t) => t.length > 0),
          x(2),
        );
        if (text === undefined) return false;
        const at = Math.floor(x(3) * text.length);
        const length = 1 + Math.floor(x(4) * Math.min(x(5) < 0.1 ? 40 : 10, text.length - at));
        writer.body.doc.transact(() => text.delete(at, Math.min(length, text.length - at)));
        note(`#${step} ${writer.name} deletes ${length} at ${at}`);
        return true;
      }
      case 'deleteAcross': {
        // A selection from inside one block to inside the next: both ends cut, then the blocks joined.
        const all = blocks(writer.body.doc);
        if (all.length < 2) return false;
        const index = Math.floor(x(2) * (all.length - 1));
        const [a, b] = [all[index] as Y.XmlElement, all[index + 1] as Y.XmlElement];
        writer.body.doc.transact(() => {
          const tail = textsOf(a).at(-1);
          if (tail !== undefined && tail.length > 0) {
            const at = Math.floor(x(3) * tail.length);
            tail.delete(at, tail.length - at);
          }
          const head = textsOf(b)[0];
          if (head !== undefined && head.length > 0) head.delete(0, Math.floor(x(4) * head.length));
          joinBlocks(writer.body.doc, index);
        });
        note(`#${step} ${writer.name} deletes across blocks ${index} and ${index + 1}`);
        return true;
      }
      case 'format': {
        const text = pick(
          blocks(writer.body.doc)
            .flatMap(textsOf)
            .filter((t) => t.length > 1),
          x(2),
        );
        if (text === undefined) return false;
        const at = Math.floor(x(3) * (text.length - 1));
        const length = 1 + Math.floor(x(4) * Math.min(20, text.length - at - 1));
        const choice = Math.floor(x(5) * 6);
        const attributes: Record<string, unknown> = [
          { strong: {} },
          { strong: null },
          { em: {} },
          { em: null },
          { link: { href: `https://example.org/${step}`, title: null } },
          { link: null },
        ][choice] as Record<string, unknown>;
        writer.body.doc.transact(() => text.format(at, length, attributes));
        note(`#${step} ${writer.name} formats ${length} at ${at} ${JSON.stringify(attributes)}`);
        return true;
      }
      case 'formatTogether': {
        // Two people style the same words at once (each in their own copy, before either hears of
        // the other): the copies then hold formatting marks that Yjs finds redundant and removes.
        const others = bodyWriters.filter((person) => person !== writer);
        const second = pick(others, x(6));
        const index = Math.floor(x(2) * blocks(writer.body.doc).length);
        const texts = [writer, second].map((person) => {
          const block = person === undefined ? undefined : blocks(person.body.doc)[index];
          return block === undefined ? undefined : textsOf(block)[0];
        });
        const [mine, theirs] = texts;
        if (second === undefined || mine === undefined || theirs === undefined) return false;
        const shortest = Math.min(mine.length, theirs.length);
        if (shortest < 2) return false;
        const at = Math.floor(x(3) * (shortest - 1));
        const length = 1 + Math.floor(x(4) * Math.min(12, shortest - at - 1));
        const attributes = x(5) < 0.5 ? { strong: {} } : x(5) < 0.8 ? { em: {} } : { strong: null };
        writer.body.doc.transact(() => mine.format(at, length, attributes));
        second.body.doc.transact(() => theirs.format(at, length, attributes));
        note(`#${step} ${writer.name} and ${second.name} both format ${length} at ${at} ${JSON.stringify(attributes)}`);
        return true;
      }
      case 'split': {
        const block = pick(blocks(writer.body.doc), x(2));
        const text = block === undefined ? undefined : textsOf(block).at(-1);
        if (block === undefined || text === undefined) return false;
        const at = Math.floor(x(3) * (text.length + 1));
        const fragment = writer.body.doc.getXmlFragment(YName.body);
        // y-prosemirror: the old block keeps the head; the tail is deleted and re-inserted as a new block.
        writer.body.doc.transact(() => {
          const tail = deltaFrom(text, at);
          if (at < text.length) text.delete(at, text.length - at);
          const index = fragment.toArray().indexOf(block);
          const fresh = newBlock(block.nodeName, block.getAttribute('level'));
          fragment.insert(index + 1, [fresh]);
          if (tail.length > 0) {
            const inline = new Y.XmlText();
            fresh.insert(0, [inline]);
            appendOps(inline, tail);
          }
        });
        note(`#${step} ${writer.name} splits a block at ${at}`);
        return true;
      }
      case 'join': {
        const all = blocks(writer.body.doc);
        if (all.length < 2) return false;
        const index = Math.floor(x(2) * (all.length - 1));
        writer.body.doc.transact(() => joinBlocks(writer.body.doc, index));
        note(`#${step} ${writer.name} joins blocks ${index} and ${index + 1}`);
        return true;
      }
      case 'hardBreak': {
        const block = pick(blocks(writer.body.doc), x(2));
        const text = block === undefined ? undefined : pick(textsOf(block), x(3));
        if (block === undefined || text === undefined) return false;
        const at = Math.floor(x(4) * (text.length + 1));
        writer.body.doc.transact(() => {
          const tail = deltaFrom(text, at);
          if (at < text.length) text.delete(at, text.length - at);
          const index = block.toArray().indexOf(text);
          const inserted: (Y.XmlElement | Y.XmlText)[] = [new Y.XmlElement('hard_break')];
          const rest = new Y.XmlText();
          if (tail.length > 0) inserted.push(rest);
          block.insert(index + 1, inserted);
          if (tail.length > 0) appendOps(rest, tail);
        });
        note(`#${step} ${writer.name} inserts a hard break at ${at}`);
        return true;
      }
      case 'heading': {
        // ProseMirror's setBlockType: y-prosemirror replaces the element with a copy of another type.
        const all = blocks(writer.body.doc);
        const index = Math.floor(x(2) * all.length);
        const block = all[index];
        if (block === undefined) return false;
        const fragment = writer.body.doc.getXmlFragment(YName.body);
        writer.body.doc.transact(() => {
          const at = fragment.toArray().indexOf(block);
          const fresh = newBlock(block.nodeName === 'heading' ? 'paragraph' : 'heading', x(3) < 0.5 ? 2 : 3);
          fragment.insert(at, [fresh]);
          copyInline(block, fresh);
          fragment.delete(at + 1, 1);
        });
        note(
          `#${step} ${writer.name} turns block ${index} into a ${block.nodeName === 'heading' ? 'paragraph' : 'heading'}`,
        );
        return true;
      }
      case 'newParagraph':
        return newParagraph(writer, x(2), token(writer));
      case 'deleteParagraph': {
        const all = blocks(writer.body.doc);
        if (all.length < 2) return false;
        const index = Math.floor(x(2) * all.length);
        writer.body.doc.transact(() => writer.body.doc.getXmlFragment(YName.body).delete(index, 1));
        note(`#${step} ${writer.name} deletes block ${index}`);
        return true;
      }
      case 'headline': {
        const title = writer.body.doc.getMap(YName.meta).get('title');
        if (!(title instanceof Y.Text)) return false;
        writer.body.doc.transact(() => {
          if (title.length > 80 || (x(2) < 0.3 && title.length > 2)) {
            const at = Math.floor(x(3) * (title.length - 1));
            title.delete(at, 1 + Math.floor(x(4) * Math.min(6, title.length - at - 1)));
          } else
            title.insert(
              Math.floor(x(3) * (title.length + 1)),
              `${writer.index}${String.fromCharCode(97 + Math.floor(x(4) * 26))}`,
            );
        });
        note(`#${step} ${writer.name} edits the headline`);
        return true;
      }
      case 'claim': {
        const range = randomRange(anyone, x(2), x(3));
        if (range === null) return false;
        const now = new Date().toISOString();
        const status = randomStatus(anyone.role, x(4), x(5));
        const claim: ClaimRecord = {
          id: newId('c'),
          start: range.anchor.start,
          end: range.anchor.end,
          quote: range.quote,
          lastText: range.quote,
          status,
          sourceIds: [],
          note: '',
          createdBy: anyone.userId,
          createdAt: now,
          statusBy: anyone.userId,
          statusAt: now,
          verifiedText: null,
          changedSinceVerified: null,
        };
        anyone.notes.doc.transact(() => writeClaim(anyone.notes.doc, claim));
        note(
          `#${step} ${anyone.name} (${anyone.role}) claims ${JSON.stringify(range.quote.slice(0, 30))} as ${status}`,
        );
        return true;
      }
      case 'claimApi': {
        const status = randomStatus(anyone.role, x(4), x(5));
        const mode = Math.floor(x(6) * 3);
        let body: Record<string, unknown>;
        if (mode === 2) body = { sentence: Math.floor(x(2) * 12), status };
        else {
          const range = randomRange(anyone, x(2), x(3));
          if (range === null) return false;
          body = mode === 0 ? { anchor: range.anchor, status } : { quote: range.quote, status };
        }
        // 400: the server does not have that text (yet, or any more).
        call(anyone, 'POST', '/claims', body, [201, 400]);
        note(`#${step} ${anyone.name} (${anyone.role}) POST /claims ${Object.keys(body)[0]}`);
        return true;
      }
      case 'source': {
        const now = new Date().toISOString();
        const id = newId('s');
        const claims = [...readClaims(anyone.notes.doc).values()];
        const target = x(3) < 0.6 ? pick(claims, x(4)) : undefined;
        anyone.notes.doc.transact(() => {
          writeSource(anyone.notes.doc, {
            id,
            url: `https://example.org/source/${id}`,
            outlet: 'Harbour Gazette',
            title: `Source ${id}`,
            kind: pick(SOURCE_KINDS, x(2)) ?? 'document',
            passage: `passage ${step}`,
            accessedAt: now,
            archiveUrl: x(5) < 0.5 ? null : `https://archive.example.org/${id}`,
            createdBy: anyone.userId,
            createdAt: now,
          });
          if (target !== undefined && target.sourceIds.length < 50) {
            updateClaim(anyone.notes.doc, target.id, { sourceIds: [...target.sourceIds, id] });
          }
        });
        note(`#${step} ${anyone.name} (${anyone.role}) adds source ${id}${target ? ` to ${target.id}` : ''}`);
        return true;
      }
      case 'sourceApi': {
        call(
          anyone,
          'POST',
          '/sources',
          {
            url: `https://example.org/api-source/${step}`,
            kind: pick(SOURCE_KINDS, x(2)) ?? 'data',
            title: `API ${step}`,
          },
          [201],
        );
        note(`#${step} ${anyone.name} (${anyone.role}) POST /sources`);
        return true;
      }
      case 'status': {
        const claim = pick([...readClaims(anyone.notes.doc).values()], x(2));
        if (claim === undefined) return false;
        const status = randomStatus(anyone.role, x(3), x(4));
        const now = new Date().toISOString();
        anyone.notes.doc.transact(() =>
          updateClaim(anyone.notes.doc, claim.id, { status, statusBy: anyone.userId, statusAt: now }),
        );
        note(`#${step} ${anyone.name} (${anyone.role}) sets ${claim.id} to ${status}`);
        return true;
      }
      case 'statusApi': {
        const claim = pick([...readClaims(anyone.notes.doc).values()], x(2));
        if (claim === undefined) return false;
        const status = randomStatus(anyone.role, x(3), x(4));
        // 404: deleted meanwhile, or not on the server yet (made while offline).
        call(anyone, 'PATCH', `/claims/${claim.id}`, { status }, [200, 404]);
        note(`#${step} ${anyone.name} (${anyone.role}) PATCH ${claim.id} ${status}`);
        return true;
      }
      case 'note': {
        const claim = pick([...readClaims(anyone.notes.doc).values()], x(2));
        if (claim === undefined) return false;
        const text = `note ${step} by ${anyone.index}`;
        if (x(3) < 0.3 && !serverDown) {
          call(anyone, 'PATCH', `/claims/${claim.id}`, { note: text }, [200, 404]);
          note(`#${step} ${anyone.name} (${anyone.role}) PATCH ${claim.id} note`);
          return true;
        }
        anyone.notes.doc.transact(() => {
          updateClaim(anyone.notes.doc, claim.id, { note: text });
          appendThreadMessage(anyone.notes.doc, claim.id, {
            id: newId('m'),
            by: anyone.userId,
            at: new Date().toISOString(),
            text,
          });
        });
        note(`#${step} ${anyone.name} (${anyone.role}) notes on ${claim.id}`);
        return true;
      }
      case 'deleteClaim': {
        const editors = people.filter((person) => canDeleteClaim(person.role));
        const who = pick(editors, x(1)) as Person;
        const claim = pick([...readClaims(who.notes.doc).values()], x(2));
        if (claim === undefined) return false;
        if (x(3) < 0.3) {
          call(who, 'DELETE', `/claims/${claim.id}`, undefined, [204, 404]);
          note(`#${step} ${who.name} DELETE ${claim.id}`);
        } else {
          who.notes.doc.transact(() => deleteClaim(who.notes.doc, claim.id));
          note(`#${step} ${who.name} deletes ${claim.id}`);
        }
        return true;
      }
      case 'disconnect': {
        const parts = x(2) < 0.35 ? [anyone.body] : x(2) < 0.7 ? [anyone.notes] : [anyone.body, anyone.notes];
        for (const tab of parts) tab.provider.disconnect();
        note(`#${step} ${anyone.name} disconnects ${parts.map((tab) => tab.part).join('+')}`);
        return true;
      }
      case 'reconnect': {
        const away = people.flatMap((person) =>
          [person.body, person.notes].filter((tab) => !tab.provider.shouldConnect).map((tab) => ({ person, tab })),
        );
        const chosen = pick(away, x(2));
        if (chosen === undefined) return false;
        const { person, tab } = chosen;
        tab.provider.connect();
        note(`#${step} ${person.name} reconnects ${tab.part}`);
        if (x(3) < 0.4 && person.link.online && (tab.part === 'notes' || canEditBody(person.role))) {
          // Someone typing as the connection comes back: the change goes out the moment the socket
          // opens, before the sync step 2 that carries what was changed offline.
          await waitForOpen(tab, 2000);
          if (tab.provider.wsconnected) {
            note(`#${step} ${person.name} writes ${tab.part} at once`);
            count(`writeOnReconnect:${tab.part}`);
            // In the notes, go on with the newest claim this person made (maybe while offline).
            const own = [...readClaims(tab.doc).values()]
              .filter((claim) => claim.createdBy === person.userId)
              .sort((a, b) => (a.id < b.id ? -1 : 1))
              .at(-1);
            if (tab.part === 'body') await act('type', r, person);
            else if (own === undefined || x(4) < 0.2) await act('claim', r, person);
            else {
              tab.doc.transact(() => updateClaim(tab.doc, own.id, { note: `went on at ${step}` }));
              note(`#${step} ${person.name} notes on ${own.id}`);
            }
          }
        }
        return true;
      }
      case 'cut':
        anyone.link.cut();
        note(`#${step} ${anyone.name}: network cut`);
        return true;
      case 'networkDown':
        if (!anyone.link.online) return false;
        anyone.link.setOnline(false);
        note(`#${step} ${anyone.name}: network down`);
        return true;
      case 'networkUp': {
        const down = pick(
          people.filter((person) => !person.link.online),
          x(2),
        );
        if (down === undefined) return false;
        down.link.setOnline(true);
        note(`#${step} ${down.name}: network up`);
        return true;
      }
      case 'restart': {
        if (!restartsAllowed) return false;
        note(`#${step} server restart: waiting for API calls`);
        await Promise.all([...pendingCalls.keys()]);
        const dataDir = server.dataDir;
        const online = links.map((link) => link.online);
        if (!reconnectDuringRestart) for (const link of links) link.setOnline(false);
        note(`#${step} server restart: closing`);
        serverDown = true;
        await closeServer();
        // While the server is down, people go on writing (a few changes, drawn from this step's seed).
        const downtime = prng(Math.floor(x(2) * 2 ** 31));
        for (let i = Math.floor(x(3) * 4); i > 0; i--) {
          const sub = Array.from({ length: DRAWS }, downtime);
          const kind = pick(OFFLINE_ACTIONS, sub[0] as number) ?? 'type';
          count(`${kind}WhileDown`);
          await act(kind, sub);
        }
        note(`#${step} server restart: starting`);
        server = await startServer(dataDir);
        serverDown = false;
        note(`#${step} server restart: listening`);
        const port = Number(new URL(server.url).port);
        for (const link of links) link.target = port;
        for (const [index, link] of links.entries()) link.setOnline(online[index] ?? true);
        restarts += 1;
        return true;
      }
      case 'checkSaved':
        await checkSaved();
        return true;
      case 'pause':
        await sleep(Math.floor(x(2) * maxPauseMs));
        return true;
      case 'turn':
        for (let i = Math.floor(x(2) * 4); i >= 0; i--) await turn();
        return true;
    }
  }

  /** Resolves when the tab's socket is open (or after `timeoutMs`). */
  function waitForOpen(tab: Tab, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (tab.provider.wsconnected) return resolve();
      const onStatus = ({ status }: { status: string }) => {
        if (status === 'connected') done();
      };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        tab.provider.off('status', onStatus);
        resolve();
      };
      tab.provider.on('status', onStatus);
    });
  }

  function newParagraph(writer: Person, where: number, word: string): boolean {
    const fragment = writer.body.doc.getXmlFragment(YName.body);
    const index = Math.floor(where * (fragment.length + 1));
    writer.body.doc.transact(() => {
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(word)]);
      fragment.insert(index, [paragraph]);
    });
    note(`#${step} ${writer.name} starts a paragraph at ${index} with ${JSON.stringify(word)}`);
    return true;
  }

  /** y-prosemirror's join: the second block's content is copied into the first, the second deleted. */
  function joinBlocks(doc: Y.Doc, index: number): void {
    const fragment = doc.getXmlFragment(YName.body);
    const all = fragment.toArray();
    const [a, b] = [all[index], all[index + 1]];
    if (!(a instanceof Y.XmlElement) || !(b instanceof Y.XmlElement)) return;
    copyInline(b, a);
    fragment.delete(index + 1, 1);
  }

  /** A random non-empty range of the person's copy of the body, anchored as the client anchors it. */
  function randomRange(
    person: Person,
    where: number,
    size: number,
  ): { anchor: { start: string; end: string }; quote: string } | null {
    const flat = flattenBody(person.body.doc.getXmlFragment(YName.body));
    if (flat.text.length < 2) return null;
    const from = Math.floor(where * (flat.text.length - 1));
    const to = from + 1 + Math.floor(size * Math.min(80, flat.text.length - from - 1));
    const anchor = anchorRange(flat, from, to);
    return anchor === null ? null : { anchor, quote: flat.text.slice(from, to) };
  }

  function randomStatus(role: Role, a: number, b: number): SettableClaimStatus {
    const status = a < 0.4 && canSetClaimStatus(role, 'verified') ? (pick(VERDICTS, b) as SettableClaimStatus) : null;
    if (status !== null) return status;
    const open = SETTABLE_CLAIM_STATUSES.filter(
      (candidate) => canSetClaimStatus(role, candidate) && !VERDICTS.includes(candidate),
    );
    return pick(open, b) ?? 'unverified';
  }

  /**
   * Durable before visible: a room at rest holds exactly what the store holds (as a restarted
   * server would load it), not a deletion more. Checked only when the room did not move meanwhile.
   */
  async function checkRoomsStored(): Promise<void> {
    for (const part of ['body', 'notes'] as const) {
      const room = server.app.rooms.peek({ storyId, part });
      if (room === undefined) continue;
      await room.settled();
      const before = Y.snapshot(room.doc);
      const stored = await withStored(server, part, (doc) => ({
        snapshot: Y.snapshot(doc),
        vector: stateVectorText(doc),
      }));
      if (!Y.equalSnapshots(before, Y.snapshot(room.doc))) continue;
      if (!Y.equalSnapshots(stored.snapshot, before)) {
        fail(
          `${part}: the live room holds what the store does not (state ${stateVectorText(room.doc)}, stored ${stored.vector}` +
            `${stored.vector === stateVectorText(room.doc) ? ', other deletions' : ''}): it was sent out unstored`,
        );
      }
      count(`roomStored:${part}`);
    }
  }

  /**
   * "Saved" must be true: for every tab whose tracker says so, the store already holds every
   * change that tab made (its own Yjs client id's clock).
   */
  async function checkSaved(): Promise<void> {
    await checkRoomsStored();
    const claims = tabs()
      .filter((tab) => tab.tracker.state === 'saved' && !tab.tracker.hasUnsavedChanges)
      .map((tab) => ({ tab, clock: Y.getState(tab.doc.store, tab.doc.clientID) }));
    if (claims.length === 0) return;
    const stored = new Map<StoryPart, Map<number, number>>();
    for (const part of ['body', 'notes'] as const) {
      stored.set(part, await withStored(server, part, (doc) => Y.decodeStateVector(Y.encodeStateVector(doc))));
    }
    for (const { tab, clock } of claims) {
      const have = stored.get(tab.part)?.get(tab.doc.clientID) ?? 0;
      if (have < clock) {
        const owner = people.find((person) => person.body === tab || person.notes === tab);
        fail(`${owner?.name} ${tab.part} said "saved" at clock ${clock}, but the store holds only up to ${have}`);
      }
    }
    savedChecks += claims.length;
    note(`#${step} checked ${claims.length} saved tabs against the store`);
  }
}

async function waitUntil(
  check: () => boolean,
  what: string,
  timeoutMs: number,
  fail: (message: string) => never,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) fail(`timed out: ${what}`);
    await sleep(10);
  }
}
