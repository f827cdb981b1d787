/** API tokens for scripts: created once (the secret is shown only then), listed, revoked. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, CreateTokenBody, TokenCreated } from '../../shared/api.ts';
import { requireUser } from '../auth/authPlugin.ts';
import { hashSecret, newId, newSecret } from '../auth/secrets.ts';
import { NotFound } from '../errors.ts';
import type { UserRecord } from '../storage/Storage.ts';

const TokenInfo = z.object({ id: z.string(), name: z.string(), createdAt: z.string() });

export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.post(
    '/api/tokens',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Create an API token (sent as Authorization: Bearer ...); the secret is returned only here',
        body: CreateTokenBody,
        response: { 201: TokenCreated, 401: ApiError },
      },
    },
    async (request, reply) => {
      const user = request.user as UserRecord;
      const token = newSecret('sdt');
      const record = { id: newId(), userId: user.id, name: request.body.name, createdAt: new Date().toISOString() };
      await app.storage.tokens.create(record, hashSecret(token));
      return reply.code(201).send({ id: record.id, name: record.name, token, createdAt: record.createdAt });
    },
  );

  api.get(
    '/api/tokens',
    {
      preHandler: requireUser,
      schema: {
        summary: "The current user's live tokens",
        response: { 200: z.object({ tokens: z.array(TokenInfo) }) },
      },
    },
    async (request) => {
      const tokens = await app.storage.tokens.listForUser((request.user as UserRecord).id);
      return { tokens: tokens.map(({ id, name, createdAt }) => ({ id, name, createdAt })) };
    },
  );

  api.delete(
    '/api/tokens/:tokenId',
    {
      preHandler: requireUser,
      schema: {
        summary: 'Revoke a token',
        params: z.object({ tokenId: z.string().max(64) }),
        response: { 204: z.null(), 404: ApiError },
      },
    },
    async (request, reply) => {
      const revoked = await app.storage.tokens.revoke(
        request.params.tokenId,
        (request.user as UserRecord).id,
        new Date(),
      );
      if (!revoked) throw new NotFound('No such token');
      app.rooms.closeCredential(`token:${request.params.tokenId}`);
      return reply.code(204).send(null);
    },
  );
}
