/**
 * Claims, sources, discussion and sentences. Every write goes into the story's notes room (stored,
 * then live in every open editor), after the same checks the notes room applies: the shared
 * schema and the role's rules.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type * as Y from 'yjs';
import { z } from 'zod';
import { anchorRange, flattenBody, occurrences, resolveAnchor } from '../../shared/anchors.ts';
import { ApiError, type Role } from '../../shared/api.ts';
import {
  appendThreadMessage,
  CLAIM_LIMITS,
  type ClaimRecord,
  ClaimView,
  deleteClaim,
  HttpUrl,
  newRecordId,
  notesMaps,
  readClaims,
  readSources,
  SETTABLE_CLAIM_STATUSES,
  type SettableClaimStatus,
  SOURCE_KINDS,
  SourceRecord,
  ThreadMessage,
  updateClaim,
  writeClaim,
  writeSource,
} from '../../shared/claims.ts';
import { STORY_ID_PATTERN, YName } from '../../shared/documentLayout.ts';
import { canDeleteClaim, canEditNotes, canSetClaimStatus } from '../../shared/permissions.ts';
import { audit } from '../audit.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { claimView, claimViews, sentenceViews } from '../claims/claimViews.ts';
import { withStoryDocs } from '../claims/storyDocs.ts';
import { BadRequest, Forbidden, NotFound } from '../errors.ts';
import type { UserRecord } from '../storage/Storage.ts';
import { storyForUser } from './storyRoutes.ts';

const StoryParams = z.object({ id: z.string().regex(STORY_ID_PATTERN, 'not a story id') });
const ClaimParams = StoryParams.extend({ claimId: z.string().max(64) });

const ClaimViewSchema = ClaimView;

const SourceIds = z.array(z.string().max(64)).max(CLAIM_LIMITS.sourcesPerClaim);
const ClaimOptions = {
  status: z.enum(SETTABLE_CLAIM_STATUSES).optional(),
  note: z.string().max(CLAIM_LIMITS.note).optional(),
  sourceIds: SourceIds.optional(),
};
const CreateClaimBody = z.union([
  z
    .object({ anchor: z.object({ start: z.string().max(200), end: z.string().max(200) }).strict(), ...ClaimOptions })
    .strict(),
  z
    .object({
      quote: z.string().min(1).max(CLAIM_LIMITS.quote),
      occurrence: z.number().int().min(1).max(10_000).default(1),
      ...ClaimOptions,
    })
    .strict(),
  z.object({ sentence: z.number().int().min(0), ...ClaimOptions }).strict(),
]);
const PatchClaimBody = z
  .object(ClaimOptions)
  .strict()
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'nothing to change');
const CreateSourceBody = z
  .object({
    url: HttpUrl,
    outlet: z.string().trim().max(CLAIM_LIMITS.outlet).default(''),
    title: z.string().trim().max(CLAIM_LIMITS.title).default(''),
    kind: z.enum(SOURCE_KINDS),
    passage: z.string().max(CLAIM_LIMITS.passage).default(''),
    accessedAt: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
    archiveUrl: HttpUrl.nullable().optional(),
  })
  .strict();

function requireNotesRole(role: Role): void {
  if (!canEditNotes(role)) throw new Forbidden('Your role on this story cannot change claims or sources');
}

/** A claim may only cite sources the story has. */
function requireSources(notesDoc: Y.Doc, sourceIds: string[]): void {
  const sources = readSources(notesDoc);
  for (const id of sourceIds) if (!sources.has(id)) throw new BadRequest(`No source ${id} in this story`);
}

function requireStatusRole(role: Role, status: SettableClaimStatus | undefined): void {
  if (status !== undefined && !canSetClaimStatus(role, status)) {
    throw new Forbidden(`Only a fact-checker or an editor can set a claim to "${status}"`);
  }
}

export async function claimRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/stories/:id/claims',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Claims in story order, resolved against the text as it is now',
        params: StoryParams,
        response: { 200: z.object({ claims: z.array(ClaimViewSchema) }), 404: ApiError },
      },
    },
    async (request) => {
      await storyForUser(app, request.params.id, request.user as UserRecord);
      return withStoryDocs(app, request.params.id, async (body, notes) => {
        const flat = flattenBody(body.doc.getXmlFragment(YName.body));
        return { claims: claimViews(readClaims(notes.doc).values(), flat, body.doc) };
      });
    },
  );

  api.get(
    '/api/stories/:id/sentences',
    {
      preHandler: requireUser,
      schema: {
        summary: "The story's sentences: attributed ones, and those that need a source",
        params: StoryParams,
        response: {
          200: z.array(
            z.object({
              index: z.number().int(),
              paragraph: z.number().int(),
              text: z.string(),
              attributed: z.boolean(),
              needsSource: z.boolean(),
              claimIds: z.array(z.string()),
            }),
          ),
          404: ApiError,
        },
      },
    },
    async (request) => {
      await storyForUser(app, request.params.id, request.user as UserRecord);
      return withStoryDocs(app, request.params.id, async (body, notes) => {
        const flat = flattenBody(body.doc.getXmlFragment(YName.body));
        return sentenceViews(flat, claimViews(readClaims(notes.doc).values(), flat, body.doc)).map(
          ({ from: _from, to: _to, ...sentence }) => sentence,
        );
      });
    },
  );

  api.post(
    '/api/stories/:id/claims',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Create a claim on an anchor, a quoted text (n-th occurrence) or a sentence',
        params: StoryParams,
        body: CreateClaimBody,
        response: { 201: ClaimViewSchema, 400: ApiError, 403: ApiError, 404: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      requireNotesRole(story.role);
      const input = request.body;
      requireStatusRole(story.role, input.status);
      const view = await withStoryDocs(app, story.id, async (body, notes) => {
        const flat = flattenBody(body.doc.getXmlFragment(YName.body));
        let range: { from: number; to: number } | null;
        if ('anchor' in input) {
          range = resolveAnchor(body.doc, flat, input.anchor);
          if (range === null) throw new BadRequest('The anchor does not point at any text of this story');
        } else if ('quote' in input) {
          const at = occurrences(flat.text, input.quote)[input.occurrence - 1];
          if (at === undefined)
            throw new BadRequest(`The story does not contain that text ${input.occurrence} time(s)`);
          range = { from: at, to: at + input.quote.length };
        } else {
          const sentence = sentenceViews(flat, [])[input.sentence];
          if (sentence === undefined) throw new BadRequest(`The story has no sentence ${input.sentence}`);
          range = { from: sentence.from, to: sentence.to };
        }
        const anchor = 'anchor' in input ? input.anchor : anchorRange(flat, range.from, range.to);
        if (anchor === null) throw new BadRequest('That text cannot be anchored');
        const sourceIds = input.sourceIds ?? [];
        requireSources(notes.doc, sourceIds);
        const quote = flat.text.slice(range.from, range.to).slice(0, CLAIM_LIMITS.quote);
        const now = new Date().toISOString();
        const status = input.status ?? 'unverified';
        const claim: ClaimRecord = {
          id: newRecordId(),
          start: anchor.start,
          end: anchor.end,
          quote,
          lastText: quote,
          status,
          sourceIds,
          note: input.note ?? '',
          createdBy: user.id,
          createdAt: now,
          statusBy: user.id,
          statusAt: now,
          verifiedText: status === 'verified' ? quote : null,
          changedSinceVerified: null,
        };
        await notes.change((doc) => {
          writeClaim(doc, claim);
          if (input.note)
            appendThreadMessage(doc, claim.id, { id: newRecordId(), by: user.id, at: now, text: input.note });
        });
        return claimView(claim, flat, body.doc);
      });
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'claim-created',
        detail: { claim: view.id, status: view.storedStatus, text: view.text.slice(0, 200) },
      });
      return reply.code(201).send(view);
    },
  );

  api.delete(
    '/api/stories/:id/claims/:claimId',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Delete a claim and its discussion (editors); audited with its text and status',
        params: ClaimParams,
        response: { 204: z.null(), 403: ApiError, 404: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      if (!canDeleteClaim(story.role)) throw new Forbidden('Only an editor can delete a claim');
      const deleted = await withStoryDocs(app, story.id, async (_body, notes) => {
        const claim = readClaims(notes.doc).get(request.params.claimId);
        if (claim === undefined) throw new NotFound('No such claim');
        await notes.change((doc) => deleteClaim(doc, claim.id));
        return claim;
      });
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'claim-deleted',
        detail: { claim: deleted.id, quote: deleted.quote.slice(0, 200), status: deleted.status },
      });
      return reply.code(204).send(null);
    },
  );

  api.patch(
    '/api/stories/:id/claims/:claimId',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Change a claim: status (verdicts need a fact-checker or editor), note, sources',
        params: ClaimParams,
        body: PatchClaimBody,
        response: { 200: ClaimViewSchema, 400: ApiError, 403: ApiError, 404: ApiError },
      },
    },
    async (request) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      requireNotesRole(story.role);
      const { status, note, sourceIds } = request.body;
      requireStatusRole(story.role, status);
      const view = await withStoryDocs(app, story.id, async (body, notes) => {
        const claim = readClaims(notes.doc).get(request.params.claimId);
        if (claim === undefined) throw new NotFound('No such claim');
        if (sourceIds !== undefined) requireSources(notes.doc, sourceIds);
        const flat = flattenBody(body.doc.getXmlFragment(YName.body));
        const range = resolveAnchor(body.doc, flat, claim);
        const now = new Date().toISOString();
        const changes: Partial<ClaimRecord> = {};
        if (status !== undefined) {
          changes.status = status;
          changes.statusBy = user.id;
          changes.statusAt = now;
          // A new verdict is a re-check: it clears the flag and pins the text it was given on.
          changes.changedSinceVerified = null;
          changes.verifiedText = status === 'verified' && range ? flat.text.slice(range.from, range.to) : null;
        }
        if (note !== undefined) changes.note = note;
        if (sourceIds !== undefined) changes.sourceIds = [...new Set(sourceIds)];
        await notes.change((doc) => {
          updateClaim(doc, claim.id, changes);
          if (note) appendThreadMessage(doc, claim.id, { id: newRecordId(), by: user.id, at: now, text: note });
        });
        const updated = readClaims(notes.doc).get(claim.id) ?? { ...claim, ...changes };
        return claimView(updated, flat, body.doc);
      });
      if (status !== undefined) {
        await audit(app, {
          storyId: story.id,
          userId: user.id,
          action: 'claim-status',
          detail: { claim: view.id, status, ...(note ? { note: note.slice(0, 200) } : {}) },
        });
      }
      if (sourceIds !== undefined) {
        await audit(app, {
          storyId: story.id,
          userId: user.id,
          action: 'claim-sources',
          detail: { claim: view.id, sourceIds },
        });
      }
      return view;
    },
  );

  api.post(
    '/api/stories/:id/claims/:claimId/messages',
    {
      preHandler: requireUser,
      schema: {
        summary: "Add a message to a claim's discussion",
        params: ClaimParams,
        body: z.object({ text: z.string().trim().min(1).max(CLAIM_LIMITS.message) }).strict(),
        response: { 201: ThreadMessage, 403: ApiError, 404: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      requireNotesRole(story.role);
      const message = { id: newRecordId(), by: user.id, at: new Date().toISOString(), text: request.body.text };
      await app.rooms.withRoom({ storyId: story.id, part: 'notes' }, async (notes) => {
        if (!notesMaps(notes.doc).claims.has(request.params.claimId)) throw new NotFound('No such claim');
        await notes.change((doc) => appendThreadMessage(doc, request.params.claimId, message));
      });
      return reply.code(201).send(message);
    },
  );

  api.get(
    '/api/stories/:id/sources',
    {
      preHandler: requireUser,
      schema: {
        summary: "The story's sources",
        params: StoryParams,
        response: { 200: z.object({ sources: z.array(SourceRecord) }), 404: ApiError },
      },
    },
    async (request) => {
      await storyForUser(app, request.params.id, request.user as UserRecord);
      return app.rooms.withRoom({ storyId: request.params.id, part: 'notes' }, async (notes) => ({
        sources: [...readSources(notes.doc).values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
      }));
    },
  );

  api.post(
    '/api/stories/:id/sources',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Add a source (http/https URL, outlet, title, kind, quoted passage, accessed, archive URL)',
        params: StoryParams,
        body: CreateSourceBody,
        response: { 201: SourceRecord, 400: ApiError, 403: ApiError, 404: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      requireNotesRole(story.role);
      const now = new Date().toISOString();
      const source = SourceRecord.parse({
        id: newRecordId(),
        url: request.body.url,
        outlet: request.body.outlet,
        title: request.body.title,
        kind: request.body.kind,
        passage: request.body.passage,
        accessedAt: request.body.accessedAt ? new Date(request.body.accessedAt).toISOString() : now,
        archiveUrl: request.body.archiveUrl ?? null,
        createdBy: user.id,
        createdAt: now,
      });
      await app.rooms.withRoom({ storyId: story.id, part: 'notes' }, (notes) =>
        notes.change((doc) => writeSource(doc, source)),
      );
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'source-added',
        detail: { source: source.id, url: source.url },
      });
      return reply.code(201).send(source);
    },
  );
}
