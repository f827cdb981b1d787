/**
 * Shapes of the import and export API (`POST /api/stories/import`,
 * `GET /api/stories/:id/export?format=...`), shared by the server (validation, OpenAPI) and the
 * client (typed calls, the download menu).
 */
import { z } from 'zod';
import { META_LIMITS } from './documentLayout.ts';
import { DROP_REASONS, IMPORT_MEDIA_TYPES } from './importRules.ts';

export const ImportQuery = z
  .object({
    /** The headline to use instead of the one found in the text. */
    title: z.string().trim().min(1).max(META_LIMITS.title).optional(),
  })
  .strict();
export type ImportQuery = z.infer<typeof ImportQuery>;

export const TITLE_SOURCES = ['given', 'headline', 'page-title', 'first-words'] as const;

export const DroppedBlock = z.object({
  reason: z.enum(DROP_REASONS),
  /** The first words of the dropped block. */
  preview: z.string(),
  words: z.number().int(),
});
export type DroppedBlock = z.infer<typeof DroppedBlock>;

export const ImportResult = z.object({
  id: z.string(),
  title: z.string(),
  /** Where the headline came from: the request, the text's headline, the page's title, or the first words. */
  titleFrom: z.enum(TITLE_SOURCES),
  format: z.enum(IMPORT_MEDIA_TYPES),
  kept: z.object({ blocks: z.number().int(), words: z.number().int() }),
  dropped: z.object({
    blocks: z.number().int(),
    words: z.number().int(),
    byReason: z.record(z.string(), z.number().int()),
    /** Each dropped block (the first `IMPORT_LIMITS.droppedListed`), grouped by the step that dropped it. */
    items: z.array(DroppedBlock),
    /** Unsafe elements and attributes removed: scripts, event handlers, styles, frames, script URLs. */
    unsafe: z.number().int(),
  }),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const EXPORT_FORMATS = ['json', 'html', 'markdown', 'text', 'claimreview', 'annotations'] as const;
export const ExportFormat = z.enum(EXPORT_FORMATS);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** Each format's media type, file extension and what the download menu says about it. */
export const EXPORT_FORMAT_INFO: Record<
  ExportFormat,
  { mediaType: string; extension: string; label: string; description: string }
> = {
  html: {
    mediaType: 'text/html; charset=utf-8',
    extension: 'html',
    label: 'Web page (HTML)',
    description: 'Clean, publishable HTML; claims marked, their sources as numbered notes',
  },
  markdown: {
    mediaType: 'text/markdown; charset=utf-8',
    extension: 'md',
    label: 'Markdown',
    description: 'The text with footnotes citing the sources of its claims',
  },
  text: {
    mediaType: 'text/plain; charset=utf-8',
    extension: 'txt',
    label: 'Plain text',
    description: 'Headline, then each paragraph, separated by blank lines',
  },
  json: {
    mediaType: 'application/json; charset=utf-8',
    extension: 'json',
    label: 'Story data (JSON)',
    description: 'Everything: the text, claims with their text, sources, statuses, workflow state',
  },
  claimreview: {
    mediaType: 'application/ld+json; charset=utf-8',
    extension: 'claimreview.jsonld',
    label: 'Fact checks (ClaimReview)',
    description: 'schema.org ClaimReview for each claim with a verdict, for search engines and fact-check tools',
  },
  annotations: {
    mediaType: 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"; charset=utf-8',
    extension: 'annotations.jsonld',
    label: 'Annotations (W3C)',
    description: 'W3C Web Annotations: each claim anchored in the plain-text version, its sources attached',
  },
};

/** The menu's order: reading formats first, then data. */
export const EXPORT_MENU_ORDER: readonly ExportFormat[] = [
  'html',
  'markdown',
  'text',
  'json',
  'claimreview',
  'annotations',
];

/** The URL path of an export. */
export function exportPath(storyId: string, format: ExportFormat): string {
  return `/api/stories/${encodeURIComponent(storyId)}/export?format=${format}`;
}
