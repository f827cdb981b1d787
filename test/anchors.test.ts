/**
 * Anchors under concurrent edits: several peers edit around and inside claimed ranges, syncing in a
 * random order; every claim resolves to exactly the text between its first and last surviving
 * characters, or is detached when none survive — never to unrelated text.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { anchorRange, type EncodedAnchor, flattenBody, resolveAnchor } from '../shared/anchors.ts';
import { prng } from './helpers/prng.ts';

/** Every inserted character is unique, so identity can be checked by value. */
let nextChar = 0xe000;
function uniqueText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(nextChar++);
  if (nextChar > 0xf8ff) nextChar = 0xe000;
  return text;
}

function paragraphText(doc: Y.Doc): Y.XmlText {
  return (doc.getXmlFragment('body').get(0) as Y.XmlElement).get(0) as Y.XmlText;
}

function syncAll(peers: Y.Doc[]): void {
  for (const a of peers)
    for (const b of peers) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
}

describe('claim anchors', () => {
  it('follow their text through random concurrent edits, or detach (seeded)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      nextChar = 0xe000;
      const random = prng(seed);
      const origin = new Y.Doc({ gc: false });
      const paragraph = new Y.XmlElement('paragraph');
      origin.getXmlFragment('body').insert(0, [paragraph]);
      const initial = uniqueText(60);
      const original = new Set(initial);
      paragraph.insert(0, [new Y.XmlText(initial)]);
      const peers = [0, 1, 2].map(() => {
        const peer = new Y.Doc({ gc: false });
        Y.applyUpdate(peer, Y.encodeStateAsUpdate(origin));
        return peer;
      });
      // Three claims over random ranges, anchored on peer 0.
      const claims: { anchor: EncodedAnchor; chars: Set<string> }[] = [];
      for (let c = 0; c < 3; c++) {
        const flat = flattenBody((peers[0] as Y.Doc).getXmlFragment('body'));
        const from = Math.floor(random() * 50);
        const to = from + 1 + Math.floor(random() * 10);
        const anchor = anchorRange(flat, from, to);
        if (anchor === null) throw new Error('could not anchor');
        claims.push({ anchor, chars: new Set(flat.text.slice(from, to)) });
      }
      for (let round = 0; round < 30; round++) {
        const peer = peers[Math.floor(random() * peers.length)] as Y.Doc;
        const text = paragraphText(peer);
        if (text.length > 0 && random() < 0.45) {
          const at = Math.floor(random() * text.length);
          text.delete(at, 1 + Math.floor(random() * Math.min(6, text.length - at)));
        } else {
          text.insert(Math.floor(random() * (text.length + 1)), uniqueText(1 + Math.floor(random() * 4)));
        }
        if (random() < 0.3) syncAll(peers);
      }
      syncAll(peers);
      for (const peer of peers) {
        const flat = flattenBody(peer.getXmlFragment('body'));
        for (const claim of claims) {
          const surviving = [...flat.text].filter((char) => claim.chars.has(char));
          const range = resolveAnchor(peer, flat, claim.anchor);
          const claimed = range === null ? '' : flat.text.slice(range.from, range.to);
          const where = `seed ${seed}: [${range?.from}, ${range?.to}) of ${flat.text.length}`;
          // Never unrelated text: nothing of the story that was outside the claim when it was made.
          expect(
            [...claimed].some((char) => original.has(char) && !claim.chars.has(char)),
            where,
          ).toBe(false);
          // Every surviving claimed character, in order.
          expect([...claimed].filter((char) => claim.chars.has(char)).join(''), where).toBe(surviving.join(''));
          // When nothing of the claimed text is left the claim is detached, unless someone typed new
          // text inside its range meanwhile: then it holds only that text (checked above), and a
          // verified claim is flagged as changed by the server.
          if (surviving.length === 0 && range !== null) expect(claimed.length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('excludes text typed right before or after the claimed range', () => {
    const doc = new Y.Doc({ gc: false });
    const paragraph = new Y.XmlElement('paragraph');
    doc.getXmlFragment('body').insert(0, [paragraph]);
    const text = new Y.XmlText('The mayor said no.');
    paragraph.insert(0, [text]);
    const anchor = anchorRange(flattenBody(doc.getXmlFragment('body')), 4, 14);
    if (anchor === null) throw new Error('no anchor');
    text.insert(14, ' firmly');
    text.insert(4, 'former ');
    const flat = flattenBody(doc.getXmlFragment('body'));
    const range = resolveAnchor(doc, flat, anchor);
    expect(flat.text.slice(range?.from, range?.to)).toBe('mayor said');
  });
});
