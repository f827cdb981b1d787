/**
 * What to tell a person when the server ends a collaboration socket for good (close codes
 * 4400–4499, after which the provider stops reconnecting). Codes are the named ones of
 * `shared/protocol.ts`.
 */
import { CloseCode } from '../../../shared/protocol.ts';

/** The reason `CloseCode.forbidden` comes with when a person's membership of the story ends. */
const REMOVED_REASON = 'removed from this story';

/** A permanent close, in words, and what the person can do about it. */
export interface ClosedExplanation {
  code: number;
  message: string;
  /** `login`: the session is over; `reload`: a fresh page load may well work. */
  remedy: 'login' | 'reload' | 'none';
}

export function explainClose(code: number, reason: string): ClosedExplanation {
  switch (code) {
    case CloseCode.notAuthenticated:
      return { code, message: 'Your session ended — log in again to keep working.', remedy: 'login' };
    case CloseCode.forbidden:
      // The server's reason tells a removal from the story apart from other refusals (origin).
      return {
        code,
        message:
          reason === REMOVED_REASON
            ? 'You were removed from this story, so it is no longer open here. Ask its editor if you need it again.'
            : "You don't have access to this story any more.",
        remedy: 'none',
      };
    case CloseCode.notFound:
      return { code, message: "This story doesn't exist or you're not on it.", remedy: 'none' };
    case CloseCode.badMessage:
      return {
        code,
        message: 'The server could not read a message from this page. Reload the page to reconnect.',
        remedy: 'reload',
      };
    case CloseCode.tooLarge:
      return {
        code,
        message: 'A change was too large for the server to accept. Reload the page to reconnect.',
        remedy: 'reload',
      };
    case CloseCode.tooManySockets:
      return {
        code,
        message: 'This story is open in too many tabs or windows. Close some of them, then reload this page.',
        remedy: 'reload',
      };
    case CloseCode.rateLimited:
      return {
        code,
        message: 'Too many changes arrived too quickly, so the server paused this page. Reload to reconnect.',
        remedy: 'reload',
      };
    default:
      return {
        code,
        message: `The server closed the connection (${code}${reason ? `: ${reason}` : ''}). Reload the page to reconnect.`,
        remedy: 'reload',
      };
  }
}
