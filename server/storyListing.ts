/**
 * Keeps the story listing (title, last change) in step with the live body documents, without a
 * database write per keystroke: changes are noted and written at most once per interval.
 */
import type { FastifyBaseLogger } from 'fastify';
import { META_LIMITS, YName } from '../shared/documentLayout.ts';
import { readMetaField } from '../shared/metaText.ts';
import type { Room } from './collab/Room.ts';
import type { StoryStore } from './storage/Storage.ts';

export class StoryListing {
  private readonly dirty = new Map<string, { title: string | undefined; at: string }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly stories: StoryStore,
    private readonly log: FastifyBaseLogger,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** Notes that a body document changed (called after its updates were stored). */
  noteChange(room: Room): void {
    if (room.key.part !== 'body') return;
    const title = readMetaField(room.doc.getMap(YName.meta), 'title');
    this.dirty.set(room.key.storyId, {
      title: title.length > 0 ? title.slice(0, META_LIMITS.title) : undefined,
      at: new Date().toISOString(),
    });
  }

  async flush(): Promise<void> {
    const entries = [...this.dirty];
    this.dirty.clear();
    for (const [storyId, change] of entries) {
      try {
        await this.stories.touch(storyId, change.at, change.title);
      } catch (error) {
        this.log.warn({ err: error, storyId }, 'story listing not updated');
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
