/**
 * `buildServer(options)`: the whole Sourcedesk server as a Fastify instance that never listens.
 * The CLI listens; tests and benchmarks use port 0 or `inject()`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { audit } from './audit.ts';
import { authPlugin } from './auth/authPlugin.ts';
import { newId } from './auth/secrets.ts';
import { ClaimKeeper } from './claims/ClaimKeeper.ts';
import { refuseNotesUpdate } from './claims/notesValidation.ts';
import { collabRoute } from './collab/collabRoute.ts';
import { connectRedisBus, type InstanceBus } from './collab/InstanceBus.ts';
import { RoomManager } from './collab/RoomManager.ts';
import { type ResolvedConfig, resolveConfig, type ServerOptions } from './config.ts';
import { claimRoutes } from './routes/claimRoutes.ts';
import { importExportRoutes } from './routes/importExportRoutes.ts';
import { sessionRoutes } from './routes/sessionRoutes.ts';
import { storyRoutes } from './routes/storyRoutes.ts';
import { tokenRoutes } from './routes/tokenRoutes.ts';
import { userRoutes } from './routes/userRoutes.ts';
import { workflowRoutes } from './routes/workflowRoutes.ts';
import { openSqliteStorage } from './storage/SqliteStorage.ts';
import type { Storage } from './storage/Storage.ts';
import { StoryListing } from './storyListing.ts';
import { Workflow } from './workflow/Workflow.ts';

declare module 'fastify' {
  interface FastifyInstance {
    storage: Storage;
    rooms: RoomManager;
    config: ResolvedConfig;
    workflow: Workflow;
  }
}

const projectRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));

export type { ServerOptions } from './config.ts';

export async function buildServer(options: ServerOptions = {}): Promise<FastifyInstance> {
  const config = resolveConfig(options);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024, trustProxy: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const ownsStorage = options.storage === undefined;
  const storage = options.storage ?? openSqliteStorage(join(resolve(options.dataDir ?? 'data'), 'sourcedesk.db'));
  const listing = new StoryListing(storage.stories, app.log);
  const bus: InstanceBus | undefined =
    options.redisUrl === undefined
      ? undefined
      : await connectRedisBus({
          url: options.redisUrl,
          instanceId: options.instanceId ?? newId(),
          ...(options.redisPrefix === undefined ? {} : { prefix: options.redisPrefix }),
          onError: (error) => app.log.warn({ err: error }, 'redis'),
        });
  let keeper: ClaimKeeper | null = null;
  let workflow: Workflow | null = null;
  const rooms = new RoomManager({
    store: storage.documents,
    log: app.log,
    hooks: {
      afterChange: (room, userIds) => {
        listing.noteChange(room);
        keeper?.noteChange(room, userIds);
        workflow?.noteChange(room, userIds);
      },
      afterRemoteChange: (room) => workflow?.noteRemoteChange(room),
      validate: (room, conn, update) =>
        room.key.part === 'notes' ? refuseNotesUpdate(room.doc, update, conn.role) : null,
      onRefused: (room, conn, reason) => {
        void audit(app, {
          storyId: room.key.storyId,
          userId: conn.user.id,
          action: 'write-refused',
          detail: { part: room.key.part, role: conn.role, reason },
        });
      },
    },
    ...(options.unloadGraceMs === undefined ? {} : { unloadGraceMs: options.unloadGraceMs }),
    ...(options.compactAfterUpdates === undefined ? {} : { compactAfterUpdates: options.compactAfterUpdates }),
    ...(bus === undefined ? {} : { bus }),
    ...(options.healIntervalMs === undefined ? {} : { healIntervalMs: options.healIntervalMs }),
  });
  keeper = new ClaimKeeper(rooms, app.log, (storyId, counts) => storage.stories.setClaimCounts(storyId, counts));
  const claimKeeper = keeper;
  workflow = new Workflow(storage, rooms, app.log, {
    ...(options.versionPauseMs === undefined ? {} : { pauseMs: options.versionPauseMs }),
  });
  const desk = workflow;
  app.decorate('storage', storage);
  app.decorate('rooms', rooms);
  app.decorate('config', config);
  app.decorate('workflow', desk);

  // Order matters on close: sockets and rooms first (storing what is pending), then the store.
  app.addHook('preClose', async () => {
    await claimKeeper.close();
    await desk.close();
    await rooms.shutdown();
    await listing.close();
    await bus?.close();
  });
  app.addHook('onClose', async () => {
    if (ownsStorage) await storage.close();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const first = error.validation[0];
      const where = first?.instancePath ? `${first.instancePath.slice(1).replaceAll('/', '.')}: ` : '';
      return reply.code(400).send({ error: 'bad_request', message: `${where}${first?.message ?? 'invalid request'}` });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply
        .code(status)
        .send({ error: 'internal', message: 'Something went wrong on the server; nothing was changed' });
    }
    const code = error.code?.startsWith('FST_') ? 'bad_request' : (error.code ?? 'error');
    return reply
      .code(status)
      .send({ error: status === 429 ? 'rate_limited' : code.toLowerCase(), message: error.message });
  });

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  await app.register(fastifyWebsocket, { options: { maxPayload: config.maxFrameBytes } });
  await app.register(fastifySwagger, {
    openapi: { info: { title: 'Sourcedesk API', version: '1.0.0' } },
    transform: jsonSchemaTransform,
  });
  await app.register(authPlugin);

  await app.register(sessionRoutes);
  await app.register(tokenRoutes);
  await app.register(userRoutes);
  await app.register(storyRoutes);
  await app.register(claimRoutes);
  await app.register(importExportRoutes);
  await app.register(workflowRoutes);
  await app.register(collabRoute);
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  // Liveness: the process answers. Readiness: it can also reach its storage and, with several
  // instances, Redis (a load balancer sends it no new sockets otherwise).
  app.get('/api/health', { schema: { hide: true } }, async () => ({ ok: true }));
  app.get('/api/ready', { schema: { hide: true } }, async (_request, reply) => {
    const storageReady = await storage.ping().then(
      () => true,
      () => false,
    );
    const redisReady = bus === undefined ? null : bus.isReady();
    const ready = storageReady && redisReady !== false;
    return reply.code(ready ? 200 : 503).send({ ready, storage: storageReady, redis: redisReady });
  });

  const clientDir = options.clientDir === undefined ? join(projectRoot, 'dist', 'client') : options.clientDir;
  const servesClient = clientDir !== null && existsSync(join(clientDir, 'index.html'));
  if (servesClient) await app.register(fastifyStatic, { root: clientDir, prefix: '/', wildcard: false });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // Client-side routes (/stories/...) get the app; unknown API paths get a JSON 404.
    if (servesClient && request.method === 'GET' && !path.startsWith('/api/') && !path.startsWith('/collab/')) {
      return reply.sendFile('index.html');
    }
    return reply.code(404).send({ error: 'not_found', message: `No route for ${request.method} ${path}` });
  });

  return app;
}
