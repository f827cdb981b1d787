/** Runs a function with a story's body and notes rooms loaded (for API calls on claims). */
import type { FastifyInstance } from 'fastify';
import type { Room } from '../collab/Room.ts';

export async function withStoryDocs<T>(
  app: FastifyInstance,
  storyId: string,
  fn: (body: Room, notes: Room) => Promise<T>,
): Promise<T> {
  return app.rooms.withRoom({ storyId, part: 'body' }, (body) =>
    app.rooms.withRoom({ storyId, part: 'notes' }, (notes) => fn(body, notes)),
  );
}
