/**
 * Rooms (documents) on each server, and who may enter them. The peers take any room name from
 * anyone. Sourcedesk needs a story, made through its API, and an account per person (each with its
 * own API token, as every reporter has their own login), added to the story as a reporter.
 */
import type { ServerProcess } from './serverProcess.ts';

export interface Newsroom {
  /** Room name per story (Sourcedesk: `<storyId>/body`). */
  rooms: string[];
  /** `tokens[room][person]`: the API token each person connects with (Sourcedesk only). */
  tokens: (string | undefined)[][];
}

async function call(server: ServerProcess, method: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${server.target.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.target.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** `count` stories with `people` persons each. */
export async function makeNewsroom(
  server: ServerProcess,
  prefix: string,
  count: number,
  people: number,
): Promise<Newsroom> {
  if (server.kind !== 'sourcedesk') {
    return {
      rooms: Array.from({ length: count }, (_x, i) => `${prefix}-${i}`),
      tokens: Array.from({ length: count }, () => new Array<undefined>(people).fill(undefined)),
    };
  }
  const accounts = await server.accounts(count * people);
  const rooms: string[] = [];
  const tokens: string[][] = [];
  // A few API calls at a time, as several editors setting up stories would.
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const story = (await call(server, 'POST', '/api/stories', { title: `${prefix} ${index}` })) as { id: string };
      const members = accounts.slice(index * people, (index + 1) * people);
      for (const member of members) {
        await call(server, 'PUT', `/api/stories/${story.id}/members/${member.userId}`, { role: 'reporter' });
      }
      rooms[index] = `${story.id}/body`;
      tokens[index] = members.map((member) => member.token);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { rooms, tokens };
}
