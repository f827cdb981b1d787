/**
 * The editorial workflow and history: review, approve (gated on the claims), publish, reopen;
 * versions (list, name, read, restore) and the diff since an approval or a version. State changes go
 * through the desk room, so open editors see them at once.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../shared/api.ts';
import { STORY_ID_PATTERN } from '../../shared/documentLayout.ts';
import { canEditBody } from '../../shared/permissions.ts';
import {
  allowedActions,
  DeskState,
  DiffAnswer,
  VersionName,
  VersionSummary,
  WORKFLOW_ACTIONS,
  type WorkflowAction,
} from '../../shared/workflow.ts';
import { audit } from '../audit.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { Forbidden, NotFound } from '../errors.ts';
import type { UserRecord, VersionRecord } from '../storage/Storage.ts';
import { toVersionSummary, WorkflowRefusal } from '../workflow/Workflow.ts';
import { storyForUser } from './storyRoutes.ts';

const StoryParams = z.object({ id: z.string().regex(STORY_ID_PATTERN, 'not a story id') });
const VersionParams = StoryParams.extend({ versionId: z.string().max(64) });

const BlockingClaim = z.object({ id: z.string(), text: z.string(), status: z.string(), reason: z.string() });
const RefusalError = ApiError.extend({ blocking: z.array(BlockingClaim).optional() });

const WorkflowAnswer = z.object({
  workflow: DeskState,
  /** What the asking user may do next. */
  actions: z.array(z.enum(WORKFLOW_ACTIONS)),
  version: VersionSummary.nullable(),
});

const ApproveBody = z
  .object({
    override: z
      .object({ reason: z.string().trim().min(1).max(2000) })
      .strict()
      .optional(),
  })
  .strict()
  .optional();

const AUDIT_ACTION: Record<WorkflowAction, string> = {
  review: 'review-requested',
  approve: 'approved',
  publish: 'published',
  reopen: 'reopened',
};

function sendRefusal(reply: FastifyReply, refusal: WorkflowRefusal) {
  const error = refusal.blocking.length > 0 ? 'blocking_claims' : refusal.status === 403 ? 'forbidden' : 'conflict';
  return reply.code(refusal.status).send({
    error: refusal.status === 404 ? 'not_found' : error,
    message: refusal.message,
    ...(refusal.blocking.length > 0 ? { blocking: refusal.blocking } : {}),
  });
}

export async function workflowRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/stories/:id/workflow',
    {
      preHandler: requireUser,
      schema: {
        summary: 'The workflow state (desk document) and the actions the user may take',
        params: StoryParams,
        response: { 200: WorkflowAnswer, 404: ApiError },
      },
    },
    async (request) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      const desk = await app.workflow.desk(story.id);
      return { workflow: desk, actions: allowedActions(desk, story.role), version: null };
    },
  );

  for (const action of WORKFLOW_ACTIONS) {
    const summaries: Record<WorkflowAction, string> = {
      review: 'Request review (reporters, editors)',
      approve:
        'Approve (editors): refused with 409 and the blocking claims unless every claim is verified and unchanged, or an override reason is given',
      publish: 'Publish an approved story (editors)',
      reopen: 'Back to draft (editors; reporters while in review)',
    };
    api.post(
      `/api/stories/:id/${action}`,
      {
        preHandler: requireUser,
        schema: {
          summary: summaries[action],
          params: StoryParams,
          ...(action === 'approve' ? { body: ApproveBody } : {}),
          response: { 200: WorkflowAnswer, 403: RefusalError, 404: ApiError, 409: RefusalError },
        },
      },
      async (request, reply) => {
        const user = request.user as UserRecord;
        const story = await storyForUser(app, request.params.id, user);
        const body = (request.body ?? {}) as z.infer<typeof ApproveBody>;
        const override = action === 'approve' ? (body?.override ?? null) : null;
        try {
          const result = await app.workflow.act(story.id, { id: user.id, role: story.role }, action, override);
          await audit(app, {
            storyId: story.id,
            userId: user.id,
            action: AUDIT_ACTION[action],
            detail: {
              to: result.desk.state,
              versionId: result.version?.id ?? null,
              ...(result.blocking.length > 0
                ? { override: override?.reason ?? null, blocking: result.blocking.map((claim) => claim.id) }
                : {}),
            },
          });
          if (result.blocking.length > 0) {
            await audit(app, {
              storyId: story.id,
              userId: user.id,
              action: 'approve-override',
              detail: { reason: override?.reason ?? null, blocking: result.blocking },
            });
          }
          return {
            workflow: result.desk,
            actions: allowedActions(result.desk, story.role),
            version: result.version === null ? null : toVersionSummary(result.version),
          };
        } catch (error) {
          if (!(error instanceof WorkflowRefusal)) throw error;
          if (error.blocking.length > 0) {
            await audit(app, {
              storyId: story.id,
              userId: user.id,
              action: 'approve-refused',
              detail: { blocking: error.blocking.map((claim) => ({ id: claim.id, reason: claim.reason })) },
            });
          }
          return sendRefusal(reply, error);
        }
      },
    );
  }

  api.get(
    '/api/stories/:id/versions',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Versions of the story, newest first (automatic and named)',
        params: StoryParams,
        response: { 200: z.object({ versions: z.array(VersionSummary) }), 404: ApiError },
      },
    },
    async (request) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      return { versions: (await app.storage.versions.list(story.id)).map(toVersionSummary) };
    },
  );

  api.post(
    '/api/stories/:id/versions',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Name the story as it is now (reporters, editors)',
        params: StoryParams,
        body: z.object({ name: VersionName }).strict(),
        response: { 201: VersionSummary, 403: ApiError, 404: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      if (!canEditBody(story.role)) throw new Forbidden('Only reporters and editors can name versions');
      const version = await app.workflow.nameVersion(story.id, user.id, request.body.name);
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'version-named',
        detail: { versionId: version.id, name: request.body.name },
      });
      return reply.code(201).send(toVersionSummary(version));
    },
  );

  async function versionOf(storyId: string, versionId: string): Promise<VersionRecord> {
    const version = await app.storage.versions.get(storyId, versionId);
    if (version === null) throw new NotFound('No such version of this story');
    return version;
  }

  api.get(
    '/api/stories/:id/versions/:versionId',
    {
      preHandler: requireUser,
      schema: {
        summary: 'The story as it was at a version (ProseMirror JSON and headline fields)',
        params: VersionParams,
        response: {
          200: z.object({
            version: VersionSummary,
            doc: z.record(z.string(), z.unknown()),
            meta: z.record(z.string(), z.string()),
          }),
          404: ApiError,
        },
      },
    },
    async (request) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      const version = await versionOf(story.id, request.params.versionId);
      const content = await app.workflow.content(story.id, version);
      return { version: toVersionSummary(version), ...content };
    },
  );

  api.post(
    '/api/stories/:id/versions/:versionId/restore',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Make the body what it was at a version, as a new edit (history is kept)',
        params: VersionParams,
        response: { 200: z.object({ version: VersionSummary }), 403: ApiError, 404: ApiError, 409: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      if (!canEditBody(story.role)) throw new Forbidden('Only reporters and editors can restore a version');
      const version = await versionOf(story.id, request.params.versionId);
      try {
        const restored = await app.workflow.restore(story.id, user.id, version);
        await audit(app, {
          storyId: story.id,
          userId: user.id,
          action: 'version-restored',
          detail: { versionId: version.id, newVersionId: restored.id },
        });
        return { version: toVersionSummary(restored) };
      } catch (error) {
        if (error instanceof WorkflowRefusal) return sendRefusal(reply, error);
        throw error;
      }
    },
  );

  api.get(
    '/api/stories/:id/diff',
    {
      preHandler: requireUser,
      schema: {
        summary:
          'What changed since the approval (since=approval) or a version: inserted and deleted text with who made each, and claim status changes',
        params: StoryParams,
        querystring: z.object({ since: z.string().min(1).max(64).default('approval') }),
        response: { 200: DiffAnswer, 404: ApiError },
      },
    },
    async (request) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      const since = request.query.since;
      const version =
        since === 'approval' ? await app.workflow.approvalVersionOf(story.id) : await versionOf(story.id, since);
      if (version === null) throw new NotFound('This story has not been approved yet');
      const diff = await app.workflow.diff(story.id, version);
      const ids = new Set<string>();
      for (const run of diff.changes) if (run.by !== null) ids.add(run.by);
      for (const runs of Object.values(diff.meta)) for (const run of runs) if (run.by !== null) ids.add(run.by);
      for (const change of diff.claimChanges) if (change.by !== null) ids.add(change.by);
      if (version.createdBy !== null) ids.add(version.createdBy);
      const people: DiffAnswer['people'] = {};
      for (const id of ids) {
        const person = await app.storage.users.findById(id);
        if (person !== null) people[id] = { name: person.name, color: person.color };
      }
      return { ...diff, people };
    },
  );
}
