/**
 * What a refused change was, in words the person can act on: the version of the story this page
 * had when the server refused a change, and what of it the server does not have. Read just before
 * the refused copy is discarded, compared once the server's copy has loaded.
 */
import type * as Y from 'yjs';
import { flattenBody } from '../../../shared/anchors.ts';
import { readMetaField } from '../../../shared/metaText.ts';

/** The readable text of a story body: what a person could copy and paste back. */
export interface TextVersion {
  headline: string;
  /** Paragraphs and headings, one per line. */
  text: string;
}

/** One stretch where the person's version and the server's differ. */
export interface UnsavedChange {
  where: 'headline' | 'text';
  /** In the person's version but not in the server's (what they typed). */
  added: string;
  /** In the server's version but not in the person's (what they deleted). */
  removed: string;
}

export function readTextVersion(yBody: Y.XmlFragment, yMeta: Y.Map<unknown>): TextVersion {
  return { headline: readMetaField(yMeta, 'title'), text: flattenBody(yBody).text };
}

/** Both texts as one, for copying. */
export function textVersionString(version: TextVersion): string {
  return version.headline.length > 0 ? `${version.headline}\n\n${version.text}` : version.text;
}

/**
 * What `mine` has that `saved` lacks, and the reverse, as one stretch per field (the common start
 * and end left out). Edits made elsewhere by colleagues meanwhile reach both copies, so the
 * stretch is usually exactly the refused change; at worst it is wider than it, never narrower.
 */
export function unsavedChanges(mine: TextVersion, saved: TextVersion): UnsavedChange[] {
  const changes: UnsavedChange[] = [];
  const headline = difference(mine.headline, saved.headline);
  if (headline !== null) changes.push({ where: 'headline', ...headline });
  const text = difference(mine.text, saved.text);
  if (text !== null) changes.push({ where: 'text', ...text });
  return changes;
}

function difference(mine: string, saved: string): { added: string; removed: string } | null {
  if (mine === saved) return null;
  const mineChars = Array.from(mine);
  const savedChars = Array.from(saved);
  let start = 0;
  while (start < mineChars.length && start < savedChars.length && mineChars[start] === savedChars[start]) start += 1;
  let end = 0;
  while (
    end < mineChars.length - start &&
    end < savedChars.length - start &&
    mineChars[mineChars.length - 1 - end] === savedChars[savedChars.length - 1 - end]
  ) {
    end += 1;
  }
  return {
    added: mineChars.slice(start, mineChars.length - end).join(''),
    removed: savedChars.slice(start, savedChars.length - end).join(''),
  };
}
