import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mapIndexThroughDelta, metaText, readMetaField, replaceText } from '../shared/metaText.ts';
import { prng } from './helpers/prng.ts';

describe('headline text', () => {
  it('merges two people editing the headline at once instead of keeping only one', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    metaText(a.getMap('meta'), 'title').insert(0, 'Council votes');
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    replaceText(metaText(a.getMap('meta'), 'title'), 'Council votes 7-2');
    replaceText(metaText(b.getMap('meta'), 'title'), 'City council votes');
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(readMetaField(a.getMap('meta'), 'title')).toBe('City council votes 7-2');
    expect(readMetaField(b.getMap('meta'), 'title')).toBe('City council votes 7-2');
  });

  it('replaceText reaches any target and mapIndexThroughDelta follows the caret', () => {
    const random = prng(7);
    const alphabet = 'ab c';
    for (let round = 0; round < 300; round++) {
      const doc = new Y.Doc();
      const text = doc.getText('t');
      const start = Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * 4)]).join('');
      text.insert(0, start);
      const next = Array.from({ length: Math.floor(random() * 8) }, () => alphabet[Math.floor(random() * 4)]).join('');
      const caret = Math.floor(random() * (start.length + 1));
      let delta: Y.YTextEvent['delta'] = [];
      text.observe((event) => {
        delta = event.delta;
      });
      replaceText(text, next);
      expect(text.toString()).toBe(next);
      const mapped = mapIndexThroughDelta(caret, delta);
      expect(mapped).toBeGreaterThanOrEqual(0);
      expect(mapped).toBeLessThanOrEqual(next.length);
    }
    // A concrete case: text inserted before the caret pushes it right; after it, not.
    expect(mapIndexThroughDelta(5, [{ retain: 2 }, { insert: 'xyz' }])).toBe(8);
    expect(mapIndexThroughDelta(1, [{ retain: 2 }, { insert: 'xyz' }])).toBe(1);
    expect(mapIndexThroughDelta(5, [{ delete: 3 }])).toBe(2);
    expect(mapIndexThroughDelta(2, [{ retain: 1 }, { delete: 3 }])).toBe(1);
  });

  it('reads a plain string left by an older client', () => {
    const doc = new Y.Doc();
    doc.getMap('meta').set('title', 'Plain');
    expect(readMetaField(doc.getMap('meta'), 'title')).toBe('Plain');
    expect(metaText(doc.getMap('meta'), 'title').toString()).toBe('Plain');
  });
});
