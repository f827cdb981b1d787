/**
 * How a story is laid out in Yjs: three documents, each its own y-websocket room
 * (`<storyId>/<part>`), so that write permission is a property of the room.
 * See DESIGN.md, "One story, three live documents".
 */

/** The three parts of a story, in the order they are usually opened. */
export const STORY_PARTS = ['body', 'notes', 'desk'] as const;
export type StoryPart = (typeof STORY_PARTS)[number];

export function isStoryPart(value: string): value is StoryPart {
  return (STORY_PARTS as readonly string[]).includes(value);
}

/** Names of the shared types inside each document. */
export const YName = {
  /** `Y.XmlFragment` holding the ProseMirror document (body room). */
  body: 'body',
  /** `Y.Map` with `title`, `dek`, `byline` (body room). */
  meta: 'meta',
  /** `Y.Map` of claim id → claim map (notes room). */
  claims: 'claims',
  /** `Y.Map` of source id → source map (notes room). */
  sources: 'sources',
  /** `Y.Map` of claim id → discussion thread (notes room). */
  threads: 'threads',
  /** `Y.Map` with the workflow state (desk room, written by the server only). */
  workflow: 'workflow',
} as const;

/**
 * Whether a part's document keeps deleted content. The body runs without garbage collection so that
 * any earlier version can be rebuilt from a snapshot (history, diffs since approval); client and
 * server must agree, or the client's updates would drop what the server keeps.
 */
export function gcEnabledFor(part: StoryPart): boolean {
  return part !== 'body';
}

/** Story ids are random url-safe strings; this is the only accepted shape (checked at every boundary). */
export const STORY_ID_PATTERN = /^[A-Za-z0-9_-]{8,40}$/;

/** The room name of one part of a story, as used in the socket path. */
export function roomName(storyId: string, part: StoryPart): string {
  return `${storyId}/${part}`;
}

/** Parses `<storyId>/<part>`; `null` when it is not a well-formed room name. */
export function parseRoomName(name: string): { storyId: string; part: string } | null {
  const slash = name.indexOf('/');
  if (slash < 0 || name.indexOf('/', slash + 1) >= 0) return null;
  const storyId = name.slice(0, slash);
  const part = name.slice(slash + 1);
  if (!STORY_ID_PATTERN.test(storyId) || part.length === 0) return null;
  return { storyId, part };
}

/** Limits on story metadata kept in the body room's `meta` map. */
export const META_LIMITS = { title: 300, dek: 600, byline: 200 } as const;
