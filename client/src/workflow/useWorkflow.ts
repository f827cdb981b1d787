/**
 * The editorial workflow of the open story, for the editor page: the desk state (live from the desk
 * room), the actions this person may take (`shared/workflow.ts` `allowedActions`, the same rule the
 * server applies), the approval dialog when claims block it, confirmations, the history panel and
 * the read-only review view (changes since an approval or a version, or a version itself), and the
 * workflow's keyboard shortcuts on the window.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { EditorView as ProseMirrorView } from 'prosemirror-view';
import type { Role, User } from '../../../shared/api.ts';
import {
  actionRefusal,
  allowedActions,
  type DeskState,
  isChangedSinceApproval,
  type VersionSummary,
  type WorkflowAction,
} from '../../../shared/workflow.ts';
import type { StorySession } from '../collab/storySession.ts';
import { selectClaim } from '../editor/claims/index.ts';
import { Shortcut } from '../editor/shortcuts.ts';
import { describeError } from '../hooks/useApiAction.ts';
import { formatExactTime } from '../time.ts';
import { matchesShortcut, newerDesk } from './desk.ts';
import { actionDone, overrideText, versionLabel } from './labels.ts';
import { useDesk } from './useDesk.ts';
import { type BlockingClaim, blockingClaimsOf, workflowApi } from './workflowApi.ts';

/** What the read-only review view shows in place of the editor. */
export type ReviewTarget =
  /** What changed since the approval in force (`approval`) or since a version (its id). */
  | { kind: 'changes'; since: string }
  /** A version as it was. */
  | { kind: 'version'; versionId: string };

/** A confirmation the person must give before an action is sent. */
export type Confirmation = { kind: 'publish' } | { kind: 'restore'; version: VersionSummary };

export interface WorkflowNotice {
  kind: 'error' | 'done';
  text: string;
  /** Changes for every notice, so that the same words twice are announced twice. */
  id: number;
}

export interface WorkflowController {
  session: StorySession;
  storyId: string;
  user: User;
  role: Role | null;
  desk: DeskState;
  /** Whether `desk` is known (this device's copy or the server's has loaded). */
  known: boolean;
  changedSinceApproval: boolean;
  /** The actions this person may take now, in the order they are shown. */
  actions: WorkflowAction[];
  /** The action being sent, if any. */
  busy: WorkflowAction | 'restore' | null;
  /** Takes `action` (asking first for a publish; an approval blocked by claims opens the dialog). */
  run(action: WorkflowAction): void;
  /** The claims that blocked the last approval, while the approval dialog is open. */
  blocking: BlockingClaim[] | null;
  /** Approves over the blocking claims; resolves to an error message, or `null` when done. */
  approveAnyway(reason: string): Promise<string | null>;
  closeApproval(): void;
  confirmation: Confirmation | null;
  confirm(): Promise<void>;
  cancelConfirmation(): void;
  /** Asks to restore `version` (after a confirmation). */
  askRestore(version: VersionSummary): void;
  /** How many claims the approval in force was given over (when it was, and once known). */
  overriddenClaims: number | null;
  /** "Approved over 2 open claims: <reason>" when the approval in force overrode claims. */
  overrideLine: string | null;
  notice: WorkflowNotice | null;
  dismissNotice(): void;
  historyOpen: boolean;
  toggleHistory(): void;
  closeHistory(): void;
  /** Changes whenever the history may have changed (a version was named, restored, or the desk moved). */
  historyStamp: number;
  /** Names the story as it is now; resolves to an error message, or `null` when done. */
  nameVersion(name: string): Promise<string | null>;
  review: ReviewTarget | null;
  openReview(target: ReviewTarget): void;
  closeReview(): void;
  /** Opens the changes since the approval in force, or closes them. */
  toggleChanges(): void;
  /** Closes the approval dialog and opens claim `id` in the claims panel, its text selected. */
  jumpToClaim(id: string): void;
  /** Whether a dialog is open (the page's own shortcuts wait). */
  dialogOpen: boolean;
}

export interface WorkflowOptions {
  session: StorySession;
  user: User;
  role: Role | null;
  /** The story editor, once bound: to open a claim and to give the focus back to the text. */
  editorView: ProseMirrorView | null;
}

/** How long a "done" notice stays. */
const DONE_NOTICE_MS = 6000;

export function useWorkflow({ session, user, role, editorView }: WorkflowOptions): WorkflowController {
  const { storyId } = session;
  const live = useDesk(session.desk);
  const [answer, setAnswer] = useState<DeskState | null>(null);
  const desk = newerDesk(live.desk, answer);
  const actions = useMemo(() => (role === null ? [] : allowedActions(desk, role)), [desk, role]);
  const [busy, setBusy] = useState<WorkflowController['busy']>(null);
  const [blocking, setBlocking] = useState<BlockingClaim[] | null>(null);
  const [confirmation, setConfirmation] = useState<Confirmation | null>(null);
  const [notice, setNotice] = useState<WorkflowNotice | null>(null);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [historyStamp, setHistoryStamp] = useState(0);
  const [review, setReview] = useState<ReviewTarget | null>(null);
  const [overrideCounts, setOverrideCounts] = useState<ReadonlyMap<string, number | null>>(new Map());
  const noticeId = useRef(0);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const say = useCallback((kind: WorkflowNotice['kind'], text: string) => {
    noticeId.current += 1;
    setNotice({ kind, text, id: noticeId.current });
  }, []);

  useEffect(() => {
    if (notice?.kind !== 'done') return;
    const timer = setTimeout(() => setNotice((shown) => (shown?.id === notice.id ? null : shown)), DONE_NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  // Every move of the desk may have added a version (review, approval, publish).
  const deskStamp = `${desk.state}|${desk.updated?.at ?? ''}|${desk.approval?.versionId ?? ''}`;
  useEffect(() => {
    setHistoryStamp((stamp) => stamp + 1);
  }, [deskStamp]);

  // The approval in force overrode claims: how many (the audit trail knows; the desk keeps the reason).
  const overrideVersion = desk.approval?.override ? desk.approval.versionId : null;
  useEffect(() => {
    if (overrideVersion === null || overrideCounts.has(overrideVersion)) return;
    let cancelled = false;
    workflowApi.overriddenClaimCount(storyId, overrideVersion).then(
      (count) => {
        if (!cancelled) setOverrideCounts((known) => new Map(known).set(overrideVersion, count));
      },
      (error: unknown) => console.warn('Sourcedesk: could not read the approval from the audit trail', error),
    );
    return () => {
      cancelled = true;
    };
  }, [storyId, overrideVersion, overrideCounts]);
  const overriddenClaims = overrideVersion === null ? null : (overrideCounts.get(overrideVersion) ?? null);
  const overrideLine =
    desk.approval?.override != null ? overrideText(overriddenClaims, desk.approval.override.reason) : null;

  const send = useCallback(
    async (action: WorkflowAction) => {
      setBusy(action);
      try {
        const result = await workflowApi.act(storyId, action);
        if (!mounted.current) return;
        setAnswer(result.workflow);
        say('done', actionDone(action));
      } catch (error) {
        if (!mounted.current) return;
        const claims = blockingClaimsOf(error);
        if (claims !== null && claims.length > 0) setBlocking(claims);
        else say('error', describeError(error));
      } finally {
        if (mounted.current) setBusy(null);
      }
    },
    [storyId, say],
  );

  const run = useCallback(
    (action: WorkflowAction) => {
      if (busy !== null) return;
      if (role === null) {
        say('error', "Your role on this story isn't known yet (the server can't be reached). Try again in a moment.");
        return;
      }
      const refusal = actionRefusal(action, desk, role);
      if (refusal !== null) {
        say('error', refusal.message);
        return;
      }
      if (action === 'publish') setConfirmation({ kind: 'publish' });
      else void send(action);
    },
    [busy, role, desk, say, send],
  );

  const approveAnyway = useCallback(
    async (reason: string): Promise<string | null> => {
      const trimmed = reason.trim();
      if (trimmed === '') return 'Write why the story can be approved with these claims open.';
      setBusy('approve');
      try {
        const result = await workflowApi.approveAnyway(storyId, trimmed);
        if (!mounted.current) return null;
        const count = blocking?.length ?? null;
        if (result.workflow.approval !== null) {
          const { versionId } = result.workflow.approval;
          setOverrideCounts((known) => new Map(known).set(versionId, count));
        }
        setAnswer(result.workflow);
        setBlocking(null);
        say('done', overrideText(count, trimmed));
        return null;
      } catch (error) {
        return describeError(error);
      } finally {
        if (mounted.current) setBusy(null);
      }
    },
    [storyId, blocking, say],
  );

  const restore = useCallback(
    async (version: VersionSummary) => {
      setBusy('restore');
      try {
        await workflowApi.restore(storyId, version.id);
        if (!mounted.current) return;
        setHistoryStamp((stamp) => stamp + 1);
        setReview((shown) => (shown?.kind === 'version' && shown.versionId === version.id ? null : shown));
        say(
          'done',
          `Restored “${versionLabel(version)}” of ${formatExactTime(version.createdAt)}. The text it replaced is kept in the history.`,
        );
      } catch (error) {
        if (mounted.current) say('error', describeError(error));
      } finally {
        if (mounted.current) setBusy(null);
      }
    },
    [storyId, say],
  );

  const confirm = useCallback(async () => {
    const shown = confirmation;
    setConfirmation(null);
    if (shown === null) return;
    if (shown.kind === 'publish') await send('publish');
    else await restore(shown.version);
  }, [confirmation, send, restore]);

  const nameVersion = useCallback(
    async (name: string): Promise<string | null> => {
      const trimmed = name.trim();
      if (trimmed === '') return 'Give the version a name.';
      try {
        await workflowApi.nameVersion(storyId, trimmed);
        if (mounted.current) {
          setHistoryStamp((stamp) => stamp + 1);
          say('done', `Saved this version as “${trimmed}”`);
        }
        return null;
      } catch (error) {
        return describeError(error);
      }
    },
    [storyId, say],
  );

  // The review view replaces the editor; closing it gives the focus back to where it was.
  const returnFocus = useRef<HTMLElement | null>(null);
  const openReview = useCallback((target: ReviewTarget) => {
    setReview((shown) => {
      if (shown === null && document.activeElement instanceof HTMLElement) returnFocus.current = document.activeElement;
      return target;
    });
  }, []);
  const closeReview = useCallback(() => {
    setReview(null);
    const target = returnFocus.current;
    returnFocus.current = null;
    // After the editor is shown again.
    requestAnimationFrame(() => {
      if (target?.isConnected && !target.closest('[hidden]')) target.focus();
      else if (editorView?.editable) editorView.focus();
    });
  }, [editorView]);

  const jumpToClaim = useCallback(
    (id: string) => {
      setBlocking(null);
      setReview(null);
      if (editorView === null) return;
      selectClaim(id)(editorView.state, editorView.dispatch);
      // The claims panel lists it (opened): move there, as Enter on a claim in the panel would.
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(`.claims-panel [data-claim-id="${CSS.escape(id)}"]`)?.focus(),
      );
    },
    [editorView],
  );

  const dialogOpen = blocking !== null || confirmation !== null;
  const changedSinceApproval = isChangedSinceApproval(desk);

  const toggleChanges = useCallback(() => {
    if (review?.kind === 'changes') {
      closeReview();
      return;
    }
    if (desk.approval === null) {
      say('error', 'This story has not been approved yet: there are no changes since an approval to show.');
      return;
    }
    openReview({ kind: 'changes', since: 'approval' });
  }, [review, desk.approval, closeReview, openReview, say]);

  const toggleHistory = useCallback(() => setHistoryOpen((open) => !open), []);
  const closeHistory = useCallback(() => setHistoryOpen(false), []);

  useEffect(() => {
    const bindings: [string, () => void][] = [
      [Shortcut.history, toggleHistory],
      [Shortcut.changes, toggleChanges],
      [Shortcut.requestReview, () => run('review')],
      [Shortcut.approve, () => run('approve')],
      [Shortcut.publish, () => run('publish')],
      [Shortcut.reopen, () => run('reopen')],
    ];
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || dialogOpen) return;
      const binding = bindings.find(([keys]) => matchesShortcut(event, keys));
      if (binding === undefined) return;
      event.preventDefault();
      binding[1]();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [dialogOpen, toggleHistory, toggleChanges, run]);

  return {
    session,
    storyId,
    user,
    role,
    desk,
    known: live.known || answer !== null,
    changedSinceApproval,
    actions,
    busy,
    run,
    blocking,
    approveAnyway,
    closeApproval: useCallback(() => setBlocking(null), []),
    confirmation,
    confirm,
    cancelConfirmation: useCallback(() => setConfirmation(null), []),
    askRestore: useCallback((version: VersionSummary) => setConfirmation({ kind: 'restore', version }), []),
    overriddenClaims,
    overrideLine,
    notice,
    dismissNotice: useCallback(() => setNotice(null), []),
    historyOpen,
    toggleHistory,
    closeHistory,
    historyStamp,
    nameVersion,
    review,
    openReview,
    closeReview,
    toggleChanges,
    jumpToClaim,
    dialogOpen,
  };
}
