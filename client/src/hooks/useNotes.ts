/** Hooks that follow a story's notes document (claims, sources, discussions) in a component. */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type * as Y from 'yjs';
import { notesMaps, readSources, readThread, type SourceRecord, type ThreadMessage } from '../../../shared/claims.ts';

/** A number that changes whenever anything in the notes document changes (re-renders the component). */
export function useNotesVersion(yNotes: Y.Doc): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const { claims, sources, threads } = notesMaps(yNotes);
    const bump = () => setVersion((count) => count + 1);
    claims.observeDeep(bump);
    sources.observeDeep(bump);
    threads.observeDeep(bump);
    bump();
    return () => {
      claims.unobserveDeep(bump);
      sources.unobserveDeep(bump);
      threads.unobserveDeep(bump);
    };
  }, [yNotes]);
  return version;
}

/** The story's sources by id (those that pass the shared schema), oldest first. */
export function useSources(yNotes: Y.Doc, version: number): Map<string, SourceRecord> {
  // `version` is what says the document changed.
  return useMemo(() => {
    const sources = [...readSources(yNotes).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return new Map(sources.map((source) => [source.id, source]));
  }, [yNotes, version]);
}

/** The discussion of one claim, oldest message first. */
export function useThread(yNotes: Y.Doc, claimId: string, version: number): ThreadMessage[] {
  // `version` is what says the document changed.
  return useMemo(() => readThread(yNotes, claimId), [yNotes, claimId, version]);
}
