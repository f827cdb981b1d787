/**
 * The import call (`POST /api/stories/import`): the story is sent as it is (text, HTML or Markdown,
 * typed, pasted or a file), not as JSON, so it does not go through `api.ts`'s JSON `request`.
 * Failures are `ApiError`s like every other call.
 */
import type { ImportResult } from '../../../shared/importExport.ts';
import type { ImportMediaType } from '../../../shared/importRules.ts';
import { ApiError } from '../api.ts';

export async function importStory(
  body: string | Blob,
  mediaType: ImportMediaType,
  title: string | null,
): Promise<ImportResult> {
  const query = title === null || title.trim() === '' ? '' : `?${new URLSearchParams({ title: title.trim() })}`;
  let response: Response;
  try {
    response = await fetch(`/api/stories/import${query}`, {
      method: 'POST',
      headers: { 'content-type': `${mediaType}; charset=utf-8`, accept: 'application/json' },
      credentials: 'same-origin',
      body,
    });
  } catch {
    throw new ApiError(0, 'network', "Can't reach the Sourcedesk server. Check your connection and try again.");
  }
  let parsed: unknown = null;
  try {
    parsed = await response.json();
  } catch {
    // Not JSON (a proxy's error page): reported by status below.
  }
  if (!response.ok) {
    const record = (parsed ?? {}) as Record<string, unknown>;
    if (typeof record.error === 'string' && typeof record.message === 'string') {
      throw new ApiError(response.status, record.error, record.message);
    }
    throw new ApiError(response.status, 'http_error', `The server answered ${response.status} ${response.statusText}`);
  }
  return parsed as ImportResult;
}
