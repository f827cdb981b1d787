/**
 * The WebSocket adapter: `/collab/<storyId>/<part>` → a room. Authenticates the upgrade, checks
 * the origin and the story, then hands binary frames to the room core. Every refusal is a close
 * code from `shared/protocol.ts`, sent before any document is loaded.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { isStoryPart, parseRoomName } from '../../shared/documentLayout.ts';
import { CloseCode, COLLAB_PATH } from '../../shared/protocol.ts';
import { authenticate } from '../auth/authPlugin.ts';
import { newId } from '../auth/secrets.ts';
import type { CollabConnection } from './Connection.ts';
import type { Room } from './Room.ts';

/** Messages accepted while the room is still loading; a client that sends more is misbehaving. */
const MAX_EARLY_MESSAGES = 256;
const PING_INTERVAL_MS = 30_000;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Same-origin requests, and origins on the allow-list; requests without `Origin` are scripts. */
export function originAllowed(request: FastifyRequest, allowed: string[]): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export async function collabRoute(app: FastifyInstance): Promise<void> {
  const alive = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const client of app.websocketServer.clients) {
      if (!alive.has(client)) {
        client.terminate();
        continue;
      }
      alive.delete(client);
      client.ping();
    }
  }, PING_INTERVAL_MS);
  pinger.unref();
  app.addHook('onClose', async () => clearInterval(pinger));

  app.get(`${COLLAB_PATH}/*`, { websocket: true }, (socket, request) => {
    const log = request.log;
    let room: Room | null = null;
    let conn: CollabConnection | null = null;
    let open = true;
    const early: Uint8Array[] = [];
    alive.add(socket);

    const close = (code: number, reason: string): void => {
      if (!open) return;
      open = false;
      if (room && conn) app.rooms.leave(room, conn);
      socket.close(code, reason);
    };

    socket.on('error', (error) => log.warn({ err: error }, 'collaboration socket error'));
    socket.on('pong', () => alive.add(socket));
    socket.on('close', () => {
      open = false;
      if (room && conn) app.rooms.leave(room, conn);
    });
    // Listen before anything async: messages sent right after the upgrade must not be lost.
    socket.on('message', (data, isBinary) => {
      if (!open) return;
      if (!isBinary) {
        close(CloseCode.badMessage, 'text frames are not part of the protocol');
        return;
      }
      const bytes = toBytes(data);
      if (room && conn) room.receive(conn, bytes);
      else if (early.length < MAX_EARLY_MESSAGES) early.push(bytes);
      else close(CloseCode.rateLimited, 'too many messages before the document loaded');
    });

    (async () => {
      const authenticated = await authenticate(app, request, true);
      if (authenticated === null) return close(CloseCode.notAuthenticated, 'not authenticated');
      const { user, credential } = authenticated;
      if (!originAllowed(request, app.config.allowedOrigins)) return close(CloseCode.forbidden, 'origin not allowed');
      const name = (request.params as Record<string, string | undefined>)['*'] ?? '';
      const parsed = parseRoomName(decodeURIComponent(name));
      if (parsed === null || !isStoryPart(parsed.part)) return close(CloseCode.notFound, 'no such story part');
      const story = await app.storage.stories.get(parsed.storyId);
      const role = story ? await app.storage.stories.roleOf(story.id, user.id) : null;
      if (story === null || (role === null && !user.isAdmin)) return close(CloseCode.notFound, 'no such story');
      if (!open) return;
      const connection: CollabConnection = {
        id: newId(),
        user: { id: user.id, name: user.name, color: user.color },
        credential,
        // A newsroom admin who is not on the story acts as its editor.
        role: role ?? 'editor',
        wantsAcks: (request.query as Record<string, unknown>).ack === '1',
        send(message) {
          if (socket.readyState === socket.OPEN) {
            socket.send(message, (error) => {
              if (error) log.debug({ err: error }, 'send failed');
            });
          }
        },
        close,
      };
      const joined = await app.rooms.join({ storyId: parsed.storyId, part: parsed.part }, connection);
      if (!open) {
        app.rooms.leave(joined, connection);
        return;
      }
      room = joined;
      conn = connection;
      for (const message of early.splice(0)) joined.receive(connection, message);
    })().catch((error: unknown) => {
      log.error({ err: error }, 'collaboration socket setup failed');
      close(1011, 'server error');
    });
  });
}
