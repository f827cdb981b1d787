/**
 * Sentences and attribution. Sentences are not stored: they are computed per paragraph with
 * `Intl.Segmenter` and a pass that re-joins its known wrong splits after abbreviations ("Mr.",
 * "Sen.", "Lt. Col.", "Jan.", "U.S." before a capitalised word). The attribution detector marks
 * sentences that attribute information to someone ("said", "told reporters", "according to",
 * "reported", "wrote in a post", quotations): those need a source.
 */

export interface SentenceSpan {
  /** Offsets within the paragraph's text, trailing spaces excluded. */
  start: number;
  end: number;
  text: string;
}

/** Abbreviations after which a period does not end a sentence when a capitalised word follows. */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'sen',
  'rep',
  'gov',
  'lt',
  'col',
  'gen',
  'maj',
  'capt',
  'cpt',
  'sgt',
  'cpl',
  'adm',
  'cmdr',
  'lt. col',
  'lt. gen',
  'maj. gen',
  'brig. gen',
  'rev',
  'hon',
  'pres',
  'supt',
  'insp',
  'st',
  'ft',
  'mt',
  'jr',
  'sr',
  'no',
  'nos',
  'vol',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'u.s',
  'u.k',
  'u.n',
  'e.u',
  'd.c',
  'inc',
  'corp',
  'co',
  'ltd',
  'dept',
  'univ',
  'approx',
  'vs',
]);

let segmenter: Intl.Segmenter | null = null;

/** Whether `before` (a segment's text) ends with an abbreviation's period. */
function endsWithAbbreviation(before: string): boolean {
  const match = /(?:^|[\s(“"'‘])((?:[A-Za-z]{1,5}\.)+)$/.exec(before.trimEnd());
  if (!match?.[1]) return false;
  const word = match[1].slice(0, -1).toLowerCase();
  if (ABBREVIATIONS.has(word)) return true;
  // "Lt. Col." and the like: check the last two words together too.
  const two = /([A-Za-z]{1,5}\.\s[A-Za-z]{1,5})\.$/.exec(before.trimEnd());
  if (two?.[1] && ABBREVIATIONS.has(two[1].toLowerCase())) return true;
  // Initials such as "J." in "John F. Kennedy" or "U.S." spelled with periods.
  return /^([A-Za-z]\.)+[A-Za-z]?$/.test(`${match[1]}`.slice(0, -1)) && match[1].length <= 8;
}

/** The sentences of one paragraph. */
export function splitSentences(paragraph: string): SentenceSpan[] {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'sentence' });
  const raw: { start: number; end: number }[] = [];
  for (const part of segmenter.segment(paragraph)) {
    raw.push({ start: part.index, end: part.index + part.segment.length });
  }
  // Re-join splits after abbreviations when the next piece starts with a capital letter (a name).
  const joined: { start: number; end: number }[] = [];
  for (const piece of raw) {
    const previous = joined.at(-1);
    const next = paragraph.slice(piece.start).trimStart();
    if (previous && /^[A-Z]/.test(next) && endsWithAbbreviation(paragraph.slice(previous.start, previous.end))) {
      previous.end = piece.end;
    } else {
      joined.push({ ...piece });
    }
  }
  const spans: SentenceSpan[] = [];
  for (const piece of joined) {
    const text = paragraph.slice(piece.start, piece.end);
    const leading = text.length - text.trimStart().length;
    const trimmed = text.trim();
    if (trimmed.length === 0) continue;
    spans.push({ start: piece.start + leading, end: piece.start + leading + trimmed.length, text: trimmed });
  }
  return spans;
}

const SPEECH_VERBS =
  'said|says|say|told|tells|tell|wrote|writes|write|stated|states|added|adds|explained|explains|noted|notes|argued|argues|claimed|claims|announced|announces|confirmed|confirms|insisted|insists|warned|warns|acknowledged|acknowledges|admitted|admits|denied|denies|asserted|asserts|alleged|alleges|testified|testifies|tweeted|posted|reported|reports|according';

const ATTRIBUTION_PATTERNS: RegExp[] = [
  // "X said", "said X", "told reporters", "wrote in a post", "ABC News reported"
  new RegExp(`\\b(?:${SPEECH_VERBS})\\b`, 'i'),
  /\baccording to\b/i,
  /\b(?:a |an |the )?(?:spokes(?:person|woman|man)|representative|aide|official|source)s? (?:for|at|with|from) /i,
  /\bin a (?:statement|post|tweet|email|e-mail|letter|memo|interview|filing|press release|news conference|briefing)\b/i,
  /\b(?:sources?|officials?|people) (?:familiar with|close to|briefed on)\b/i,
  /\bcited\b|\bciting\b/i,
];

/** A direct quotation: quoted text of at least three words. */
const QUOTATION = /[“"]([^”"]+)[”"]/g;

function hasQuotation(sentence: string): boolean {
  for (const match of sentence.matchAll(QUOTATION)) {
    if ((match[1] ?? '').trim().split(/\s+/).length >= 3) return true;
  }
  return false;
}

/** Whether a sentence attributes information to someone (a person, an outlet, a document). */
export function isAttributed(sentence: string): boolean {
  return hasQuotation(sentence) || ATTRIBUTION_PATTERNS.some((pattern) => pattern.test(sentence));
}
