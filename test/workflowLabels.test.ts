/**
 * The workflow UI's pure logic: what versions, states, actions and claim changes are called on
 * screen, which desk state is shown (live room or a newer API answer), and how shortcuts are matched
 * and announced.
 */
import { describe, expect, it } from 'vitest';
import { ariaKeyShortcut } from '../client/src/editor/shortcuts.ts';
import { type KeyPress, matchesShortcut, newerDesk } from '../client/src/workflow/desk.ts';
import {
  actionLabel,
  blockingReasonLabel,
  changeCountText,
  claimChangeText,
  joinNames,
  overrideText,
  safeColor,
  versionDetail,
  versionLabel,
  workflowStateLabel,
} from '../client/src/workflow/labels.ts';
import { type DeskState, EMPTY_DESK, VERSION_KINDS } from '../shared/workflow.ts';

const EDNA = { by: 'edna', at: '2025-03-12T10:00:00.000Z' };
const approved: DeskState = {
  ...EMPTY_DESK,
  state: 'approved',
  approval: { ...EDNA, versionId: 'v1', override: null },
  updated: EDNA,
};

describe('workflow labels', () => {
  it('names every version kind in words, and named versions by their name', () => {
    const labels = VERSION_KINDS.map((kind) => versionLabel({ kind, name: kind === 'named' ? 'Filed' : null }));
    expect(labels).toEqual(['Approved', 'Published', 'Review requested', 'Autosave', 'Filed', 'Restore']);
    expect(versionLabel({ kind: 'named', name: '  ' })).toBe('Named version');
    expect(versionDetail({ kind: 'restore', name: 'Before restoring an earlier version' })).toBe(
      'Before restoring an earlier version',
    );
    expect(versionDetail({ kind: 'approval', name: null })).toBe(null);
  });

  it('names states and actions, depending on the state they are taken from', () => {
    expect(workflowStateLabel('in-review')).toBe('In review');
    expect(actionLabel('review', EMPTY_DESK)).toBe('Request review');
    expect(actionLabel('approve', { ...EMPTY_DESK, state: 'in-review' })).toBe('Approve');
    expect(actionLabel('approve', { ...approved, changedSinceApproval: EDNA })).toBe('Approve changes');
    expect(actionLabel('reopen', { ...EMPTY_DESK, state: 'in-review' })).toBe('Back to draft');
    expect(actionLabel('reopen', approved)).toBe('Reopen');
  });

  it('says how an approval went over open claims', () => {
    expect(overrideText(2, 'Confirmed by phone')).toBe('Approved over 2 open claims: Confirmed by phone');
    expect(overrideText(1, 'x')).toBe('Approved over 1 open claim: x');
    expect(overrideText(null, 'x')).toBe('Approved over open claims: x');
    expect(blockingReasonLabel('changed since verified')).toBe('Changed since verified');
    expect(blockingReasonLabel('in-review')).toBe('In review');
  });

  it('writes claim status changes and change counts in words', () => {
    expect(claimChangeText({ from: 'verified', to: 'disputed' })).toBe('verified → disputed');
    expect(claimChangeText({ from: 'verified', to: 'changed-since-verified' })).toBe(
      'verified → changed since verified',
    );
    expect(claimChangeText({ from: null, to: 'unverified' })).toBe('new claim, unverified');
    expect(claimChangeText({ from: 'false', to: null })).toBe('deleted (was false)');
    const run = (kind: 'same' | 'inserted' | 'deleted') => ({ kind, text: 'x', by: null, block: 0 });
    expect(changeCountText({ changes: [], meta: {} })).toBe('No changes to the text');
    expect(
      changeCountText({ changes: [run('inserted'), run('inserted'), run('deleted')], meta: { title: [run('same')] } }),
    ).toBe('2 insertions and 1 deletion');
    expect(joinNames(['Rita'])).toBe('Rita');
    expect(joinNames(['Rita', 'Edna', 'Fay'])).toBe('Rita, Edna and Fay');
  });

  it('uses a person’s colour only when it is a plain hex colour', () => {
    expect(safeColor('#1d4ed8')).toBe('#1d4ed8');
    expect(safeColor('red; background: url(https://example.com/x)')).toBe('#6b7280');
    expect(safeColor(undefined)).toBe('#6b7280');
  });
});

describe('the desk state shown', () => {
  it('is the room’s, unless an API answer is newer', () => {
    const inReview: DeskState = {
      ...EMPTY_DESK,
      state: 'in-review',
      updated: { by: 'rita', at: '2025-03-12T09:00:00.000Z' },
    };
    expect(newerDesk(inReview, null)).toBe(inReview);
    expect(newerDesk(inReview, approved)).toBe(approved);
    // The room caught up (and may carry the changed-since-approval flag): the room wins a tie.
    const flagged = { ...approved, changedSinceApproval: { by: 'rita', at: '2025-03-12T10:05:00.000Z' } };
    expect(newerDesk(flagged, approved)).toBe(flagged);
  });
});

describe('workflow shortcuts', () => {
  const press = (key: string, code: string, modifiers: Partial<KeyPress> = {}): KeyPress => ({
    key,
    code,
    ctrlKey: false,
    metaKey: false,
    altKey: false,
    shiftKey: false,
    ...modifiers,
  });

  it('match on the physical key, so Option or AltGr characters still count', () => {
    expect(matchesShortcut(press('h', 'KeyH', { ctrlKey: true, altKey: true }), 'Mod-Alt-h', false)).toBe(true);
    expect(matchesShortcut(press('˙', 'KeyH', { ctrlKey: true, altKey: true }), 'Ctrl-Alt-h', true)).toBe(true);
    expect(matchesShortcut(press('h', 'KeyH', { metaKey: true, altKey: true }), 'Mod-Alt-h', true)).toBe(true);
    // Missing or extra modifiers do not match.
    expect(matchesShortcut(press('h', 'KeyH', { ctrlKey: true }), 'Mod-Alt-h', false)).toBe(false);
    expect(
      matchesShortcut(press('H', 'KeyH', { ctrlKey: true, altKey: true, shiftKey: true }), 'Mod-Alt-h', false),
    ).toBe(false);
    expect(matchesShortcut(press('d', 'KeyD', { ctrlKey: true, altKey: true }), 'Mod-Alt-h', false)).toBe(false);
  });

  it('are announced in aria-keyshortcuts syntax', () => {
    expect(ariaKeyShortcut('Ctrl-Alt-h')).toBe('Control+Alt+H');
    expect(ariaKeyShortcut('Shift-Mod-.')).toMatch(/^Shift\+(Control|Meta)\+\.$/);
  });
});
