/**
 * Writing the audit trail. An entry that cannot be written is logged as an error; the action it
 * describes has already happened, so the request is not failed for it.
 */
import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from './storage/Storage.ts';

export async function audit(app: FastifyInstance, entry: Omit<AuditEntry, 'seq' | 'at'>): Promise<void> {
  try {
    await app.storage.audit.append(entry);
  } catch (error) {
    app.log.error({ err: error, audit: entry }, 'audit entry not written');
  }
}
