/**
 * Turns a pasted or uploaded story (plain text, HTML page or fragment, Markdown) into a headline,
 * an optional byline and a ProseMirror document of the story schema, and says what it left out.
 *
 * HTML: parsed by jsdom (no scripts run, nothing is fetched); page furniture removed by element
 * and class (`shared/htmlCleaning.ts`); on a whole page, Mozilla's Readability picks the article
 * and whatever it left out is reported as "not part of the article"; then the shared sanitizer,
 * the word rules, and the schema's own parser (which keeps only what the schema has).
 * Markdown: rendered by markdown-it, then treated as an HTML fragment.
 * Plain text: split into lines or paragraphs (`splitPlainText`), then the word rules.
 */
import { Readability } from '@mozilla/readability';
import type { WindowLike } from 'dompurify';
import { JSDOM, VirtualConsole } from 'jsdom';
import MarkdownIt from 'markdown-it';
import { type Node as ProseMirrorNode, DOMParser as ProseMirrorParser } from 'prosemirror-model';
import { META_LIMITS } from '../../shared/documentLayout.ts';
import {
  type CleaningReport,
  countUnsafe,
  createSanitizer,
  dropFurnitureBlocks,
  leafBlocks,
  normaliseHeadings,
  normaliseSpace,
  readableText,
  removeFurniture,
  resolveLinks,
} from '../../shared/htmlCleaning.ts';
import {
  classifyBlocks,
  type ImportMediaType,
  looksLikeByline,
  looksLikeHeadline,
  type PlainBlock,
  splitPlainText,
} from '../../shared/importRules.ts';
import { safeLinkHref } from '../../shared/links.ts';
import { storySchema } from '../../shared/schema.ts';

export interface ImportedStory {
  /** The headline found in the text, or `null`. */
  title: string | null;
  titleFrom: 'headline' | 'page-title' | null;
  byline: string | null;
  doc: ProseMirrorNode;
  report: CleaningReport;
}

const markdown = new MarkdownIt({ html: true, linkify: false, typographer: false });

/** Whitespace removed, lower case: for "is this text in that text" across different markup. */
function compact(text: string): string {
  return text.replace(/\s+/g, '').toLowerCase();
}

function clip(text: string, limit: number): string {
  const normalised = normaliseSpace(text);
  return normalised.length <= limit ? normalised : `${normalised.slice(0, limit - 1).trimEnd()}…`;
}

/** The page's canonical address (to make relative links absolute), if it gives one. */
function canonicalAddress(doc: Document): string | null {
  const candidates = [
    doc.querySelector('link[rel="canonical"]')?.getAttribute('href'),
    doc.querySelector('meta[property="og:url"]')?.getAttribute('content'),
  ];
  for (const candidate of candidates) {
    const safe = safeLinkHref(candidate);
    if (safe?.startsWith('http')) return safe;
  }
  return null;
}

/** The page's own title (og:title, or <title> without the site's name). */
function pageTitle(doc: Document): string | null {
  const og = doc.querySelector('meta[property="og:title"]')?.getAttribute('content');
  if (og && normaliseSpace(og) !== '') return normaliseSpace(og);
  const title = normaliseSpace(doc.querySelector('title')?.textContent ?? '');
  if (title === '') return null;
  // "Story headline | Site name", "Story headline - Site name"
  const parts = title.split(/\s+[|\-–—:·]\s+/);
  return parts.reduce((longest, part) => (part.length > longest.length ? part : longest), '');
}

/**
 * The story's headline element: an h1 in the article if there is one, otherwise the first h1
 * outside the site's own header, navigation and footer (a site logo is often an h1).
 */
function headlineElement(doc: Document): Element | null {
  const inArticle = doc.querySelector('article h1, main h1, [itemprop="articleBody"] h1, [itemprop="headline"]');
  if (inArticle !== null && readableText(inArticle) !== '') return inArticle;
  for (const h1 of doc.querySelectorAll('h1')) {
    if (readableText(h1) === '') continue;
    if (h1.closest('nav, footer, aside, [role="banner"], [role="navigation"]') !== null) continue;
    const header = h1.closest('header');
    if (header !== null && header.closest('article') === null && doc.querySelector('article') !== null) continue;
    return h1;
  }
  return null;
}

function bylineOf(doc: Document): string | null {
  const element = doc.querySelector('[rel="author"], [itemprop="author"], .byline, .author');
  const text = normaliseSpace(element?.textContent ?? '');
  return text === '' ? null : text;
}

const INERT_BEFORE_PARSING = /<(\/?)(base|iframe|frame|frameset)\b/gi;

/**
 * What a frame or <base> tag becomes before parsing. Void ones stay void (an inert <link>, which
 * loads nothing: jsdom fetches no resources here), so they cannot swallow the page that follows;
 * the others become unknown elements closed by their own end tags.
 */
function inertTag(_match: string, slash: string, tag: string): string {
  const lower = tag.toLowerCase();
  if (lower === 'base' || lower === 'frame') return slash ? `</x-${lower}` : `<link data-inert="${lower}"`;
  return `<${slash}x-${lower}`;
}

function importHtml(html: string, page: boolean): ImportedStory {
  // A console of its own: the page's broken CSS and markup are not the server's errors. Elements
  // that would make jsdom open a browsing context of its own (frames) or change what relative links
  // mean (<base>) become inert elements before parsing (`inertTag`); they go with the scripts.
  const dom = new JSDOM(html.replace(INERT_BEFORE_PARSING, inertTag), {
    contentType: 'text/html',
    virtualConsole: new VirtualConsole(),
  });
  try {
    const { window } = dom;
    const doc = window.document;
    const report: CleaningReport = { dropped: [], unsafe: countUnsafe(doc.documentElement) };
    // Never text: out before anything reads the page's text. (Counted as unsafe above; an inert
    // <link> counted as a link, frames counted here.)
    report.unsafe += doc.querySelectorAll('x-iframe, x-frameset').length;
    const inert = 'link[data-inert], x-iframe, x-frameset';
    for (const element of doc.querySelectorAll(`script, style, noscript, template, ${inert}`)) element.remove();
    const base = canonicalAddress(doc);
    const fromPage = page ? pageTitle(doc) : null;

    let title: string | null = null;
    let titleFrom: ImportedStory['titleFrom'] = null;
    const headline = headlineElement(doc);
    if (headline !== null) {
      title = clip(readableText(headline), META_LIMITS.title);
      titleFrom = 'headline';
      headline.remove();
    } else if (fromPage !== null && fromPage !== '') {
      title = clip(fromPage, META_LIMITS.title);
      titleFrom = 'page-title';
    }
    let byline = bylineOf(doc);

    removeFurniture(doc.body, report);
    resolveLinks(doc.body, base);

    let source = doc.body.innerHTML;
    if (page) {
      // Readability changes the document it reads: give it a copy.
      let article: ReturnType<Readability['parse']> = null;
      try {
        article = new Readability(doc.cloneNode(true) as Document, { charThreshold: 200, keepClasses: false }).parse();
      } catch {
        // A page Readability cannot read is imported whole (its furniture removed all the same).
      }
      const container = doc.createElement('div');
      container.innerHTML = article?.content ?? '';
      const articleText = compact(container.textContent ?? '');
      if (articleText.length >= 100) {
        if (article?.byline) byline = normaliseSpace(article.byline);
        const articleBlocks = new Set(leafBlocks(container).map((block) => compact(readableText(block))));
        for (const block of leafBlocks(doc.body)) {
          const text = readableText(block);
          const key = compact(text);
          // Readability regroups blocks: long text counts as kept wherever it went, short text
          // ("Harbour", a date) only as a block of its own.
          if (articleBlocks.has(key) || (key.length >= 40 && articleText.includes(key))) continue;
          // The byline is kept, in the story's byline.
          if (byline !== null && compact(byline) === key) continue;
          report.dropped.push({ reason: 'not-article', text });
        }
        source = container.innerHTML;
      }
    }

    // jsdom's window has what DOMPurify needs; its type is jsdom's own DOMWindow.
    const sanitize = createSanitizer(window as unknown as WindowLike);
    const body = sanitize(source);
    dropFurnitureBlocks(body, report);
    normaliseHeadings(body);
    const parsed = ProseMirrorParser.fromSchema(storySchema).parse(body);
    return {
      title,
      titleFrom,
      byline: byline === null ? null : clip(byline, META_LIMITS.byline),
      doc: parsed,
      report,
    };
  } finally {
    try {
      dom.window.close();
    } catch {
      // jsdom counts frames it no longer has once their iframes are removed; nothing is left open.
    }
  }
}

function textNodes(text: string) {
  return [{ type: 'text', text }];
}

/** Consecutive list items become one list, consecutive quoted lines one quote. */
function plainBlocksToJson(blocks: PlainBlock[]): unknown[] {
  const content: { type: string; content: unknown[] }[] = [];
  const containerOf: Record<PlainBlock['kind'], string | null> = {
    paragraph: null,
    bullet: 'bullet_list',
    ordered: 'ordered_list',
    quote: 'blockquote',
  };
  for (const block of blocks) {
    const paragraph = { type: 'paragraph', content: textNodes(block.text) };
    const container = containerOf[block.kind];
    if (container === null) {
      content.push(paragraph);
      continue;
    }
    const item = container === 'blockquote' ? paragraph : { type: 'list_item', content: [paragraph] };
    const last = content.at(-1);
    if (last?.type === container) last.content.push(item);
    else content.push({ type: container, content: [item] });
  }
  return content;
}

function importPlainText(text: string): ImportedStory {
  const blocks = splitPlainText(text);
  const verdicts = classifyBlocks(blocks);
  const report: CleaningReport = { dropped: [], unsafe: 0 };
  const kept: PlainBlock[] = [];
  blocks.forEach((block, index) => {
    const verdict = verdicts[index];
    if (verdict === undefined || verdict.keep) kept.push(block);
    else report.dropped.push({ reason: verdict.reason, text: block.text });
  });
  let title: string | null = null;
  const first = kept[0];
  if (first !== undefined && first.kind === 'paragraph' && looksLikeHeadline(first.text, kept.length - 1)) {
    title = clip(first.text, META_LIMITS.title);
    kept.shift();
  }
  const content = plainBlocksToJson(kept);
  const doc = storySchema.nodeFromJSON({
    type: 'doc',
    content: content.length > 0 ? content : [{ type: 'paragraph' }],
  });
  return { title, titleFrom: title === null ? null : 'headline', byline: null, doc, report };
}

/** Whether HTML is a whole page (rather than a fragment copied out of one). */
function isWholePage(html: string): boolean {
  return (
    /<!doctype|<html[\s>]|<head[\s>]|<body[\s>]/i.test(html.slice(0, 5000)) || /<(article|main|nav)[\s>]/i.test(html)
  );
}

function withoutFirstBlock(doc: ProseMirrorNode): ProseMirrorNode {
  const rest = doc.content.cut(doc.child(0).nodeSize);
  return doc.type.create(null, rest.childCount > 0 ? rest : storySchema.nodes.paragraph?.create());
}

/**
 * The story's first block, when it is the headline (a fragment without an h1: a bold first line),
 * a repeat of the headline, or a byline ("By ..."), moves out of the body into the headline and
 * byline.
 */
function liftHeadlineAndByline(story: ImportedStory): ImportedStory {
  let { doc, title, titleFrom, byline } = story;
  const firstText = () =>
    doc.childCount > 1 && doc.child(0).isTextblock ? normaliseSpace(doc.child(0).textContent) : null;
  let first = firstText();
  if (first !== null && title === null && looksLikeHeadline(first, doc.childCount - 1)) {
    title = clip(first, META_LIMITS.title);
    titleFrom = 'headline';
    doc = withoutFirstBlock(doc);
  } else if (first !== null && title !== null && compact(first) === compact(title)) {
    doc = withoutFirstBlock(doc);
  }
  first = firstText();
  if (first !== null && (byline === null ? looksLikeByline(first) : compact(first) === compact(byline))) {
    byline = clip(first, META_LIMITS.byline);
    doc = withoutFirstBlock(doc);
  }
  return { ...story, doc, title, titleFrom, byline };
}

/** Imports one story body of the given media type. */
export function importStory(body: string, mediaType: ImportMediaType): ImportedStory {
  switch (mediaType) {
    case 'text/plain':
      return liftHeadlineAndByline(importPlainText(body));
    case 'text/markdown':
      return liftHeadlineAndByline(importHtml(markdown.render(body), false));
    case 'text/html':
      return liftHeadlineAndByline(importHtml(body, isWholePage(body)));
  }
}

/** The first words of the story, for a headline when it has none. */
export function headlineFromText(doc: ProseMirrorNode): string {
  let first = '';
  doc.descendants((node) => {
    if (first !== '') return false;
    if (node.isTextblock) {
      first = normaliseSpace(node.textContent);
      return false;
    }
    return true;
  });
  const sentence = /^.+?[.!?](?=\s|$)/.exec(first)?.[0] ?? first;
  if (sentence.length <= 100) return sentence;
  const cut = sentence.slice(0, 100);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 60)).trimEnd()}…`;
}
