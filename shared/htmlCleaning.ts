/**
 * Cleans HTML for a story: removes page furniture (by element, then by words), runs the sanitizer
 * with the one allow-list of `importRules.ts`, and reports what it dropped. Works on any DOM: the
 * browser's (paste into the editor) and jsdom's (the server's importer, which adds article
 * extraction in between). Nothing here loads or runs anything: parsing uses inert documents.
 */
import createDOMPurify, { type Config, type WindowLike } from 'dompurify';
import {
  ALLOWED_ATTRIBUTES,
  ALLOWED_TAGS,
  ALLOWED_URI_PATTERN,
  classifyBlocks,
  type DropReason,
  FORBIDDEN_CONTENT_TAGS,
  FURNITURE_ROLES,
  FURNITURE_TAGS,
  furnitureReasonForLine,
  furnitureReasonForNames,
  isUnsafeAttribute,
  UNSAFE_TAGS,
} from './importRules.ts';
import { safeLinkHref } from './links.ts';

/** One block of text that cleaning left out. */
export interface DroppedText {
  reason: DropReason;
  text: string;
}

export interface CleaningReport {
  dropped: DroppedText[];
  /** Unsafe elements and attributes removed (scripts, event handlers, styles, frames, script URLs). */
  unsafe: number;
}

/** A window with what cleaning needs: DOMPurify's parts and an inert `DOMParser`. */
export type CleaningWindow = WindowLike & { DOMParser: typeof DOMParser };

/** Elements that start a block of their own (used to find the text blocks of a page). */
export const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'caption',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
]);

/** Never removed as furniture: they hold the story itself. */
const PROTECTED_TAGS = new Set(['html', 'body', 'main', 'article']);

export function normaliseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function tagOf(element: Element): string {
  return element.tagName.toLowerCase();
}

/** Elements whose content is never text a reader sees. */
const NON_TEXT_TAGS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'title',
  'textarea',
  'xmp',
  'plaintext',
  'noembed',
  'noframes',
  'iframe',
  'select',
]);

/** The text of an element as read: blocks and line breaks apart, scripts and styles left out. */
export function readableText(element: Element): string {
  let text = '';
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      text += node.nodeValue ?? '';
      return;
    }
    if (node.nodeType !== 1) return;
    const tag = tagOf(node as Element);
    if (NON_TEXT_TAGS.has(tag)) return;
    const block = BLOCK_TAGS.has(tag) || tag === 'br';
    if (block) text += ' ';
    for (const child of node.childNodes) walk(child);
    if (block) text += ' ';
  };
  walk(element);
  return normaliseSpace(text);
}

/** Counts the unsafe elements and attributes under `root` (before the sanitizer removes them). */
export function countUnsafe(root: Element): number {
  let count = 0;
  for (const element of [root, ...root.querySelectorAll('*')]) {
    if (UNSAFE_TAGS.has(tagOf(element))) count++;
    for (const attribute of element.attributes) if (isUnsafeAttribute(attribute.name, attribute.value)) count++;
  }
  return count;
}

function isHidden(element: Element): boolean {
  if (element.hasAttribute('hidden') || element.getAttribute('aria-hidden') === 'true') return true;
  const style = (element.getAttribute('style') ?? '').toLowerCase().replace(/\s+/g, '');
  return style.includes('display:none') || style.includes('visibility:hidden');
}

function insideArticle(element: Element): boolean {
  return element.parentElement?.closest('article, [itemprop="articleBody"]') != null;
}

/** Why `element` is page furniture, or `null`. */
export function furnitureReason(element: Element): DropReason | null {
  const tag = tagOf(element);
  if (PROTECTED_TAGS.has(tag)) return null;
  if (isHidden(element)) return 'hidden';
  // An element that holds the story (or its headline) is never furniture, whatever its class says
  // (a page's wrapper can be called "has-sidebar").
  if (element.querySelector('article, main, h1, [itemprop="articleBody"]') !== null) return null;
  const byName = furnitureReasonForNames([
    element.getAttribute('class'),
    element.getAttribute('id'),
    element.getAttribute('data-component'),
    element.getAttribute('data-module'),
    element.getAttribute('aria-label'),
  ]);
  if (byName !== null) return byName;
  const role = element.getAttribute('role');
  const byRole = role === null ? undefined : FURNITURE_ROLES[role];
  const byTag = byRole ?? FURNITURE_TAGS[tag];
  if (byTag !== undefined) {
    // Inside the article an aside is a fact box and a footer its notes: story text.
    if (byRole === undefined && (tag === 'aside' || tag === 'footer') && insideArticle(element)) return null;
    // A pop-up says what it is in its words ("We use cookies", "Sign in to keep reading").
    if (byTag === 'overlay') return furnitureReasonForLine(readableText(element).slice(0, 600)) ?? 'overlay';
    return byTag;
  }
  if (tag === 'header' && !insideArticle(element)) return 'page-header';
  return null;
}

/** Removes page furniture under `root` (recognised by element, role, class and id), reporting each piece with text. */
export function removeFurniture(root: Element, report: CleaningReport): void {
  const visit = (parent: Element) => {
    for (const child of [...parent.children]) {
      const reason = furnitureReason(child);
      if (reason === null) {
        visit(child);
        continue;
      }
      const text = readableText(child);
      if (text !== '') report.dropped.push({ reason, text });
      child.remove();
    }
  };
  visit(root);
}

/** Makes relative links absolute against `base` (the page's canonical address), when there is one. */
export function resolveLinks(root: Element, base: string | null): void {
  if (base === null || safeLinkHref(base) === null) return;
  for (const anchor of root.querySelectorAll('a[href]')) {
    const href = anchor.getAttribute('href') ?? '';
    if (/^[a-z][a-z0-9+.-]*:/i.test(href.trim())) continue;
    try {
      anchor.setAttribute('href', new URL(href, base).href);
    } catch {
      anchor.removeAttribute('href');
    }
  }
}

/** The sanitizer's configuration: the allow-list of `importRules.ts`, nothing else. */
export function sanitizerConfig(extraAttributes: readonly string[] = []): Config {
  return {
    ALLOWED_TAGS: [...ALLOWED_TAGS],
    ALLOWED_ATTR: [...ALLOWED_ATTRIBUTES, ...extraAttributes],
    ALLOWED_URI_REGEXP: ALLOWED_URI_PATTERN,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    ADD_FORBID_CONTENTS: [...FORBIDDEN_CONTENT_TAGS],
    KEEP_CONTENT: true,
  };
}

export type Sanitizer = (dirty: string) => Element;

/**
 * A sanitizer bound to `window`: DOMPurify with the shared allow-list, plus `safeLinkHref` on every
 * `href` (the same rule the schema applies when a link is parsed and rendered). Answers the
 * sanitized content as the `body` of an inert document.
 */
export function createSanitizer(window: WindowLike, extraAttributes: readonly string[] = []): Sanitizer {
  const purify = createDOMPurify(window);
  purify.addHook('uponSanitizeAttribute', (_node, event) => {
    if (event.attrName !== 'href') return;
    const safe = safeLinkHref(event.attrValue);
    if (safe === null) event.keepAttr = false;
    else event.attrValue = safe;
  });
  const config = { ...sanitizerConfig(extraAttributes), RETURN_DOM: true as const };
  return (dirty) => purify.sanitize(dirty, config);
}

/** The innermost block elements under `root` that hold text, in reading order. */
export function leafBlocks(root: Element): Element[] {
  const blocks: Element[] = [];
  for (const element of root.querySelectorAll('*')) {
    if (!BLOCK_TAGS.has(tagOf(element))) continue;
    if ([...element.querySelectorAll('*')].some((inner) => BLOCK_TAGS.has(tagOf(inner)))) continue;
    if (readableText(element) === '') continue;
    blocks.push(element);
  }
  return blocks;
}

/** Removes `element`, then any ancestor (below `root`) left without text. */
function removeWithEmptyAncestors(element: Element, root: Element): void {
  let parent: Element | null = element.parentElement;
  element.remove();
  while (parent !== null && parent !== root && normaliseSpace(parent.textContent ?? '') === '') {
    const next: Element | null = parent.parentElement;
    parent.remove();
    parent = next;
  }
}

/** Removes the text blocks that are furniture by their words (`classifyBlocks`), reporting each. */
export function dropFurnitureBlocks(root: Element, report: CleaningReport): void {
  const blocks = leafBlocks(root);
  const texts = blocks.map((block) => readableText(block));
  const verdicts = classifyBlocks(texts.map((text) => ({ text })));
  blocks.forEach((block, index) => {
    const verdict = verdicts[index];
    if (verdict === undefined || verdict.keep) return;
    report.dropped.push({ reason: verdict.reason, text: texts[index] ?? '' });
    removeWithEmptyAncestors(block, root);
  });
}

function renameElement(element: Element, tag: string): void {
  const replacement = element.ownerDocument.createElement(tag);
  while (element.firstChild) replacement.appendChild(element.firstChild);
  element.replaceWith(replacement);
}

/** Headings the story schema has (levels 2 to 4; level 1 is the headline): h1 becomes h2, h5 and h6 h4. */
export function normaliseHeadings(root: Element): void {
  for (const heading of root.querySelectorAll('h1, h5, h6'))
    renameElement(heading, tagOf(heading) === 'h1' ? 'h2' : 'h4');
}

/** Attributes ProseMirror puts on its own clipboard HTML (open ends of a copied slice); kept on paste. */
export const PASTE_EXTRA_ATTRIBUTES = ['data-pm-slice'] as const;

/**
 * Cleans pasted HTML for the editor: furniture out (unless it was copied from a story editor, whose
 * clipboard carries `data-pm-slice`), sanitized with the shared allow-list, headings mapped to the
 * schema's levels. Answers the clean HTML and what was dropped.
 */
export function cleanPastedHtml(
  html: string,
  window: CleaningWindow,
  sanitize: Sanitizer = createSanitizer(window, PASTE_EXTRA_ATTRIBUTES),
): { html: string; report: CleaningReport } {
  const parsed = new window.DOMParser().parseFromString(html, 'text/html');
  const report: CleaningReport = { dropped: [], unsafe: countUnsafe(parsed.documentElement) };
  // A <base> would change what every relative link means (and trips some DOM implementations).
  for (const base of [...parsed.getElementsByTagName('base')]) base.remove();
  const fromEditor = parsed.querySelector('[data-pm-slice]') !== null;
  if (!fromEditor) removeFurniture(parsed.body, report);
  const body = sanitize(parsed.body.innerHTML);
  if (!fromEditor) dropFurnitureBlocks(body, report);
  normaliseHeadings(body);
  return { html: body.innerHTML, report };
}
