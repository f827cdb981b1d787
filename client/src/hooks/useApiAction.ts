/**
 * Runs one API call for a form or button and keeps what the person needs to see: whether it is
 * running, and what went wrong, in words (network failures and refusals are state, not exceptions).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';

export interface ApiAction {
  busy: boolean;
  error: string | null;
  /** Runs `call`; resolves to its result, or `undefined` when it failed (the error is in `error`). */
  run<T>(call: () => Promise<T>): Promise<T | undefined>;
  clearError(): void;
}

export function useApiAction(): ApiAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const run = useCallback(async <T>(call: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await call();
    } catch (caught) {
      if (mounted.current) setError(describeError(caught));
      if (!(caught instanceof ApiError)) console.error('Sourcedesk:', caught);
      return undefined;
    } finally {
      if (mounted.current) setBusy(false);
    }
  }, []);
  const clearError = useCallback(() => setError(null), []);
  return { busy, error, run, clearError };
}

export function describeError(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Try again.';
}
