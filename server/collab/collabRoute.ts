/**
 * The WebSocket adapter: `/collab/<storyId>/<part>` → a room. Authenticates the upgrade, checks
 * the origin and the story, then hands binary frames to the room core. Every refusal is a close
 * code from `shared/protocol.ts`, sent before any document is loaded.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { isStoryPart, parseRoomName } from '../../shared/documentLayout.ts';
import { CloseCode, CloseReason, COLLAB_PATH } from '../../shared/protocol.ts';
import { authenticate } from '../auth/authPlugin.ts';
import { newId } from '../auth/secrets.ts';
import type { CollabConnection } from './Connection.ts';
import { ECHO_BUDGET_FACTOR, isPresenceEcho, screenMessage, TokenBucket } from './limits.ts';
import type { Room } from './Room.ts';
import { closeOnFrameErrors, frameBytes, SocketCounter, sendOrCutOff } from './socketGuard.ts';

/** Messages accepted while the room is still loading; a client that sends more is misbehaving. */
const MAX_EARLY_MESSAGES = 256;
const PING_INTERVAL_MS = 30_000;

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
  // Limits (docs/ARCHITECTURE.md, "Limits and close codes"). One socket is one room by construction
  // of the path, so "rooms per socket" is always 1.
  const limits = app.config;
  const sockets = new SocketCounter(limits.maxSocketsPerUser);

  app.get(`${COLLAB_PATH}/*`, { websocket: true }, (socket, request) => {
    const log = request.log;
    let room: Room | null = null;
    let conn: CollabConnection | null = null;
    let open = true;
    const early: Uint8Array[] = [];
    const bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    const echoes = new TokenBucket(
      limits.messagesPerSecond * ECHO_BUDGET_FACTOR,
      limits.messageBurst * ECHO_BUDGET_FACTOR,
    );
    /** The account this socket is counted against (from authentication until it closes). */
    let counted: string | null = null;
    /** Whether the client has sent anything (every message that does not close the socket is valid). */
    let received = false;
    alive.add(socket);

    const release = (): void => {
      clearTimeout(handshake);
      if (counted !== null) sockets.release(counted);
      counted = null;
    };
    const close = (code: number, reason: string): void => {
      if (!open) return;
      open = false;
      release();
      if (room && conn) app.rooms.leave(room, conn);
      log.debug({ code, reason }, 'collaboration socket closed by the server');
      socket.close(code, reason);
    };
    // A socket must have joined its room and sent something (a stock provider sends its sync step 1
    // the moment it opens) within the handshake time; one that sends nothing holds resources for nothing.
    const handshake = setTimeout(() => {
      if (!received) close(CloseCode.handshakeTimeout, CloseReason.handshakeTimeout);
      else if (room === null) close(CloseCode.tryAgainLater, CloseReason.joinTimeout);
    }, limits.handshakeTimeoutMs);
    handshake.unref();
    /** Screens a message against the limits before the room decodes it. */
    const deliver = (target: Room, connection: CollabConnection, bytes: Uint8Array): void => {
      const refused = screenMessage(bytes, target.doc, limits);
      if (refused !== null) close(refused.code, refused.reason);
      else target.receive(connection, bytes);
    };

    closeOnFrameErrors(socket, close);
    socket.on('error', (error) => log.warn({ err: error }, 'collaboration socket error'));
    socket.on('pong', () => alive.add(socket));
    socket.on('close', () => {
      open = false;
      release();
      if (room && conn) app.rooms.leave(room, conn);
    });
    // Listen before anything async: messages sent right after the upgrade must not be lost.
    socket.on('message', (data, isBinary) => {
      if (!open) return;
      const bytes = isBinary ? frameBytes(data) : null;
      const echo = bytes !== null && room !== null && isPresenceEcho(bytes, room.awareness);
      if (!(echo ? echoes : bucket).take()) {
        close(CloseCode.rateLimited, CloseReason.rateLimited);
        return;
      }
      received = true;
      if (bytes === null) {
        close(CloseCode.badMessage, CloseReason.textFrame);
        return;
      }
      if (room && conn) deliver(room, conn, bytes);
      else if (early.length < MAX_EARLY_MESSAGES) early.push(bytes);
      else close(CloseCode.rateLimited, CloseReason.earlyFlood);
    });

    (async () => {
      const authenticated = await authenticate(app, request, true);
      if (authenticated === null) return close(CloseCode.notAuthenticated, 'not authenticated');
      const { user, credential } = authenticated;
      if (!open) return;
      if (!sockets.acquire(user.id)) return close(CloseCode.tooManySockets, CloseReason.tooManySockets);
      counted = user.id;
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
          sendOrCutOff(socket, message, limits.maxBufferedBytes, close, (error) =>
            log.debug({ err: error }, 'send failed'),
          );
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
      for (const message of early.splice(0)) {
        if (!open) break;
        deliver(joined, connection, message);
      }
    })().catch((error: unknown) => {
      log.error({ err: error }, 'collaboration socket setup failed');
      close(CloseCode.serverError, CloseReason.serverError);
    });
  });
}
