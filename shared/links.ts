/** URL schemes a link in a story may use. Anything else (javascript:, data:, file:, ...) is dropped. */
export const LINK_PROTOCOLS = ['http:', 'https:', 'mailto:'] as const;

/** Longest href kept on a link. */
export const MAX_LINK_LENGTH = 2048;

/**
 * Returns the normalised href when `raw` is an absolute http, https or mailto URL, otherwise `null`.
 * Called when HTML is parsed into the editor and again when a link is rendered, so that a link
 * written into the shared document by any client can never become a script URL on screen.
 */
export function safeLinkHref(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_LINK_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (!(LINK_PROTOCOLS as readonly string[]).includes(url.protocol)) return null;
  return url.href;
}
