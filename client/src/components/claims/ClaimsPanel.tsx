/**
 * The claims panel, the editor's third pane: the story's claims in story order with their status,
 * sources and warnings; filters by status and for the sentences that need a source; the open
 * claim's details. Keyboard: the list is one Tab stop (Ctrl+Alt+P from anywhere), arrow keys or j/k
 * move, Enter opens a claim and selects its text in the story, Escape goes back to the text.
 */
import type { RefObject } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EditorState } from 'prosemirror-state';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import type * as Y from 'yjs';
import type { Role } from '../../../../shared/api.ts';
import { canEditNotes } from '../../../../shared/permissions.ts';
import { CLAIM_LOOKS, type ClaimLook } from '../../claimStatus.ts';
import {
  activateClaim,
  claimLook,
  claimsPluginKey,
  type DrawnClaim,
  type EditorRange,
  isPlaced,
  selectClaim,
  selectRange,
  sentencesNeedingSource,
} from '../../editor/claims/index.ts';
import { Shortcut, shortcutLabel } from '../../editor/shortcuts.ts';
import { useNotesVersion, useSources } from '../../hooks/useNotes.ts';
import type { People } from '../../hooks/useUsers.ts';
import { ClaimDetail } from './ClaimDetail.tsx';
import { type ClaimFilter, ClaimFilters } from './ClaimFilters.tsx';
import { NeedsSourceList } from './NeedsSourceList.tsx';
import { StatusChip } from './StatusChip.tsx';

export interface ClaimsPanelProps {
  storyId: string;
  role: Role | null;
  /** The story editor, once it is bound to the document. */
  editor: { view: ProseMirrorView; state: EditorState } | null;
  yNotes: Y.Doc;
  people: People;
  /** Creates a claim on `range`, or on the selection (the sentence at the cursor) when left out. */
  onCreateClaim(range?: EditorRange): void;
  creating: boolean;
  /** Why the last claim could not be made. */
  createError: string | null;
  /** The latest thing to tell screen readers (and show in the panel's status line). */
  announcement: string;
  announce(message: string): void;
  /** The panel's root element (the page moves focus into it with Ctrl+Alt+P). */
  panelRef: RefObject<HTMLElement | null>;
}

const NEXT_KEYS = new Set(['ArrowDown', 'j']);
const PREVIOUS_KEYS = new Set(['ArrowUp', 'k']);

/** Brings editor position `pos` into view (ProseMirror scrolls only to a selection it has focus for). */
function scrollToPosition(view: ProseMirrorView, pos: number): void {
  const coords = view.coordsAtPos(pos);
  const top = 140;
  const bottom = window.innerHeight - 80;
  if (coords.top < top || coords.bottom > bottom) window.scrollBy({ top: coords.top - window.innerHeight / 3 });
}

/** Scrolls the panel so that `item` shows below the panel's sticky top (header and filters). */
function scrollIntoPanel(item: HTMLElement, top: HTMLElement | null): void {
  const panel = item.closest('.claims-panel');
  if (panel === null) return;
  const visibleTop = (top ?? panel).getBoundingClientRect().bottom + 6;
  const visibleBottom = panel.getBoundingClientRect().bottom - 6;
  const box = item.getBoundingClientRect();
  if (box.top < visibleTop) panel.scrollTop -= visibleTop - box.top;
  else if (box.bottom > visibleBottom) panel.scrollTop += Math.min(box.bottom - visibleBottom, box.top - visibleTop);
}

function claimText(state: EditorState, claim: DrawnClaim): string {
  return isPlaced(claim) ? state.doc.textBetween(claim.from, claim.to, ' ', ' ') : claim.record.quote;
}

export function ClaimsPanel(props: ClaimsPanelProps) {
  const { storyId, role, editor, yNotes, people, onCreateClaim, creating, createError, announcement, announce } = props;
  const notesVersion = useNotesVersion(yNotes);
  const sources = useSources(yNotes, notesVersion);
  const [filter, setFilter] = useState<ClaimFilter>('all');
  const [focusId, setFocusId] = useState<string | null>(null);
  const items = useRef(new Map<string, HTMLButtonElement>());
  const top = useRef<HTMLDivElement>(null);
  const canEdit = role !== null && canEditNotes(role);

  const pluginState = editor === null ? undefined : claimsPluginKey.getState(editor.state);
  const claims = pluginState?.claims ?? [];
  const activeId = pluginState?.activeId ?? null;
  const needsSource = useMemo(
    () => (pluginState === undefined ? [] : sentencesNeedingSource(pluginState.needsSource)),
    [pluginState?.needsSource],
  );
  const counts = useMemo(() => {
    const byLook = Object.fromEntries(CLAIM_LOOKS.map((look) => [look, 0])) as Record<ClaimLook, number>;
    for (const claim of claims) byLook[claimLook(claim)] += 1;
    return byLook;
  }, [claims]);
  const shown = filter === 'all' ? claims : claims.filter((claim) => claimLook(claim) === filter);
  const tabbableId =
    shown.find((claim) => claim.id === focusId)?.id ?? shown.find((claim) => claim.id === activeId)?.id ?? shown[0]?.id;

  // A claim opened from the text (a click on its highlight, a new claim) is brought into view here,
  // and shown even when the filter would hide it.
  const activeClaim = claims.find((claim) => claim.id === activeId);
  const activeLook = activeClaim === undefined ? null : claimLook(activeClaim);
  useEffect(() => {
    if (activeId === null || activeLook === null) return;
    setFilter((current) => (current === 'all' || current === activeLook ? current : 'all'));
    setFocusId(activeId);
    requestAnimationFrame(() => {
      const item = items.current.get(activeId);
      if (item) scrollIntoPanel(item, top.current);
    });
  }, [activeId, activeLook]);

  const open = (claim: DrawnClaim) => {
    if (editor === null) return;
    const { view } = editor;
    if (claim.id === activeId) {
      activateClaim(null)(view.state, view.dispatch);
      return;
    }
    if (selectClaim(claim.id)(view.state, view.dispatch) && isPlaced(claim)) scrollToPosition(view, claim.from);
    else activateClaim(claim.id)(view.state, view.dispatch);
  };

  const onItemKeyDown = (event: KeyboardEvent, index: number) => {
    let next: number | null = null;
    if (NEXT_KEYS.has(event.key)) next = Math.min(shown.length - 1, index + 1);
    else if (PREVIOUS_KEYS.has(event.key)) next = Math.max(0, index - 1);
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = shown.length - 1;
    if (next === null || event.ctrlKey || event.altKey || event.metaKey) return;
    event.preventDefault();
    const target = shown[next];
    if (target === undefined) return;
    setFocusId(target.id);
    items.current.get(target.id)?.focus();
  };

  const onPanelKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented || editor === null) return;
    if (!editor.view.editable) return;
    event.preventDefault();
    editor.view.focus();
  };

  const createLabel = `Add a claim on the selected text, or on the sentence at the cursor (${shortcutLabel(Shortcut.createClaim)})`;

  return (
    <aside
      class="claims-panel"
      aria-labelledby="claims-heading"
      ref={props.panelRef}
      onKeyDown={onPanelKeyDown}
      data-testid="claims-panel"
    >
      <div class="claims-panel-top" ref={top}>
        <header class="claims-header">
          <h2 id="claims-heading" tabIndex={-1} title={`Move here with ${shortcutLabel(Shortcut.focusClaims)}`}>
            Claims <span class="count">{claims.length}</span>
          </h2>
          {canEdit && (
            <button
              type="button"
              class="button button-primary button-small"
              aria-label={createLabel}
              title={createLabel}
              disabled={editor === null || creating}
              // Keep the text selection: a mouse press on the button must not take it away.
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => onCreateClaim()}
            >
              + Add claim <kbd>{shortcutLabel(Shortcut.createClaim)}</kbd>
            </button>
          )}
        </header>
        {createError !== null && (
          <p class="panel-error" role="alert">
            {createError}
          </p>
        )}
        <p class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="claims-announcement">
          {announcement}
        </p>
        <ClaimFilters
          filter={filter}
          total={claims.length}
          counts={counts}
          needsSource={needsSource.length}
          onChange={setFilter}
        />
      </div>
      {editor === null ? (
        <p class="panel-empty muted">Loading the claims…</p>
      ) : filter === 'needs-source' ? (
        <NeedsSourceList
          state={editor.state}
          sentences={needsSource}
          canCreate={canEdit}
          creating={creating}
          onShow={(range) => {
            selectRange(range.from, range.to)(editor.view.state, editor.view.dispatch);
            scrollToPosition(editor.view, range.from);
          }}
          onCreate={(range) => onCreateClaim(range)}
        />
      ) : shown.length === 0 ? (
        <p class="panel-empty">
          {claims.length === 0
            ? canEdit
              ? `No claims yet. Select a sentence in the story and press ${shortcutLabel(Shortcut.createClaim)}, or put the cursor in it and use “Add claim”.`
              : 'No claims yet.'
            : 'No claims with this status.'}
        </p>
      ) : (
        <ul class="claim-list" aria-label="Claims in story order">
          {shown.map((claim, index) => {
            const active = claim.id === activeId;
            const look = claimLook(claim);
            const detailId = `claim-detail-${claim.id}`;
            const sourceCount = claim.record.sourceIds.length;
            return (
              <li key={claim.id} class={`claim-item status-${look}${active ? ' is-active' : ''}`}>
                <button
                  type="button"
                  class="claim-item-button"
                  ref={(element) => {
                    if (element) items.current.set(claim.id, element);
                    else items.current.delete(claim.id);
                  }}
                  data-claim-id={claim.id}
                  data-panel-focus={claim.id === tabbableId ? 'true' : undefined}
                  tabIndex={claim.id === tabbableId ? 0 : -1}
                  aria-expanded={active}
                  aria-controls={active ? detailId : undefined}
                  onClick={() => open(claim)}
                  onFocus={(event) => {
                    setFocusId(claim.id);
                    scrollIntoPanel(event.currentTarget, top.current);
                  }}
                  onKeyDown={(event) => onItemKeyDown(event, index)}
                >
                  <span class="claim-item-top">
                    <StatusChip look={look} />
                    <span class={`claim-item-sources${sourceCount === 0 ? ' is-missing' : ''}`}>
                      {sourceCount === 0 ? 'No source' : sourceCount === 1 ? '1 source' : `${sourceCount} sources`}
                    </span>
                  </span>
                  <span class={`claim-item-text${isPlaced(claim) ? '' : ' is-detached'}`}>
                    {claimText(editor.state, claim)}
                  </span>
                  {look === 'changed' && !active && <span class="claim-item-flag">Needs a re-check</span>}
                </button>
                {active && (
                  <ClaimDetail
                    key={claim.id}
                    id={detailId}
                    storyId={storyId}
                    claim={claim}
                    role={role}
                    yNotes={yNotes}
                    notesVersion={notesVersion}
                    sources={sources}
                    people={people}
                    announce={announce}
                  />
                )}
              </li>
            );
          })}
        </ul>
      )}
    </aside>
  );
}
