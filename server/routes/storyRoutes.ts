/** Stories: list, create, read, and who is on them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import * as Y from 'yjs';
import { z } from 'zod';
import {
  ApiError,
  CreateStoryBody,
  Role,
  StoryList,
  type StorySummary,
  StorySummary as StorySummarySchema,
} from '../../shared/api.ts';
import { STORY_ID_PATTERN, YName } from '../../shared/documentLayout.ts';
import { metaText } from '../../shared/metaText.ts';
import { canManageMembers } from '../../shared/permissions.ts';
import { audit } from '../audit.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { newId } from '../auth/secrets.ts';
import { Conflict, Forbidden, NotFound, StoryNotFound } from '../errors.ts';
import type { StoryWithRole, UserRecord } from '../storage/Storage.ts';

const StoryParams = z.object({ id: z.string().regex(STORY_ID_PATTERN, 'not a story id') });

function toSummary(story: StoryWithRole): StorySummary {
  return {
    id: story.id,
    title: story.title,
    createdAt: story.createdAt,
    updatedAt: story.updatedAt,
    createdBy: story.createdBy,
    role: story.role,
    // Projected from the desk document whenever the server writes it.
    workflowState: story.workflowState ?? 'draft',
    changedSinceApproval: story.changedSinceApproval ?? false,
    claimCounts: story.claimCounts ?? {},
  };
}

/**
 * The story with the user's role on it; 404 (not 403) for stories the user is not on, so that
 * story ids cannot be probed. Newsroom admins see every story as editors.
 */
export async function storyForUser(app: FastifyInstance, storyId: string, user: UserRecord): Promise<StoryWithRole> {
  const story = await app.storage.stories.get(storyId);
  if (story === null) throw new StoryNotFound();
  const role = await app.storage.stories.roleOf(storyId, user.id);
  if (role !== null) return { ...story, role };
  if (user.isAdmin) return { ...story, role: 'editor' };
  throw new StoryNotFound();
}

export async function storyRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/stories',
    {
      preHandler: requireUser,
      schema: { summary: 'Stories the user can see, newest change first', response: { 200: StoryList, 401: ApiError } },
    },
    async (request) => {
      const user = request.user as UserRecord;
      const stories = user.isAdmin
        ? await app.storage.stories.listAll()
        : await app.storage.stories.listForUser(user.id);
      if (user.isAdmin) {
        // An admin who is also a member sees their real role.
        const own = new Map((await app.storage.stories.listForUser(user.id)).map((story) => [story.id, story.role]));
        for (const story of stories) story.role = own.get(story.id) ?? story.role;
      }
      return { stories: stories.map(toSummary) };
    },
  );

  api.post(
    '/api/stories',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Create an empty story; the creator is its editor',
        body: CreateStoryBody,
        response: { 201: StorySummarySchema, 401: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const now = new Date().toISOString();
      const story = { id: newId(), title: request.body.title, createdBy: user.id, createdAt: now, updatedAt: now };
      await app.storage.stories.create(story);
      await app.rooms.withRoom({ storyId: story.id, part: 'body' }, (room) =>
        room.change((doc) => {
          metaText(doc.getMap(YName.meta), 'title').insert(0, story.title);
          doc.getXmlFragment(YName.body).insert(0, [new Y.XmlElement('paragraph')]);
        }),
      );
      return reply.code(201).send(toSummary({ ...story, role: 'editor' }));
    },
  );

  api.get(
    '/api/stories/:id',
    {
      preHandler: requireUser,
      schema: {
        summary: 'A story: metadata, workflow state, claim counts',
        params: StoryParams,
        response: { 200: StorySummarySchema, 401: ApiError, 404: ApiError },
      },
    },
    async (request) => toSummary(await storyForUser(app, request.params.id, request.user as UserRecord)),
  );

  api.delete(
    '/api/stories/:id/members/:userId',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Take a person off a story (editors of the story and admins); their open sockets close',
        params: StoryParams.extend({ userId: z.string().max(64) }),
        response: { 204: z.null(), 403: ApiError, 404: ApiError, 409: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      if (!canManageMembers(story.role)) throw new Forbidden('Only an editor of this story can change its members');
      const current = await app.storage.stories.roleOf(story.id, request.params.userId);
      if (current === null) throw new NotFound('That person is not on this story');
      if (current === 'editor' && (await app.storage.stories.countEditors(story.id)) <= 1) {
        throw new Conflict('A story needs at least one editor');
      }
      await app.storage.stories.removeMember(story.id, request.params.userId);
      app.rooms.applyMembership(story.id, request.params.userId, null);
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'member-removed',
        detail: { member: request.params.userId },
      });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/stories/:id/audit',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Who did what, when, on this story (append-only)',
        params: StoryParams,
        querystring: z.object({ after: z.coerce.number().int().min(0).default(0) }),
        response: {
          200: z.object({
            entries: z.array(
              z.object({
                seq: z.number(),
                userId: z.string().nullable(),
                action: z.string(),
                detail: z.record(z.string(), z.unknown()),
                at: z.string(),
              }),
            ),
          }),
          404: ApiError,
        },
      },
    },
    async (request) => {
      const story = await storyForUser(app, request.params.id, request.user as UserRecord);
      const entries = await app.storage.audit.listForStory(story.id, request.query.after);
      return { entries: entries.map(({ seq, userId, action, detail, at }) => ({ seq, userId, action, detail, at })) };
    },
  );

  api.put(
    '/api/stories/:id/members/:userId',
    {
      preHandler: requireUser,
      schema: {
        summary: "Set a person's role on a story (editors of the story and admins)",
        params: StoryParams.extend({ userId: z.string().max(64) }),
        body: z.object({ role: Role }).strict(),
        response: { 200: z.object({ userId: z.string(), role: Role }), 403: ApiError, 404: ApiError },
      },
    },
    async (request) => {
      const user = request.user as UserRecord;
      const story = await storyForUser(app, request.params.id, user);
      if (!canManageMembers(story.role)) throw new Forbidden('Only an editor of this story can change its members');
      const member = await app.storage.users.findById(request.params.userId);
      if (member === null) throw new NotFound('No such user');
      const current = await app.storage.stories.roleOf(story.id, member.id);
      if (
        current === 'editor' &&
        request.body.role !== 'editor' &&
        (await app.storage.stories.countEditors(story.id)) <= 1
      ) {
        throw new Conflict('A story needs at least one editor');
      }
      await app.storage.stories.setMember(story.id, member.id, request.body.role);
      app.rooms.applyMembership(story.id, member.id, request.body.role);
      await audit(app, {
        storyId: story.id,
        userId: user.id,
        action: 'member-set',
        detail: { member: member.id, role: request.body.role },
      });
      return { userId: member.id, role: request.body.role };
    },
  );
}
