/**
 * Client-side routes, kept in the URL so that a story can be linked, bookmarked and reloaded:
 * `/` is the story list, `/stories/:id` the editor. Navigation uses `history.pushState`; the back and
 * forward buttons arrive as `popstate`.
 */
import { useEffect, useState } from 'preact/hooks';
import { STORY_ID_PATTERN } from '../../shared/documentLayout.ts';

export type Route = { name: 'stories' } | { name: 'story'; storyId: string } | { name: 'notFound'; path: string };

/** The route for a URL path. */
export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { name: 'stories' };
  const match = /^\/stories\/([^/]+)\/?$/.exec(pathname);
  const storyId = match?.[1] === undefined ? null : decodeURIComponent(match[1]);
  if (storyId !== null && STORY_ID_PATTERN.test(storyId)) return { name: 'story', storyId };
  return { name: 'notFound', path: pathname };
}

/** The URL path of a story's editor. */
export function storyPath(storyId: string): string {
  return `/stories/${encodeURIComponent(storyId)}`;
}

// pushState fires no event of its own; this one tells `useRoute` hooks that the URL changed.
const NAVIGATE_EVENT = 'sourcedesk:navigate';

/**
 * What leaving the current page would cost, asked before every in-app navigation: a page with
 * changes that exist nowhere else (not on the server, not in the local copy) returns the question
 * to put to the person; `null` when leaving loses nothing. The browser's own `beforeunload` covers
 * reloads and closing the tab; this covers links inside the app.
 */
type LeaveGuard = () => string | null;
let leaveGuard: LeaveGuard | null = null;

/** Installs the page's leave guard; returns the function that removes it. */
export function guardLeaving(guard: LeaveGuard): () => void {
  leaveGuard = guard;
  return () => {
    if (leaveGuard === guard) leaveGuard = null;
  };
}

/** Goes to `path` inside the app (no page load), unless the person chooses to stay. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === location.pathname) return;
  const question = leaveGuard?.() ?? null;
  if (question !== null && !window.confirm(question)) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  window.scrollTo(0, 0);
}

/**
 * Click handler for in-app links: a plain left click navigates inside the app; a click with a
 * modifier (new tab, new window) is left to the browser.
 */
export function followLink(event: MouseEvent, path: string): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(path);
}

/** The current route; re-renders the component when the URL changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return route;
}
