/**
 * The editor's claims plugin state, without a browser (its state and decorations need no DOM, so
 * this runs in Node next to the browser tests of the same feature): anchors resolve to the
 * ProseMirror range of their text; claims follow edits typed here and colleagues' edits (which
 * y-prosemirror applies as a whole-document replacement); overlapping claims get separate lanes;
 * and the sentences that need a source, recomputed only in the blocks an edit touched, always equal
 * a full recomputation (seeded random edits, replayable by seed).
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { EditorState, TextSelection, type Transaction } from 'prosemirror-state';
import { Mapping } from 'prosemirror-transform';
import type { DecorationSet } from 'prosemirror-view';
import { describe, expect, it } from 'vitest';
import { prosemirrorToYXmlFragment, ySyncPluginKey, yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror';
import * as Y from 'yjs';
import { claimDecorations } from '../client/src/editor/claims/claimDecorations.ts';
import { claimsPlugins } from '../client/src/editor/claims/claimsPlugin.ts';
import { claimsPluginKey } from '../client/src/editor/claims/claimsState.ts';
import { anchorEditorRange, sentenceAtCursor } from '../client/src/editor/claims/claimTarget.ts';
import {
  ClaimResolver,
  type DrawnClaim,
  inStoryOrder,
  isPlaced,
  mapClaims,
  resolveClaims,
} from '../client/src/editor/claims/drawnClaims.ts';
import { needsSourceDecorations, sentencesNeedingSource } from '../client/src/editor/claims/needsSource.ts';
import { changedRanges, diffStepMap } from '../client/src/editor/remoteTransaction.ts';
import { anchorRange, flattenBody, resolveAnchor } from '../shared/anchors.ts';
import type { ClaimRecord } from '../shared/claims.ts';
import { flattenProseMirror, offsetToPosition } from '../shared/proseMirrorText.ts';
import { storySchema } from '../shared/schema.ts';
import { prng } from './helpers/prng.ts';

const MAYOR = 'Mayor Ruth Okafor said the plan would create 400 jobs.';
const STORY = [
  'The council approved the budget on Tuesday. The vote was seven to two.',
  `${MAYOR} Critics called it rushed.`,
  'According to the port authority, dredging starts in May.',
];

function storyDoc(paragraphs: readonly string[] = STORY): ProseMirrorNode {
  return storySchema.node(
    'doc',
    null,
    paragraphs.map((text) => storySchema.node('paragraph', null, text ? [storySchema.text(text)] : [])),
  );
}

/** The ProseMirror range of the first occurrence of `text`. */
function rangeOf(doc: ProseMirrorNode, text: string): { from: number; to: number } {
  let found: { from: number; to: number } | null = null;
  doc.descendants((node, pos) => {
    if (found || !node.isText) return !found;
    const at = node.text?.indexOf(text) ?? -1;
    if (at >= 0) found = { from: pos + at, to: pos + at + text.length };
    return false;
  });
  if (found === null) throw new Error(`"${text}" is not in the document`);
  return found;
}

function record(id: string, status: ClaimRecord['status'] = 'unverified', flagged = false): ClaimRecord {
  const at = '2026-03-12T10:00:00.000Z';
  return {
    id,
    start: 'AA==',
    end: 'AA==',
    quote: '',
    lastText: '',
    status,
    sourceIds: [],
    note: '',
    createdBy: 'u1',
    createdAt: at,
    statusBy: 'u1',
    statusAt: at,
    verifiedText: null,
    changedSinceVerified: flagged ? { by: 'u2', at } : null,
  };
}

function placed(doc: ProseMirrorNode, id: string, text: string, status?: ClaimRecord['status']): DrawnClaim {
  return { id, record: record(id, status), ...rangeOf(doc, text) };
}

/** An editor state with the claims plugins over an empty notes document, and `claims` drawn. */
function stateWith(doc: ProseMirrorNode, claims: DrawnClaim[]): EditorState {
  const yDoc = new Y.Doc();
  const state = EditorState.create({
    doc,
    plugins: claimsPlugins({ yBody: yDoc.getXmlFragment('body'), yNotes: new Y.Doc() }),
  });
  return state.apply(state.tr.setMeta(claimsPluginKey, { type: 'resolved', claims }));
}

function pluginState(state: EditorState) {
  const value = claimsPluginKey.getState(state);
  if (value === undefined) throw new Error('no claims plugin');
  return value;
}

function claimRange(state: EditorState, id: string): { from: number | null; to: number | null } {
  const claim = pluginState(state).claims.find((candidate) => candidate.id === id);
  return { from: claim?.from ?? null, to: claim?.to ?? null };
}

function textOf(state: EditorState, id: string): string | null {
  const { from, to } = claimRange(state, id);
  return from === null || to === null ? null : state.doc.textBetween(from, to, '\n');
}

/** What y-prosemirror dispatches for a colleague's change: the whole document replaced. */
function remoteReplace(state: EditorState, next: ProseMirrorNode): Transaction {
  return state.tr
    .replaceWith(0, state.doc.content.size, next.content)
    .setMeta(ySyncPluginKey, { isChangeOrigin: true });
}

describe('claims in the editor state', () => {
  it('resolves anchors made from an editor range back to that range', () => {
    const doc = storyDoc();
    const yDoc = new Y.Doc({ gc: false });
    const yBody = yDoc.getXmlFragment('body');
    prosemirrorToYXmlFragment(doc, yBody);
    const range = rangeOf(doc, MAYOR);
    // Spaces around a selection are left out of the claim.
    const anchored = anchorEditorRange(doc, yBody, { from: range.from - 1, to: range.to + 1 });
    if (!anchored.ok) throw new Error(anchored.reason);
    expect(anchored.text).toBe(MAYOR);
    const claims = resolveClaims([{ ...record('claim-mayor'), ...anchored.anchor }], yBody, doc);
    expect(claims?.map(({ from, to }) => ({ from, to }))).toEqual([range]);

    // An anchor whose text is gone resolves to no range: detached, still listed.
    const flat = flattenBody(yBody);
    const gone = anchorRange(flat, flat.text.indexOf('Critics'), flat.text.indexOf('Critics') + 7);
    if (gone === null) throw new Error('no anchor');
    const paragraph = yBody.get(1) as Y.XmlElement;
    (paragraph.get(0) as Y.XmlText).delete(MAYOR.length + 1, 7);
    // While the editor has not caught up with the body, nothing is resolved (positions would be wrong).
    expect(resolveClaims([{ ...record('claim-gone'), ...gone }], yBody, doc)).toBe(null);
    const caughtUp = storyDoc([STORY[0] as string, `${MAYOR}  called it rushed.`, STORY[2] as string]);
    const after = resolveClaims([{ ...record('claim-gone'), ...gone }], yBody, caughtUp);
    expect(after?.map(({ from, to }) => ({ from, to }))).toEqual([{ from: null, to: null }]);
  });

  it('finds the sentence at the cursor, or the next one between sentences', () => {
    const doc = storyDoc();
    const inside = rangeOf(doc, 'Critics').from + 3;
    const at = (pos: number) => {
      const state = EditorState.create({ doc, selection: TextSelection.create(doc, pos) });
      const range = sentenceAtCursor(state);
      return range === null ? null : doc.textBetween(range.from, range.to);
    };
    expect(at(inside)).toBe('Critics called it rushed.');
    expect(at(rangeOf(doc, MAYOR).to + 1)).toBe('Critics called it rushed.');
    expect(at(rangeOf(doc, MAYOR).from)).toBe(MAYOR);
  });

  it('keeps claims on their text through local edits, and detaches a claim whose text is deleted', () => {
    const doc = storyDoc();
    let state = stateWith(doc, [placed(doc, 'claim-mayor', MAYOR), placed(doc, 'claim-vote', 'seven to two')]);
    const mayor = rangeOf(state.doc, MAYOR);
    // Typed just before and just after the claim: outside it, as with its Yjs anchors.
    state = state.apply(state.tr.insertText('Today, ', mayor.from));
    state = state.apply(state.tr.insertText(' Really.', rangeOf(state.doc, MAYOR).to));
    expect(textOf(state, 'claim-mayor')).toBe(MAYOR);
    // Typed inside: part of the claim.
    const jobs = rangeOf(state.doc, '400');
    state = state.apply(state.tr.insertText('4', jobs.from, jobs.from + 1));
    state = state.apply(state.tr.insertText('5', jobs.from + 1, jobs.from + 2));
    expect(textOf(state, 'claim-mayor')).toBe(MAYOR.replace('400', '450'));
    // All of it deleted: detached, and listed last.
    const vote = rangeOf(state.doc, 'seven to two');
    state = state.apply(state.tr.delete(vote.from, vote.to));
    expect(claimRange(state, 'claim-vote')).toEqual({ from: null, to: null });
    expect(pluginState(state).claims.map((claim) => claim.id)).toEqual(['claim-mayor', 'claim-vote']);
    expect(pluginState(state).stale).toBe(false);
  });

  it("keeps claims on their text through a colleague's edit (a whole-document replacement) and asks for a re-resolve", () => {
    const doc = storyDoc();
    let state = stateWith(doc, [
      placed(doc, 'claim-mayor', MAYOR),
      placed(doc, 'claim-port', 'dredging starts in May'),
    ]);
    // Colleagues' keystrokes arrive one small change at a time: each is mapped exactly.
    state = state.apply(
      remoteReplace(state, storyDoc([`Breaking: ${STORY[0]}`, STORY[1] as string, STORY[2] as string])),
    );
    state = state.apply(
      remoteReplace(
        state,
        storyDoc([`Breaking: ${STORY[0]}`, STORY[1] as string, (STORY[2] as string).replace('May', 'June')]),
      ),
    );
    expect(textOf(state, 'claim-mayor')).toBe(MAYOR);
    expect(textOf(state, 'claim-port')).toBe('dredging starts in June');
    expect(pluginState(state).stale).toBe(true);
    // Changes far apart in one batch are mapped as one replaced range; claims inside it are placed
    // again by the re-resolve that `stale` asks for (before the browser paints).
    // A fresh resolve clears it.
    state = state.apply(state.tr.setMeta(claimsPluginKey, { type: 'resolved', claims: pluginState(state).claims }));
    expect(pluginState(state).stale).toBe(false);
  });

  it('gives overlapping claims separate underline lanes and colours each by its status', () => {
    const doc = storyDoc();
    const outer = placed(doc, 'claim-mayor', MAYOR, 'verified');
    const inner = placed(doc, 'claim-jobs', 'create 400 jobs', 'disputed');
    const flagged: DrawnClaim = {
      ...placed(doc, 'claim-vote', 'seven to two'),
      record: record('claim-vote', 'verified', true),
    };
    const decorations = claimDecorations(doc, [outer, inner, flagged], 'claim-jobs').find();
    // Inline decorations keep their attributes on `type.attrs` (not public API, stable for years).
    const attrs = decorations.map((decoration) => ({
      text: doc.textBetween(decoration.from, decoration.to),
      ...(decoration as unknown as { type: { attrs: Record<string, string> } }).type.attrs,
    })) as (Record<string, string> & { text: string })[];
    const segment = (text: string) => attrs.find((entry) => entry.text === text);
    expect(segment('seven to two')?.class).toBe('claim-mark claim-lanes-1 is-changed');
    expect(segment('seven to two')?.['data-looks']).toBe('changed');
    expect(segment('Mayor Ruth Okafor said the plan would ')?.class).toBe('claim-mark claim-lanes-1');
    const both = segment('create 400 jobs');
    expect(both?.class).toBe('claim-mark claim-lanes-2 is-active');
    expect(both?.['data-looks']).toBe('verified disputed');
    expect(both?.style).toContain('--claim-lane-0: var(--claim-verified)');
    expect(both?.style).toContain('--claim-lane-1: var(--claim-disputed)');
    expect(segment('.')?.class).toBe('claim-mark claim-lanes-1');
  });

  it('marks the attributed sentences without a claim, and keeps the marks right block by block through random edits', () => {
    const doc = storyDoc();
    const start = stateWith(doc, [placed(doc, 'claim-mayor', MAYOR)]);
    expect(sentencesNeedingSource(pluginState(start).needsSource).map((sentence) => sentence.text)).toEqual([
      'According to the port authority, dredging starts in May.',
    ]);

    const pieces = [
      ' said ',
      'Officials told reporters. ',
      'x',
      '. ',
      ' according to them',
      '“three quoted words here”',
    ];
    for (let seed = 1; seed <= 40; seed++) {
      const random = prng(seed);
      let state = start;
      for (let step = 0; step < 25; step++) {
        const size = state.doc.content.size;
        const pos = 1 + Math.floor(random() * (size - 1));
        const $pos = state.doc.resolve(pos);
        if (!$pos.parent.isTextblock) continue;
        const choice = random();
        let tr = state.tr;
        if (choice < 0.45) tr = tr.insertText(pieces[Math.floor(random() * pieces.length)] as string, pos);
        else if (choice < 0.8) tr = tr.delete(pos, Math.min($pos.end(), pos + 1 + Math.floor(random() * 12)));
        else if (choice < 0.9) tr = tr.split(pos);
        else if (pos > 2 && state.doc.resolve(pos).start() > 2) tr = tr.join($pos.before());
        if (!tr.docChanged) continue;
        // Half of the edits arrive as a colleague's (a whole-document replacement).
        if (random() < 0.5) tr = remoteReplace(state, tr.doc);
        state = state.apply(tr);
        const incremental = sentencesNeedingSource(pluginState(state).needsSource).map(({ from, to }) => ({
          from,
          to,
        }));
        const full = sentencesNeedingSource(needsSourceDecorations(state.doc, pluginState(state).claims)).map(
          ({ from, to }) => ({ from, to }),
        );
        expect(incremental, `seed ${seed}, step ${step}`).toEqual(full);
      }
    }
  });
});

/** A decoration set as comparable data: range and attributes of each decoration, in order. */
function drawnDecorations(set: DecorationSet): { from: number; to: number; attrs: Record<string, string> }[] {
  return set
    .find()
    .map((decoration) => ({
      from: decoration.from,
      to: decoration.to,
      // Inline decorations keep their attributes on `type.attrs` (not public API, stable for years).
      attrs: (decoration as unknown as { type: { attrs: Record<string, string> } }).type.attrs,
    }))
    .sort((a, b) => a.from - b.from || a.to - b.to);
}

/** A random range of text inside one textblock of `doc`, or null. */
function randomTextRange(doc: ProseMirrorNode, random: () => number): { from: number; to: number } | null {
  const blocks: { start: number; size: number }[] = [];
  doc.descendants((node, pos) => {
    if (node.isTextblock && node.content.size > 1) blocks.push({ start: pos + 1, size: node.content.size });
    return !node.isTextblock;
  });
  const block = blocks[Math.floor(random() * blocks.length)];
  if (block === undefined) return null;
  const from = block.start + Math.floor(random() * (block.size - 1));
  const to = Math.min(block.start + block.size, from + 1 + Math.floor(random() * 30));
  return { from, to };
}

const STATUSES: ClaimRecord['status'][] = ['unverified', 'in-review', 'verified', 'disputed', 'false'];

describe('drawing claims again only where something changed', () => {
  it('gives the highlights and needs-a-source marks a full redraw gives, through random edits, resolves and activations', () => {
    const pieces = ['a', 'aa', ' said ', 'Officials told reporters. ', '. ', '“three quoted words here”', 'x'];
    for (let seed = 1; seed <= 30; seed++) {
      const random = prng(seed);
      const doc = storyDoc([...STORY, ...STORY.map((text) => `More: ${text}`)]);
      const initial: DrawnClaim[] = [];
      for (let i = 0; i < 12; i++) {
        const range = randomTextRange(doc, random);
        const status = STATUSES[Math.floor(random() * STATUSES.length)];
        if (range !== null) initial.push({ id: `c${i}`, record: record(`c${i}`, status, random() < 0.2), ...range });
      }
      let state = stateWith(doc, inStoryOrder(initial));
      let next = 12;
      for (let step = 0; step < 40; step++) {
        const choice = random();
        const current = pluginState(state);
        let tr = state.tr;
        if (choice < 0.5) {
          const size = state.doc.content.size;
          const pos = 1 + Math.floor(random() * (size - 1));
          const $pos = state.doc.resolve(pos);
          if (!$pos.parent.isTextblock) continue;
          const kind = random();
          if (kind < 0.5) tr = tr.insertText(pieces[Math.floor(random() * pieces.length)] as string, pos);
          else if (kind < 0.85) tr = tr.delete(pos, Math.min($pos.end(), pos + 1 + Math.floor(random() * 12)));
          else if (kind < 0.93) tr = tr.split(pos);
          else if ($pos.start() > 2) tr = tr.join($pos.before());
          if (!tr.docChanged) continue;
          // Half of the edits arrive as a colleague's (a whole-document replacement).
          if (random() < 0.5) tr = remoteReplace(state, tr.doc);
        } else if (choice < 0.8) {
          // A resolve: some claims move, change status or go; a new one comes.
          const claims = current.claims.flatMap((claim): DrawnClaim[] => {
            const roll = random();
            if (roll < 0.1) return [];
            if (roll < 0.25) {
              const range = randomTextRange(state.doc, random);
              return [range === null ? { ...claim, from: null, to: null } : { ...claim, ...range }];
            }
            if (roll < 0.4) {
              const status = STATUSES[Math.floor(random() * STATUSES.length)];
              return [{ ...claim, record: record(claim.id, status, random() < 0.3) }];
            }
            return [claim];
          });
          const range = randomTextRange(state.doc, random);
          if (range !== null && random() < 0.5) claims.push({ id: `c${next}`, record: record(`c${next++}`), ...range });
          tr = tr.setMeta(claimsPluginKey, { type: 'resolved', claims: inStoryOrder(claims) });
        } else {
          const ids = current.claims.map((claim) => claim.id);
          const id = random() < 0.2 ? null : (ids[Math.floor(random() * ids.length)] ?? null);
          tr = tr.setMeta(claimsPluginKey, { type: 'activate', id });
        }
        state = state.apply(tr);
        const now = pluginState(state);
        const where = `seed ${seed}, step ${step}`;
        expect(drawnDecorations(now.decorations), where).toEqual(
          drawnDecorations(claimDecorations(state.doc, now.claims, now.activeId)),
        );
        expect(sentencesNeedingSource(now.needsSource), where).toEqual(
          sentencesNeedingSource(needsSourceDecorations(state.doc, now.claims)),
        );
        expect(
          now.claims.map((claim) => claim.id),
          where,
        ).toEqual(inStoryOrder(now.claims).map((claim) => claim.id));
      }
    }
  });

  it('keeps the claims an edit does not move, and the list when it moves none', () => {
    const doc = storyDoc();
    let state = stateWith(doc, [placed(doc, 'claim-vote', 'seven to two'), placed(doc, 'claim-mayor', MAYOR)]);
    const [vote, mayor] = pluginState(state).claims;
    // Typed between the two claims: the first stays the same object, the second moves.
    state = state.apply(state.tr.insertText('Indeed, ', rangeOf(state.doc, MAYOR).from));
    expect(pluginState(state).claims[0]).toBe(vote);
    expect(pluginState(state).claims[1]).not.toBe(mayor);
    // Typed after both: nothing moves, and the list is the same.
    const claims = pluginState(state).claims;
    state = state.apply(state.tr.insertText('!', state.doc.content.size - 1));
    expect(pluginState(state).claims).toBe(claims);
  });
});

describe('resolving only the claims an edit may have moved', () => {
  /** Every claim resolved the way the server does (flat text), as editor ranges. */
  function resolvedAsOnServer(yBody: Y.XmlFragment, doc: ProseMirrorNode, records: ClaimRecord[]) {
    const flat = flattenBody(yBody);
    const flatEditor = flattenProseMirror(doc);
    return records.map((claim) => {
      const range = resolveAnchor(yBody.doc as Y.Doc, flat, claim);
      return range === null
        ? { id: claim.id, from: null, to: null }
        : {
            id: claim.id,
            from: offsetToPosition(flatEditor, range.from),
            to: offsetToPosition(flatEditor, range.to),
          };
    });
  }

  const byId = (claims: readonly { id: string; from: number | null; to: number | null }[]) =>
    [...claims].map(({ id, from, to }) => ({ id, from, to })).sort((a, b) => a.id.localeCompare(b.id));

  it('equals resolving every claim, through random edits of the body (seeded)', () => {
    const texts = ['a', 'aa', 'e', ' ', 'said', 'x y'];
    for (let seed = 1; seed <= 40; seed++) {
      const random = prng(seed);
      const yDoc = new Y.Doc({ gc: false });
      const yBody = yDoc.getXmlFragment('body');
      prosemirrorToYXmlFragment(storyDoc([...STORY, 'Aaaa aaa. Said, said said.']), yBody);
      let doc = yXmlFragmentToProseMirrorRootNode(yBody, storySchema);
      const records: ClaimRecord[] = [];
      for (let i = 0; i < 14; i++) {
        const flat = flattenBody(yBody);
        const from = Math.floor(random() * (flat.text.length - 1));
        const anchor = anchorRange(flat, from, Math.min(flat.text.length, from + 1 + Math.floor(random() * 25)));
        if (anchor !== null) records.push({ ...record(`c${i}`), ...anchor });
      }
      const recordMap = new Map(records.map((claim) => [claim.id, claim]));
      const resolver = new ClaimResolver(yBody);
      let claims = resolver.resolveAll(records, doc);
      expect(claims && byId(claims)).toEqual(byId(resolvedAsOnServer(yBody, doc, records)));
      for (let step = 0; step < 30; step++) {
        // One edit inside one text node, as a keystroke, a deletion or a paste is.
        const blocks = yBody.toArray() as Y.XmlElement[];
        const block = blocks[Math.floor(random() * blocks.length)] as Y.XmlElement;
        const text = block.get(0) as Y.XmlText;
        const index = Math.floor(random() * (text.length + 1));
        if (random() < 0.6 || text.length < 2) text.insert(index, texts[Math.floor(random() * texts.length)] as string);
        else text.delete(Math.min(index, text.length - 1), 1 + Math.floor(random() * Math.min(6, text.length - index)));
        const before = doc;
        doc = yXmlFragmentToProseMirrorRootNode(yBody, storySchema);
        // As the plugin does: map every claim through the edit (one replaced range), then resolve
        // again those in the changed text node and those the edit came near.
        const mapping = new Mapping([diffStepMap(before, doc)]);
        const mapped = mapClaims(claims ?? [], mapping);
        const edited = changedRanges(mapping);
        const wasPlaced = new Set((claims ?? []).filter(isPlaced).map((claim) => claim.id));
        const near = (drawn: DrawnClaim) =>
          isPlaced(drawn)
            ? edited.some((range) => drawn.from <= range.to && drawn.to >= range.from)
            : wasPlaced.has(drawn.id);
        const again = records
          .filter(
            (claim) =>
              resolver.touches(claim, new Set([text])) || mapped.some((drawn) => drawn.id === claim.id && near(drawn)),
          )
          .map((claim) => claim.id);
        claims = resolver.resolveSome(recordMap, again, mapped, doc);
        expect(claims && byId(claims), `seed ${seed}, step ${step}`).toEqual(
          byId(resolvedAsOnServer(yBody, doc, records)),
        );
      }
    }
  });
});
