import * as Y from 'yjs';
import type { DocKey, DocumentStore } from '../../server/storage/Storage.ts';

/** Rebuilds a document from what the store holds (snapshot plus log), as a restarted server would. */
export async function rebuildStoredDoc(store: DocumentStore, key: DocKey): Promise<Y.Doc> {
  const stored = await store.loadDocument(key);
  const doc = new Y.Doc({ gc: key.part !== 'body' });
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
  for (const update of stored.updates) Y.applyUpdate(doc, update.data);
  return doc;
}
