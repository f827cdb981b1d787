/**
 * Fault injection around the real SQLite store: the same `Storage`, except that chosen document
 * operations fail (or stall) while a fault is switched on. A real full disk would be better, but the
 * test machine has no small filesystem to fill (no tmpfs with a size limit, no loop devices without
 * root); SQLite reports a full disk as `SQLITE_FULL`, so that is the error injected. Every call that
 * is not failed goes to the real store. This wraps what we own to make it fail; it mocks nothing.
 */
import * as Y from 'yjs';
import type { DocKey, DocumentStore, Storage } from '../../server/storage/Storage.ts';

/** What better-sqlite3 throws when the disk is full. */
export function diskFull(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL', name: 'SqliteError' });
}

/** What it throws when the file cannot be read. */
export function ioError(): Error {
  return Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR', name: 'SqliteError' });
}

export interface Faults {
  /** Fail `appendUpdates` (new updates). */
  append: (() => Error) | null;
  /** Fail `saveSnapshot` (compaction). */
  snapshot: (() => Error) | null;
  /** Fail `loadDocument` (opening a room). */
  load: (() => Error) | null;
  /** Fail `claimClientIds` (first update under a new Yjs client id). */
  claim: (() => Error) | null;
  /** Delay every `loadDocument` by this many ms (a store under load). */
  loadDelayMs: number;
}

export interface FaultyStorage {
  storage: Storage;
  faults: Faults;
  /** Every snapshot written (after it succeeded), with the document it holds. */
  snapshots: { key: DocKey; doc: Y.Doc; uptoSeq: number }[];
  /** How many append, snapshot and load calls failed. */
  failed: { append: number; snapshot: number; load: number; claim: number };
}

export function withFaults(real: Storage): FaultyStorage {
  const faults: Faults = { append: null, snapshot: null, load: null, claim: null, loadDelayMs: 0 };
  const failed = { append: 0, snapshot: 0, load: 0, claim: 0 };
  const snapshots: FaultyStorage['snapshots'] = [];
  const realDocs = real.documents;
  const documents: DocumentStore = new Proxy(realDocs, {
    get(target, prop) {
      if (prop === 'appendUpdates') {
        return async (...args: Parameters<DocumentStore['appendUpdates']>) => {
          if (faults.append) {
            failed.append += 1;
            throw faults.append();
          }
          return target.appendUpdates(...args);
        };
      }
      if (prop === 'saveSnapshot') {
        return async (key: DocKey, state: Uint8Array, uptoSeq: number) => {
          if (faults.snapshot) {
            failed.snapshot += 1;
            throw faults.snapshot();
          }
          await target.saveSnapshot(key, state, uptoSeq);
          const doc = new Y.Doc({ gc: key.part !== 'body' });
          Y.applyUpdate(doc, state);
          snapshots.push({ key, doc, uptoSeq });
        };
      }
      if (prop === 'loadDocument') {
        return async (key: DocKey) => {
          if (faults.loadDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.loadDelayMs));
          if (faults.load) {
            failed.load += 1;
            throw faults.load();
          }
          return target.loadDocument(key);
        };
      }
      if (prop === 'claimClientIds') {
        return async (...args: Parameters<DocumentStore['claimClientIds']>) => {
          if (faults.claim) {
            failed.claim += 1;
            throw faults.claim();
          }
          return target.claimClientIds(...args);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const storage: Storage = new Proxy(real, {
    get(target, prop) {
      if (prop === 'documents') return documents;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { storage, faults, snapshots, failed };
}
