/** The newsroom's people: listed for choosing story members; created by admins. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, DisplayName, Password, User, Username } from '../../shared/api.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { Conflict, Forbidden } from '../errors.ts';
import type { UserRecord } from '../storage/Storage.ts';
import { createUser } from '../users.ts';
import { publicUser } from './sessionRoutes.ts';

export async function userRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/users',
    {
      preHandler: requireUser,
      schema: { summary: 'Everyone in the newsroom', response: { 200: z.object({ users: z.array(User) }) } },
    },
    async () => ({ users: (await app.storage.users.list()).map(publicUser) }),
  );

  api.post(
    '/api/users',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Create an account (newsroom admins)',
        body: z
          .object({ username: Username, password: Password, name: DisplayName, isAdmin: z.boolean().default(false) })
          .strict(),
        response: { 201: User, 403: ApiError, 409: ApiError },
      },
    },
    async (request, reply) => {
      if (!(request.user as UserRecord).isAdmin) throw new Forbidden('Only a newsroom admin can create accounts');
      if (await app.storage.users.findByUsername(request.body.username)) throw new Conflict('That username is taken');
      const user = await createUser(app.storage, request.body);
      return reply.code(201).send(publicUser(user));
    },
  );
}
