/**
 * A story as every export format reads it: its metadata, the body as a ProseMirror node with its
 * flat text (textblocks joined by "\n", as `shared/anchors.ts` counts), its claims resolved against
 * that text, its sources and the names of the people involved. Read once, inside the rooms.
 */
import type { FastifyInstance } from 'fastify';
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { yXmlFragmentToProseMirrorRootNode } from 'y-prosemirror';
import { flattenBody, nearestOccurrence } from '../../shared/anchors.ts';
import type { WorkflowState } from '../../shared/api.ts';
import { type ClaimView, readClaims, readSources, type SourceRecord } from '../../shared/claims.ts';
import { YName } from '../../shared/documentLayout.ts';
import { readMetaField } from '../../shared/metaText.ts';
import { flattenProseMirror, type ProseMirrorFlat } from '../../shared/proseMirrorText.ts';
import { storySchema } from '../../shared/schema.ts';
import { claimViews } from '../claims/claimViews.ts';
import { withStoryDocs } from '../claims/storyDocs.ts';
import type { StoryWithRole } from '../storage/Storage.ts';

export interface ExportModel {
  id: string;
  title: string;
  dek: string;
  byline: string;
  workflowState: WorkflowState;
  changedSinceApproval: boolean;
  createdAt: string;
  updatedAt: string;
  doc: ProseMirrorNode;
  flat: ProseMirrorFlat;
  /** In story order (detached ones last); `from`/`to` are offsets in `flat.text`. */
  claims: ClaimView[];
  /** Every source of the story, oldest first. */
  sources: SourceRecord[];
  sourcesById: Map<string, SourceRecord>;
  /** Display names of the people the claims name. */
  people: Map<string, string>;
  /** `scheme://host` the export was asked on (for the JSON-LD identifiers). */
  baseUrl: string;
  exportedAt: string;
}

export async function loadExportModel(
  app: FastifyInstance,
  story: StoryWithRole,
  baseUrl: string,
): Promise<ExportModel> {
  const read = await withStoryDocs(app, story.id, async (body, notes) => {
    const fragment = body.doc.getXmlFragment(YName.body);
    const doc = yXmlFragmentToProseMirrorRootNode(fragment, storySchema);
    const yFlat = flattenBody(fragment);
    const flat = flattenProseMirror(doc);
    let claims = claimViews(readClaims(notes.doc).values(), yFlat, body.doc);
    if (flat.text !== yFlat.text) {
      // The editor's schema left something of the stored document out: find each claim's text
      // again near where it stood.
      claims = claims.map((claim) => {
        const at = claim.from === null ? null : nearestOccurrence(flat.text, claim.text, claim.from);
        return at === null || claim.text === ''
          ? { ...claim, status: 'detached', from: null, to: null, text: '' }
          : { ...claim, from: at, to: at + claim.text.length };
      });
    }
    const meta = body.doc.getMap<unknown>(YName.meta);
    return {
      doc,
      flat,
      claims,
      sources: [...readSources(notes.doc).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
      title: readMetaField(meta, 'title'),
      dek: readMetaField(meta, 'dek'),
      byline: readMetaField(meta, 'byline'),
    };
  });
  const people = new Map<string, string>();
  const wanted = new Set(read.claims.flatMap((claim) => [claim.createdBy, claim.statusBy]));
  for (const id of wanted) {
    const user = await app.storage.users.findById(id);
    if (user !== null) people.set(id, user.name);
  }
  return {
    id: story.id,
    title: read.title.trim() || story.title,
    dek: read.dek.trim(),
    byline: read.byline.trim(),
    workflowState: story.workflowState ?? 'draft',
    changedSinceApproval: story.changedSinceApproval ?? false,
    createdAt: story.createdAt,
    updatedAt: story.updatedAt,
    doc: read.doc,
    flat: read.flat,
    claims: read.claims,
    sources: read.sources,
    sourcesById: new Map(read.sources.map((source) => [source.id, source])),
    people,
    baseUrl,
    exportedAt: new Date().toISOString(),
  };
}

/** Claims that have text in the story now (not detached). */
export function anchoredClaims(model: ExportModel): (ClaimView & { from: number; to: number })[] {
  return model.claims.filter(
    (claim): claim is ClaimView & { from: number; to: number } =>
      claim.status !== 'detached' && claim.from !== null && claim.to !== null && claim.from < claim.to,
  );
}

/**
 * Footnote numbers: each source cited by an anchored claim, numbered in the order the story first
 * cites it.
 */
export function footnoteNumbers(model: ExportModel): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const claim of anchoredClaims(model)) {
    for (const sourceId of claim.sourceIds) {
      if (model.sourcesById.has(sourceId) && !numbers.has(sourceId)) numbers.set(sourceId, numbers.size + 1);
    }
  }
  return numbers;
}

/** The story's address in this newsroom (the editor page), as an identifier for JSON-LD. */
export function storyUrl(model: ExportModel): string {
  return `${model.baseUrl}/stories/${encodeURIComponent(model.id)}`;
}

export function exportUrl(model: ExportModel, format: string): string {
  return `${model.baseUrl}/api/stories/${encodeURIComponent(model.id)}/export?format=${format}`;
}
