/**
 * Import a pasted or uploaded story (`POST /api/stories/import`) and export a story with its
 * evidence (`GET /api/stories/:id/export?format=...`). The import writes the body through the
 * story's room, so it is stored and live like any other change.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { prosemirrorToYXmlFragment } from 'y-prosemirror';
import { z } from 'zod';
import { ApiError } from '../../shared/api.ts';
import { STORY_ID_PATTERN, YName } from '../../shared/documentLayout.ts';
import {
  EXPORT_FORMAT_INFO,
  type ExportFormat,
  ExportFormat as ExportFormatSchema,
  ImportQuery,
  ImportResult,
} from '../../shared/importExport.ts';
import {
  type DropReason,
  IMPORT_LIMITS,
  IMPORT_MEDIA_TYPES,
  type ImportMediaType,
  previewOf,
  wordCount,
} from '../../shared/importRules.ts';
import { metaText } from '../../shared/metaText.ts';
import { audit } from '../audit.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { newId } from '../auth/secrets.ts';
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from '../errors.ts';
import { type ExportModel, loadExportModel } from '../importExport/exportModel.ts';
import { headlineFromText, importStory } from '../importExport/importStory.ts';
import { annotationCollection, claimReviews, storyJson } from '../importExport/linkedData.ts';
import { renderHtml } from '../importExport/renderHtml.ts';
import { renderMarkdown } from '../importExport/renderMarkdown.ts';
import { renderText } from '../importExport/renderText.ts';
import type { UserRecord } from '../storage/Storage.ts';
import { storyForUser } from './storyRoutes.ts';

const StoryParams = z.object({ id: z.string().regex(STORY_ID_PATTERN, 'not a story id') });
const WRONG_TYPE = `Send the story as ${IMPORT_MEDIA_TYPES.join(', ')}`;
const TOO_LARGE = `The story is larger than ${IMPORT_LIMITS.requestBytes / (1024 * 1024)} MB; import the article alone`;

function mediaTypeOf(request: FastifyRequest): ImportMediaType | null {
  const essence = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return (IMPORT_MEDIA_TYPES as readonly string[]).includes(essence) ? (essence as ImportMediaType) : null;
}

function charsetOf(request: FastifyRequest): string {
  const match = /;\s*charset="?([^";\s]+)"?/i.exec(request.headers['content-type'] ?? '');
  return match?.[1]?.toLowerCase() ?? 'utf-8';
}

/** Reads a text body up to the import limit, decoding its declared charset (UTF-8 by default). */
async function readText(request: FastifyRequest, payload: NodeJS.ReadableStream): Promise<string> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > IMPORT_LIMITS.requestBytes) throw new PayloadTooLarge(TOO_LARGE);
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charsetOf(request));
  } catch {
    throw new UnsupportedMediaType(`Unknown charset "${charsetOf(request)}"; send UTF-8`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > IMPORT_LIMITS.requestBytes) throw new PayloadTooLarge(TOO_LARGE);
    chunks.push(buffer);
  }
  return decoder.decode(Buffer.concat(chunks));
}

/** A file name for an export: the headline as ASCII words, or the story id. */
export function exportFileName(title: string, id: string, format: ExportFormat): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return `${slug || `story-${id}`}.${EXPORT_FORMAT_INFO[format].extension}`;
}

function render(model: ExportModel, format: ExportFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(storyJson(model), null, 2)}\n`;
    case 'html':
      return renderHtml(model);
    case 'markdown':
      return renderMarkdown(model);
    case 'text':
      return renderText(model).text;
    case 'claimreview':
      return `${JSON.stringify(claimReviews(model), null, 2)}\n`;
    case 'annotations':
      return `${JSON.stringify(annotationCollection(model), null, 2)}\n`;
  }
}

/** `scheme://host` of the request, for absolute identifiers in the JSON-LD exports. */
function baseUrlOf(request: FastifyRequest): string {
  const host = /^[A-Za-z0-9.:[\]-]+$/.test(request.host) ? request.host : 'localhost';
  return `${request.protocol}://${host}`;
}

export async function importExportRoutes(app: FastifyInstance): Promise<void> {
  // This plugin is its own encapsulation context: these parsers apply to its routes only.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser([...IMPORT_MEDIA_TYPES], readText);
  app.addContentTypeParser('*', async () => {
    throw new UnsupportedMediaType(WRONG_TYPE);
  });

  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/stories/import',
    {
      preHandler: requireUser,
      bodyLimit: IMPORT_LIMITS.requestBytes,
      schema: {
        summary:
          'New story from a pasted or uploaded text (text/plain, text/html, text/markdown): the article kept, page furniture and unsafe markup dropped, and what was dropped listed; the importer is its editor',
        consumes: [...IMPORT_MEDIA_TYPES],
        querystring: ImportQuery,
        body: z.string().max(IMPORT_LIMITS.requestBytes).optional(),
        response: { 201: ImportResult, 400: ApiError, 401: ApiError, 413: ApiError, 415: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const mediaType = mediaTypeOf(request);
      if (mediaType === null) throw new UnsupportedMediaType(WRONG_TYPE);
      const input = request.body ?? '';
      if (input.trim() === '') throw new BadRequest('Nothing to import: the request body is empty');
      const imported = importStory(input, mediaType);
      const byReason: Partial<Record<DropReason, number>> = {};
      for (const { reason } of imported.report.dropped) byReason[reason] = (byReason[reason] ?? 0) + 1;
      const dropped = {
        blocks: imported.report.dropped.length,
        words: imported.report.dropped.reduce((sum, block) => sum + wordCount(block.text), 0),
        byReason,
        items: imported.report.dropped
          .slice(0, IMPORT_LIMITS.droppedListed)
          .map((block) => ({ reason: block.reason, preview: previewOf(block.text), words: wordCount(block.text) })),
        unsafe: imported.report.unsafe,
      };
      if (imported.doc.textContent.trim() === '') {
        throw new BadRequest(
          `Nothing is left to import: all ${dropped.blocks} blocks looked like page furniture or unsafe markup`,
        );
      }
      let blocks = 0;
      imported.doc.descendants((node) => {
        if (node.isTextblock) blocks++;
        return !node.isTextblock;
      });
      const { title, titleFrom } =
        request.query.title !== undefined
          ? { title: request.query.title, titleFrom: 'given' as const }
          : imported.title !== null && imported.titleFrom !== null
            ? { title: imported.title, titleFrom: imported.titleFrom }
            : { title: headlineFromText(imported.doc), titleFrom: 'first-words' as const };

      const now = new Date().toISOString();
      const story = { id: newId(), title, createdBy: user.id, createdAt: now, updatedAt: now };
      await app.storage.stories.create(story);
      // Written on the importer's behalf (a client id of theirs), so history and diffs name them.
      await app.rooms.withRoom({ storyId: story.id, part: 'body' }, (room) =>
        room.changeAs(user.id, (doc) => {
          const meta = doc.getMap(YName.meta);
          metaText(meta, 'title').insert(0, title);
          if (imported.byline) metaText(meta, 'byline').insert(0, imported.byline);
          prosemirrorToYXmlFragment(imported.doc, doc.getXmlFragment(YName.body));
        }),
      );
      const kept = { blocks, words: wordCount(imported.doc.textBetween(0, imported.doc.content.size, ' ', ' ')) };
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'story-imported',
        detail: { format: mediaType, kept, dropped: { blocks: dropped.blocks, byReason }, unsafe: dropped.unsafe },
      });
      return reply.code(201).send({ id: story.id, title, titleFrom, format: mediaType, kept, dropped });
    },
  );

  api.get(
    '/api/stories/:id/export',
    {
      preHandler: requireUser,
      schema: {
        summary:
          'The story now, with its claims and sources: json, html (claims as <span data-claim-id>, sources as notes), markdown (footnotes), text (headline, blank line, blocks separated by blank lines), claimreview (schema.org JSON-LD), annotations (W3C Web Annotations on the text export)',
        params: StoryParams,
        querystring: z.object({ format: ExportFormatSchema.default('json') }),
        response: {
          200: z.string().describe('The story in the requested format (see Content-Type)'),
          400: ApiError,
          401: ApiError,
          404: ApiError,
        },
      },
    },
    async (request, reply) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      const { format } = request.query;
      const model = await loadExportModel(app, story, baseUrlOf(request));
      const fileName = exportFileName(model.title, story.id, format);
      reply
        .header('content-type', EXPORT_FORMAT_INFO[format].mediaType)
        .header('content-disposition', `attachment; filename="${fileName}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff');
      // Opened in a browser tab anyway, the page may show text and links but never run anything.
      if (format === 'html') reply.header('content-security-policy', "default-src 'none'; sandbox");
      return reply.send(render(model, format));
    },
  );
}
