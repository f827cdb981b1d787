/**
 * What an imported or pasted story may keep, in one place for the server's importer and the
 * editor's paste cleaning:
 *
 * - the allow-list of tags, attributes and URL schemes (the sanitizer's configuration on both
 *   sides: DOMPurify in the browser, DOMPurify over jsdom on the server);
 * - page furniture recognised by its element (navigation, cookie and sign-in notices, newsletter
 *   boxes, "most read" and "related" lists, share bars, ads, captions and credits, footers);
 * - page furniture recognised by its words, for plain text and for blocks the markup did not
 *   mark (a pasted "Advertisement" line, "Sign in" and the sign-in box after the story).
 *
 * Pure data and functions over strings: `htmlCleaning.ts` applies them to a DOM.
 */
import { LINK_PROTOCOLS } from './links.ts';

/** Limits of `POST /api/stories/import`. */
export const IMPORT_LIMITS = {
  /** Largest request body (a saved news page with its scripts is typically 0.3–1.5 MB). */
  requestBytes: 3 * 1024 * 1024,
  /** Most dropped blocks listed one by one in the answer (all are counted). */
  droppedListed: 200,
  /** Words of a dropped block quoted in the answer. */
  previewWords: 12,
  /** Characters of a dropped block quoted in the answer. */
  previewChars: 120,
} as const;

export const IMPORT_MEDIA_TYPES = ['text/plain', 'text/html', 'text/markdown'] as const;
export type ImportMediaType = (typeof IMPORT_MEDIA_TYPES)[number];

// ---- The allow-list ------------------------------------------------------------------------------

/**
 * Tags that survive sanitising. Those the story schema has (paragraphs, headings, quotes, lists,
 * links, emphasis, line breaks) plus structural containers that only keep blocks apart (a `div`
 * or table cell unwrapped into its parent would run two paragraphs together); the editor's
 * schema turns those into paragraphs.
 */
export const ALLOWED_TAGS = [
  'p',
  'br',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'ul',
  'ol',
  'li',
  'a',
  'em',
  'i',
  'strong',
  'b',
  'span',
  'div',
  'section',
  'article',
  'main',
  'pre',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'dl',
  'dt',
  'dd',
] as const;

/** Attributes that survive sanitising (on any allowed tag; `href` only where `safeLinkHref` accepts it). */
export const ALLOWED_ATTRIBUTES = ['href', 'title'] as const;

/** The URL schemes a link may use, as the sanitizer's URI pattern (same list as `safeLinkHref`). */
export const ALLOWED_URI_PATTERN = new RegExp(
  `^(?:${LINK_PROTOCOLS.map((protocol) => protocol.replace(':', '')).join('|')}):`,
  'i',
);

/**
 * Elements removed together with everything inside them (their text is never story text), beyond
 * DOMPurify's own list (script, style, template, iframe, svg, math, noscript, ...).
 */
export const FORBIDDEN_CONTENT_TAGS = [
  'button',
  'select',
  'option',
  'textarea',
  'object',
  'embed',
  'canvas',
  'picture',
  'video',
  'audio',
  'dialog',
  'head',
] as const;

/** Tags that are never safe, counted when an import or paste removes them. */
export const UNSAFE_TAGS = new Set([
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'link',
  'meta',
  'base',
  'form',
  'svg',
  'math',
  'template',
  'noscript',
]);

/** Attributes whose value is a URL the browser may load or follow. */
export const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'background']);

/** Whether an attribute is one the sanitizer removes because it can run code or restyle the page. */
export function isUnsafeAttribute(name: string, value: string): boolean {
  const lower = name.toLowerCase();
  if (lower.startsWith('on') || lower === 'style' || lower === 'srcdoc' || lower === 'formaction') return true;
  if (URL_ATTRIBUTES.has(lower)) {
    // Browsers ignore control characters and whitespace inside a scheme.
    const compact = [...value]
      .filter((char) => {
        const code = char.charCodeAt(0);
        return code > 0x20 && !(code >= 0x7f && code <= 0x9f);
      })
      .join('')
      .toLowerCase();
    return /^(?:javascript|vbscript|data|file):/.test(compact);
  }
  return false;
}

// ---- Why a block was dropped -----------------------------------------------------------------------

export const DROP_REASONS = [
  'navigation',
  'page-header',
  'page-footer',
  'cookie-notice',
  'sign-in',
  'newsletter',
  'related',
  'most-read',
  'share',
  'advertisement',
  'caption',
  'copyright',
  'comments',
  'sidebar',
  'controls',
  'hidden',
  'after-story',
  'overlay',
  'not-article',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** What each reason is called on screen. */
export const DROP_REASON_LABELS: Record<DropReason, string> = {
  navigation: 'Navigation or menu',
  'page-header': 'Page header',
  'page-footer': 'Page footer',
  'cookie-notice': 'Cookie notice',
  'sign-in': 'Sign-in notice',
  newsletter: 'Newsletter or subscription box',
  related: '“Related” list',
  'most-read': '“Most read” list',
  share: 'Share buttons',
  advertisement: 'Advertisement',
  caption: 'Photo caption or credit',
  copyright: 'Copyright notice',
  comments: 'Comments',
  sidebar: 'Sidebar',
  controls: 'Form or button',
  hidden: 'Hidden text',
  'after-story': 'Site text after the story',
  overlay: 'Pop-up or overlay',
  'not-article': 'Not part of the article',
};

// ---- Furniture recognised by its element -----------------------------------------------------------

/** Elements that are page furniture whatever their class. */
export const FURNITURE_TAGS: Readonly<Record<string, DropReason>> = {
  nav: 'navigation',
  aside: 'sidebar',
  footer: 'page-footer',
  figcaption: 'caption',
  form: 'controls',
  button: 'controls',
  select: 'controls',
  textarea: 'controls',
  label: 'controls',
  dialog: 'overlay',
};

/** ARIA landmark roles that are page furniture. */
export const FURNITURE_ROLES: Readonly<Record<string, DropReason>> = {
  navigation: 'navigation',
  banner: 'page-header',
  contentinfo: 'page-footer',
  complementary: 'sidebar',
  search: 'navigation',
  menu: 'navigation',
  menubar: 'navigation',
  dialog: 'overlay',
  alertdialog: 'overlay',
};

/**
 * Words in an element's class, id, data-component or aria-label that mark it as furniture. Words
 * are matched whole, with `-` and `_` as separators ("share-bar" matches `share`, "shadow" does
 * not match `ad`); the first rule that matches names the reason.
 */
const FURNITURE_WORDS: readonly [RegExp, DropReason][] = [
  [/^(cookies?|consent|gdpr|cmp|onetrust|privacy-banner)$/, 'cookie-notice'],
  [/^(newsletters?|subscribe|subscription|signup|paywall|regwall|piano|inline-signup)$/, 'newsletter'],
  [/^(signin|login|log-in|sign-in|account|registration|register|auth)$/, 'sign-in'],
  [/^(mostread|most-read|most-popular|most-viewed|popular|trending|top-stories)$/, 'most-read'],
  [
    /^(related|recommended|recommendations|read-more|readmore|read-next|more-stories|more-from|outbrain|taboola|also-read|next-up|teasers?)$/,
    'related',
  ],
  [/^(share|sharing|sharebar|share-bar|share-buttons|social|social-share|sharetools)$/, 'share'],
  [
    /^(ad|ads|adv|advert|adverts|advertisement|advertising|adslot|ad-slot|dfp|gpt|sponsor|sponsored|promo|banner-ad)$/,
    'advertisement',
  ],
  [/^(caption|captions|figcaption|credit|credits|photo-credit|image-credit|media-credit|wp-caption-text)$/, 'caption'],
  [/^(copyright|legal|colophon)$/, 'copyright'],
  [/^(comments?|discussion|disqus|respond)$/, 'comments'],
  [/^(breadcrumbs?|menu|nav|navbar|navigation|masthead|site-header|skip-link|skiplink|topbar|top-bar)$/, 'navigation'],
  [/^(sidebar|side-bar|rail|right-rail|widget)$/, 'sidebar'],
  [/^(site-footer|page-footer)$/, 'page-footer'],
];

/** Splits a class list, id or label into words and compound words ("share-bar" gives "share", "bar", "share-bar"). */
function furnitureTerms(value: string): string[] {
  const terms: string[] = [];
  const tokens = value.toLowerCase().split(/[\s,]+/);
  // Labels are words: "Sign in to ..." also reads as "sign-in".
  for (let i = 0; i + 1 < tokens.length; i++) terms.push(`${tokens[i]}-${tokens[i + 1]}`);
  for (const token of tokens) {
    if (token === '') continue;
    const parts = token.split(/[-_]+/).filter((part) => part !== '');
    terms.push(token.replaceAll('_', '-'), ...parts);
    for (let i = 0; i + 1 < parts.length; i++) terms.push(`${parts[i]}-${parts[i + 1]}`);
  }
  return terms;
}

/** The reason an element is furniture judged by its class, id, data-component and aria-label, or `null`. */
export function furnitureReasonForNames(names: readonly (string | null)[]): DropReason | null {
  const terms = names.flatMap((name) => (name ? furnitureTerms(name) : []));
  if (terms.length === 0) return null;
  for (const [pattern, reason] of FURNITURE_WORDS) {
    if (terms.some((term) => pattern.test(term))) return reason;
  }
  return null;
}

// ---- Furniture recognised by its words -------------------------------------------------------------

/** Lines longer than this are prose, never furniture by their words alone. */
const SHORT_LINE = 160;

const SHARE_WORD =
  '(?:share|tweet|email|e-mail|print|copy link|comment|save|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|telegram|bluesky|threads|flipboard|messenger)';

/** "Share", "Share this article", "Share on Facebook", or a network's name. */
const SHARE_ITEM = `(?:share(?: this(?: article| story| page| post)?)?(?: (?:on|via|to) ${SHARE_WORD})?|${SHARE_WORD})`;

/** Whole-line patterns of furniture, each with its reason. */
const FURNITURE_LINES: readonly [RegExp, DropReason][] = [
  [
    /^(advertisement|advertising|ad|sponsored|sponsored content|paid content|paid post|story continues below( advertisement)?|scroll to continue( with content)?|article continues below)$/i,
    'advertisement',
  ],
  [new RegExp(`^share(?: this(?: article| story| page| post)?)?(?: (?:on|via|to) ${SHARE_WORD})?:?$`, 'i'), 'share'],
  [new RegExp(`^${SHARE_ITEM}([\\s|•·,/]+${SHARE_ITEM})+:?$`, 'i'), 'share'],
  [/^(©|\(c\)\s*\d{4}|copyright\s*(©|\(c\))?\s*\d{4})/i, 'copyright'],
  [/\ball rights reserved\.?$/i, 'copyright'],
  [
    /\b(we use cookies|this (web)?site uses cookies|uses cookies to|accept (all )?cookies|cookie (policy|settings|preferences)|manage (your )?(consent|cookies|privacy settings))\b/i,
    'cookie-notice',
  ],
  [/^(sign up|subscribe)\b.*\b(newsletter|inbox|updates|briefing|emails?)\b/i, 'newsletter'],
  [/\bnewsletter\b.*\b(sign up|subscribe|inbox)\b/i, 'newsletter'],
  [
    /^(subscribe( now| today| for \S+.*)?|become a (member|subscriber)|support (our|independent) journalism.*|unsubscribe.*|view (this email )?in (your )?browser)$/i,
    'newsletter',
  ],
  [
    /^(sign in|log in|login|log into your .*account.*|register|create (a |an |your )?(free )?account.*|already (a subscriber|have an account).*)$/i,
    'sign-in',
  ],
  [/^(sign in|log in) (to|with|for) .{0,90}$/i, 'sign-in'],
  [
    /^(skip to (main )?content|skip navigation|menu|main menu|search|open menu|close menu|home|back to top)$/i,
    'navigation',
  ],
  [/\((ap|afp|reuters|getty|epa|upi) ?(photo|images?)\b[^)]*\)\.?$/i, 'caption'],
  [/\((photo|image|photograph|picture|video)s?( by| credit| courtesy)[^)]*\)\.?$/i, 'caption'],
  [
    /^((photo|image|picture|photograph|illustration|graphic|video)( credit)?|credit|source: (getty|ap|reuters))\s*[:|].{0,120}$/i,
    'caption',
  ],
  [/^(photo|image|illustration)s? by .{0,80}$/i, 'caption'],
  [/[/|]\s*(getty images|ap photo|reuters|afp|shutterstock|epa|alamy|bloomberg)\)?\.?$/i, 'caption'],
];

/** Lines that, after the story has run, start the site's own text (sign-in boxes, lists, comments). */
const TRAILER_LINES: readonly [RegExp, DropReason][] = [
  [
    /^(sign in|log in|login|sign in to continue|create (a |your )?free account|register|already a subscriber\??)$/i,
    'sign-in',
  ],
  [
    /^(most (read|popular|viewed|shared|emailed)( stories| articles)?|trending( now| stories)?|popular( now| stories)?|top stories)$/i,
    'most-read',
  ],
  [
    /^(related( stories| articles| coverage| content| topics| reading)?|more (from|on|about) .{1,60}|more stories|more news|read (more|next)|up next|recommended( for you| stories)?|you (may|might) (also )?like|editors?'?’?s? picks|around the web|from our partners|sponsored (stories|links))$/i,
    'related',
  ],
  [
    /^(comments?( \(\d+\))?|\d+ comments?|join the (conversation|discussion)|leave a (comment|reply)|show comments)$/i,
    'comments',
  ],
  [/^(newsletter|sign up for .{1,60}|get our .{0,40}newsletter)$/i, 'newsletter'],
];

/** Menus written out as one line: "Home | World | Politics | Business". */
function isMenuLine(text: string): boolean {
  const items = text.split(/\s*[|•·»›]\s*|\s{3,}|\s+\/\s+/).filter((item) => item !== '');
  return items.length >= 4 && items.every((item) => item.split(/\s+/).length <= 3 && !/[.!?]$/.test(item));
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Why a single line (or block of text) is furniture by its words alone, or `null` when it may be story text. */
export function furnitureReasonForLine(raw: string): DropReason | null {
  const text = normalise(raw).replace(/:$/, '');
  if (text === '') return null;
  if (text.length > SHORT_LINE) {
    // Long text is story text, except a cookie notice, which can run long.
    if (
      text.length < 600 &&
      FURNITURE_LINES.some(([pattern, reason]) => reason === 'cookie-notice' && pattern.test(text))
    ) {
      return 'cookie-notice';
    }
    return null;
  }
  for (const [pattern, reason] of FURNITURE_LINES) if (pattern.test(text)) return reason;
  if (isMenuLine(text)) return 'navigation';
  return null;
}

/** Whether a line is a heading of the site's own text that may follow a story ("Sign in", "Most read"). */
export function trailerReasonForLine(raw: string): DropReason | null {
  const text = normalise(raw).replace(/:$/, '');
  if (text.length === 0 || text.length > 80) return null;
  for (const [pattern, reason] of TRAILER_LINES) if (pattern.test(text)) return reason;
  return null;
}

/** A short line that does not read as a sentence: a headline in a list of links, a menu entry. */
export function isHeadlineLike(raw: string): boolean {
  const text = normalise(raw);
  if (text.length === 0) return true;
  return text.length <= 140 && text.split(' ').length <= 22 && !/[.!?;:"”’)]$/.test(text);
}

/** One block of text as the rules see it. */
export interface TextBlock {
  text: string;
}

/** The verdict on one block: kept, or dropped with a reason. */
export type BlockVerdict = { keep: true } | { keep: false; reason: DropReason };

/**
 * Decides which blocks of a story (in reading order) are furniture:
 * - a block whose words are furniture ("Advertisement", "Share on Facebook", "© 2025 ...");
 * - a trailer heading ("Sign in", "Most read", "Related stories") once at least half of the text
 *   has gone by: it and everything after it are the site's, not the story's (see the seed story:
 *   everything from "Sign in" on is the site's sign-in box);
 * - a trailer heading earlier on: it and the headline-like lines right after it (the list it
 *   heads), up to the next line that reads as prose.
 */
export function classifyBlocks(blocks: readonly TextBlock[]): BlockVerdict[] {
  const verdicts: BlockVerdict[] = blocks.map(() => ({ keep: true }));
  const lengths = blocks.map((block) => normalise(block.text).length);
  const total = lengths.reduce((sum, length) => sum + length, 0);
  let before = 0;
  for (let index = 0; index < blocks.length; index++) {
    const text = (blocks[index] as TextBlock).text;
    const trailer = trailerReasonForLine(text);
    if (trailer !== null) {
      if (before >= total / 2) {
        // The list right after the heading is the heading's ("Related" and its links).
        let listed = true;
        for (let rest = index; rest < blocks.length; rest++) {
          const restText = (blocks[rest] as TextBlock).text;
          listed &&= rest === index || isHeadlineLike(restText);
          const reason = rest === index || listed ? trailer : (furnitureReasonForLine(restText) ?? 'after-story');
          verdicts[rest] = { keep: false, reason };
        }
        return verdicts;
      }
      verdicts[index] = { keep: false, reason: trailer };
      let next = index + 1;
      while (next < blocks.length && isHeadlineLike((blocks[next] as TextBlock).text)) {
        verdicts[next] = { keep: false, reason: trailer };
        before += lengths[next] ?? 0;
        next++;
      }
      before += lengths[index] ?? 0;
      index = next - 1;
      continue;
    }
    const reason = furnitureReasonForLine(text);
    if (reason !== null) verdicts[index] = { keep: false, reason };
    before += lengths[index] ?? 0;
  }
  return verdicts;
}

// ---- Plain text --------------------------------------------------------------------------------------

/** A block of a plain-text story. */
export interface PlainBlock {
  kind: 'paragraph' | 'bullet' | 'ordered' | 'quote';
  text: string;
}

const BULLET = /^\s*[-*•–]\s+/;
const ORDERED = /^\s*\d{1,3}[.)]\s+/;
const QUOTE = /^\s*>\s?/;

function plainBlock(line: string): PlainBlock {
  if (BULLET.test(line)) return { kind: 'bullet', text: line.replace(BULLET, '').trim() };
  if (ORDERED.test(line)) return { kind: 'ordered', text: line.replace(ORDERED, '').trim() };
  if (QUOTE.test(line)) return { kind: 'quote', text: line.replace(QUOTE, '').trim() };
  return { kind: 'paragraph', text: normalise(line) };
}

/** Whether the lines of a chunk are one paragraph wrapped at a fixed width (as in emails). */
function isHardWrapped(lines: string[]): boolean {
  if (lines.length < 2) return false;
  if (lines.some((line) => BULLET.test(line) || ORDERED.test(line))) return false;
  const longest = Math.max(...lines.map((line) => line.length));
  if (longest > 100 || longest < 30) return false;
  return lines.slice(0, -1).every((line) => line.length >= longest * 0.55);
}

/**
 * Splits plain text into blocks: one per line, or one per blank-line-separated paragraph whose
 * lines are wrapped at a fixed width. List items (`- `, `* `, `1. `) and quotes (`> `) are marked.
 */
export function splitPlainText(input: string): PlainBlock[] {
  const text = input.replace(/\r\n?/g, '\n').replace(/\u00a0/g, ' ');
  const blocks: PlainBlock[] = [];
  for (const chunk of text.split(/\n[ \t]*\n/)) {
    const lines = chunk.split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0) continue;
    if (isHardWrapped(lines)) {
      const first = plainBlock(lines[0] as string);
      blocks.push({ kind: first.kind, text: normalise([first.text, ...lines.slice(1)].join(' ')) });
    } else {
      for (const line of lines) blocks.push(plainBlock(line));
    }
  }
  return blocks.filter((block) => block.text !== '');
}

/**
 * Whether the first block of a plain-text story is its headline: short, more text after it, and
 * not a sentence (headlines carry no full stop).
 */
export function looksLikeHeadline(first: string, blocksAfter: number): boolean {
  const text = normalise(first);
  return (
    blocksAfter > 0 && text.length > 0 && text.length <= 160 && text.split(' ').length <= 25 && !/[.!…"”]$/.test(text)
  );
}

/** Whether a block is a byline ("By Jane Doe, Harbour correspondent"). */
export function looksLikeByline(raw: string): boolean {
  const text = normalise(raw);
  return text.length <= 120 && /^[Bb]y\s+\p{Lu}/u.test(text) && !/[.!?]$/.test(text);
}

/** The first words of a block, as quoted in the answer of an import. */
export function previewOf(text: string): string {
  const words = normalise(text).split(' ');
  let preview = words.slice(0, IMPORT_LIMITS.previewWords).join(' ');
  if (preview.length > IMPORT_LIMITS.previewChars) preview = preview.slice(0, IMPORT_LIMITS.previewChars - 1).trimEnd();
  return preview.length < normalise(text).length ? `${preview}…` : preview;
}

export function wordCount(text: string): number {
  const normalised = normalise(text);
  return normalised === '' ? 0 : normalised.split(' ').length;
}
