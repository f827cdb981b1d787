/**
 * A story with its people, for integration tests: editor edna (the creator), reporter rita,
 * fact-checker fay and viewer vic, each logged in; rita writes the given paragraphs through a live
 * WebsocketProvider client, and the server has them before this resolves.
 */
import * as Y from 'yjs';
import type { ServerOptions } from '../../server/app.ts';
import type { StorySummary } from '../../shared/api.ts';
import type { StoryPart } from '../../shared/documentLayout.ts';
import { type CollabClient, connectClient } from './collabClient.ts';
import { api, createStory, login, startTestServer, type TestServer, type TestUser, tokenFor } from './testServer.ts';

export type Person = TestUser & { cookie: string };
export const PEOPLE = { edna: 'editor', rita: 'reporter', fay: 'fact-checker', vic: 'viewer' } as const;
export type PersonName = keyof typeof PEOPLE;

export interface Newsroom {
  server: TestServer;
  story: StorySummary;
  people: Record<PersonName, Person>;
  /** Rita's live client on the body. */
  writer: CollabClient;
  /** Calls `/api/stories/<id><path>` as one of the people. */
  call<T>(who: PersonName, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Connects a live client as one of the people (tracked for clean-up). */
  connect(who: PersonName, part: StoryPart): Promise<CollabClient>;
}

/** Everything a test file must close after each test. */
export interface Tracked {
  servers: TestServer[];
  clients: CollabClient[];
}

export async function openNewsroom(
  tracked: Tracked,
  paragraphs: string[],
  options: ServerOptions & { dataDir?: string } = {},
): Promise<Newsroom> {
  const server = await startTestServer(options);
  tracked.servers.push(server);
  const people = {} as Record<PersonName, Person>;
  for (const name of Object.keys(PEOPLE) as PersonName[]) {
    const user = await server.addUser(name, { name: name[0]?.toUpperCase() + name.slice(1) });
    people[name] = { ...user, cookie: await login(server.url, name, user.password) };
  }
  const story = await createStory(server.url, people.edna.cookie, 'Harbour budget');
  for (const name of ['rita', 'fay', 'vic'] as const) {
    await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${people[name].user.id}`,
      { cookie: people.edna.cookie },
      { role: PEOPLE[name] },
    );
  }
  const tokens = new Map<PersonName, string>();
  const connect = async (who: PersonName, part: StoryPart) => {
    let token = tokens.get(who);
    if (token === undefined) {
      token = await tokenFor(server.url, people[who]);
      tokens.set(who, token);
    }
    const client = connectClient(server.collabUrl, story.id, part, { token });
    tracked.clients.push(client);
    await client.synced;
    return client;
  };
  const writer = await connect('rita', 'body');
  const fragment = writer.doc.getXmlFragment('body');
  writer.doc.transact(() => {
    fragment.delete(0, fragment.length);
    fragment.insert(
      0,
      paragraphs.map((text) => {
        const paragraph = new Y.XmlElement('paragraph');
        paragraph.insert(0, [new Y.XmlText(text)]);
        return paragraph;
      }),
    );
  });
  const call = <T>(who: PersonName, method: string, path: string, body?: unknown) =>
    api<T>(server.url, method, `/api/stories/${story.id}${path}`, { cookie: people[who].cookie }, body);
  // Wait until the server has the text.
  const started = Date.now();
  const expected = paragraphs.join('');
  for (;;) {
    const room = server.app.rooms.peek({ storyId: story.id, part: 'body' });
    const text = room ? room.doc.getXmlFragment('body').toArray().map(plainText).join('') : '';
    if (text === expected) break;
    if (Date.now() - started > 10_000) throw new Error('server never got the story');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { server, story, people, writer, call, connect };
}

/** The text of a block element (its text nodes, in order). */
export function plainText(node: unknown): string {
  if (node instanceof Y.XmlText) {
    return (node.toDelta() as { insert: unknown }[])
      .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
      .join('');
  }
  if (node instanceof Y.XmlElement) return node.toArray().map(plainText).join('');
  return '';
}

/** The XmlText of the `index`th paragraph. */
export function paragraphText(doc: Y.Doc, index: number): Y.XmlText {
  return (doc.getXmlFragment('body').get(index) as Y.XmlElement).get(0) as Y.XmlText;
}
