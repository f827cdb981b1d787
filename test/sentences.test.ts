/**
 * Sentence splitting and the attribution detector, on the real pasted story and on our own varied
 * examples.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAttributed, splitSentences } from '../shared/sentences.ts';

const SEED = new URL('../../shared/fixtures/seed-article.txt', import.meta.url);

describe('splitSentences', () => {
  it('splits at sentence ends but not after abbreviations before a name', () => {
    const text =
      'Sen. Maria Ortega said Tuesday the vote would go ahead. Lt. Col. James Park disagreed. The U.S. Army declined to comment. It was Jan. Smith who called.';
    expect(splitSentences(text).map((sentence) => sentence.text)).toEqual([
      'Sen. Maria Ortega said Tuesday the vote would go ahead.',
      'Lt. Col. James Park disagreed.',
      'The U.S. Army declined to comment.',
      'It was Jan. Smith who called.',
    ]);
  });

  it('gives offsets into the paragraph that cut out exactly the sentence', () => {
    const text = '  First one.  Second one?   Third!  ';
    for (const sentence of splitSentences(text)) expect(text.slice(sentence.start, sentence.end)).toBe(sentence.text);
    expect(splitSentences(text)).toHaveLength(3);
  });

  it('keeps a quotation that ends a sentence inside that sentence', () => {
    const text = '“We are done,” she said. Talks resumed on Monday.';
    expect(splitSentences(text).map((sentence) => sentence.text)).toEqual([
      '“We are done,” she said.',
      'Talks resumed on Monday.',
    ]);
  });
});

describe('isAttributed', () => {
  it.each([
    'The mayor said the budget was balanced.',
    '“We will not back down,” the union leader told reporters.',
    'According to the filing, revenue fell 12%.',
    'ABC News reported that the draft had been cut.',
    'She wrote in a post on X that the talks were productive.',
    'A spokesperson for the ministry declined to comment.',
    'Officials familiar with the plan described it as a framework.',
    'Delegates say the document was cut down.',
    'The police chief confirmed two arrests.',
  ])('flags: %s', (sentence) => {
    expect(isAttributed(sentence)).toBe(true);
  });

  it.each([
    'The talks resumed on Monday.',
    'The bridge opened in 1932.',
    'Rain is expected later in the week.',
    'The council meets every second Tuesday.',
  ])('leaves narration alone: %s', (sentence) => {
    expect(isAttributed(sentence)).toBe(false);
  });

  it('flags every attributed sentence of the real pasted story', () => {
    const article = readFileSync(SEED, 'utf8').split('\n');
    const body = article.slice(
      0,
      article.findIndex((line) => line.startsWith('Sign in')),
    );
    const sentences = body.flatMap((paragraph) => splitSentences(paragraph).map((sentence) => sentence.text));
    const expectedAttributed = [
      'White House press secretary Karoline Leavitt said Tuesday',
      'Leavitt wrote in an X post',
      'said in a post on X Tuesday',
      'He said delegations have',
      'he wrote.',
      'Lavrov said the revised plan',
      'ABC News reported.',
      'BBC reported.',
    ];
    for (const fragment of expectedAttributed) {
      const sentence = sentences.find((candidate) => candidate.includes(fragment));
      expect(sentence, fragment).toBeDefined();
      expect(isAttributed(sentence ?? ''), sentence).toBe(true);
    }
    const narration = sentences.find((candidate) => candidate.startsWith('The updated framework instead points'));
    expect(narration).toBeDefined();
    expect(isAttributed(narration ?? '')).toBe(false);
  });
});
