/**
 * Typed calls to the Sourcedesk HTTP API (`/api`). Every failure becomes an `ApiError` carrying the
 * server's code and message, or the code `network` when the server could not be reached, so that a
 * view can always say what went wrong in words (network failures are state, not exceptions that
 * escape).
 */

import type { EncodedAnchor } from '../../shared/anchors.ts';
import type {
  ApiError as ApiErrorBody,
  CreateStoryBody,
  LoginBody,
  StoryList,
  StorySummary,
  User,
} from '../../shared/api.ts';
import type { ClaimView, SettableClaimStatus, SourceKind, SourceRecord, ThreadMessage } from '../../shared/claims.ts';

export type { ClaimView };

/** What a claim can be changed in (`PATCH /api/stories/:id/claims/:claimId`). */
export interface ClaimChanges {
  status?: SettableClaimStatus;
  /** With a status change, also added to the claim's discussion. */
  note?: string;
  sourceIds?: string[];
}

/** A new source (`POST /api/stories/:id/sources`). */
export interface NewSource {
  url: string;
  outlet: string;
  title: string;
  kind: SourceKind;
  passage: string;
  /** `YYYY-MM-DD` or an ISO date-time; the server uses "now" when it is left out. */
  accessedAt?: string;
  archiveUrl?: string | null;
}

/** A failed API call: the HTTP status (0 when the server was not reached) and the server's error code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The whole error answer, for errors that carry more than a message (a refused approval's claims). */
  readonly body: Readonly<Record<string, unknown>>;

  constructor(status: number, code: string, message: string, body: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }

  /** The server did not answer at all (offline, server down, DNS). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

type UnauthenticatedListener = () => void;
const unauthenticatedListeners = new Set<UnauthenticatedListener>();

/**
 * Registers `listener` to be called whenever an API call other than logging in answers 401, i.e.
 * the session has ended (expired, or logged out in another tab). Returns the function that removes it.
 */
export function onUnauthenticated(listener: UnauthenticatedListener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.error === 'string' && typeof record.message === 'string';
}

/**
 * Sends one JSON request with the session cookie and returns the parsed answer (`undefined` for 204).
 * Throws `ApiError` for network failures and non-2xx answers.
 */
export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', "Can't reach the Sourcedesk server. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page, for instance; reported below by status.
  }
  if (!response.ok) {
    const error = isApiErrorBody(parsed)
      ? new ApiError(response.status, parsed.error, parsed.message, parsed)
      : new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}`);
    if (response.status === 401 && path !== '/api/session') {
      for (const listener of unauthenticatedListeners) listener();
    }
    throw error;
  }
  return parsed as T;
}

// Story summaries seen so far in this tab, so that an editor opened while the network is down
// still knows the person's role on the story (the live document itself comes from IndexedDB).
const knownStories = new Map<string, StorySummary>();

function remember(story: StorySummary): StorySummary {
  knownStories.set(story.id, story);
  return story;
}

function storyPath(storyId: string): string {
  return `/api/stories/${encodeURIComponent(storyId)}`;
}

/** The calls the client makes, one per route it uses. */
export const api = {
  /** The logged-in user; `ApiError` 401 when nobody is logged in. */
  me: () => request<User>('GET', '/api/me'),

  login: (credentials: LoginBody) => request<User>('POST', '/api/session', credentials),

  logout: () => request<undefined>('DELETE', '/api/session'),

  async listStories(): Promise<StorySummary[]> {
    const list = await request<StoryList>('GET', '/api/stories');
    return list.stories.map(remember);
  },

  async createStory(body: CreateStoryBody): Promise<StorySummary> {
    return remember(await request<StorySummary>('POST', '/api/stories', body));
  },

  async getStory(storyId: string): Promise<StorySummary> {
    return remember(await request<StorySummary>('GET', `/api/stories/${encodeURIComponent(storyId)}`));
  },

  /** Everyone in the newsroom (to show names for the user ids in claims and discussions). */
  async listUsers(): Promise<User[]> {
    return (await request<{ users: User[] }>('GET', '/api/users')).users;
  },

  /** Creates a claim on the text between two anchor ends (see `shared/anchors.ts`). */
  createClaim: (storyId: string, anchor: EncodedAnchor) =>
    request<ClaimView>('POST', `${storyPath(storyId)}/claims`, { anchor }),

  updateClaim: (storyId: string, claimId: string, changes: ClaimChanges) =>
    request<ClaimView>('PATCH', `${storyPath(storyId)}/claims/${encodeURIComponent(claimId)}`, changes),

  createSource: (storyId: string, source: NewSource) =>
    request<SourceRecord>('POST', `${storyPath(storyId)}/sources`, source),

  postMessage: (storyId: string, claimId: string, text: string) =>
    request<ThreadMessage>('POST', `${storyPath(storyId)}/claims/${encodeURIComponent(claimId)}/messages`, { text }),

  /** The summary of a story seen earlier in this tab, if any. */
  knownStory: (storyId: string): StorySummary | undefined => knownStories.get(storyId),
};
