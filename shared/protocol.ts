/**
 * The wire vocabulary shared by the server and every client: y-websocket message types, the
 * WebSocket path, and the close codes the server uses to end a socket.
 *
 * Close codes in 4400–4499 are permanent for the stock `WebsocketProvider` (it stops retrying);
 * every other code, including 4500–4599, makes it reconnect with back-off.
 */

/** Top-level y-websocket message types (first varuint of every binary frame). */
export const MessageType = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  /**
   * Sourcedesk extension, sent only to clients that connect with `?ack=1`: one such message (the
   * type alone, no payload) answers each sync step 2 or update the client sent, in order, once it
   * is durably stored or found to hold nothing new. Lets the editor say "all changes saved"
   * truthfully. Stock clients never receive it.
   */
  savedAck: 100,
} as const;

/** Sub-types of a sync message (y-protocols/sync). */
export const SyncMessageType = {
  step1: 0,
  step2: 1,
  update: 2,
} as const;

/** Path prefix of the collaboration socket; the room name follows: `/collab/<storyId>/<part>`. */
export const COLLAB_PATH = '/collab';

/** Named close codes. Keep the reason strings short: a close frame's reason is at most 123 bytes. */
export const CloseCode = {
  /** Server is shutting down or restarting; the client reconnects. */
  goingAway: 1001,
  /** A frame could not be decoded (garbage, unknown type, truncated update). */
  badMessage: 4400,
  /** No valid session cookie or API token at upgrade. */
  notAuthenticated: 4401,
  /** Authenticated, but not allowed here (origin, membership). */
  forbidden: 4403,
  /** No such story, or no such part of a story. */
  notFound: 4404,
  /** A frame or update is larger than the configured limit. */
  tooLarge: 4413,
  /**
   * An update was refused (it breaks the notes schema or the role's rules, or uses another user's
   * client id). The sender's copy has diverged: discard the local copy of the room and resync.
   */
  updateRefused: 4422,
  /** Too many messages in too short a time. */
  rateLimited: 4429,
  /**
   * The socket did not complete its handshake in time: it sent nothing (a stock provider sends its
   * sync step 1 the moment it opens) within `handshakeTimeoutMs` of the upgrade.
   */
  handshakeTimeout: 4408,
  /** The account already has `maxSocketsPerUser` collaboration sockets open. */
  tooManySockets: 4409,
  /** Server busy: the room could not be joined within `handshakeTimeoutMs`. The client reconnects. */
  tryAgainLater: 1013,
  /** The server failed to open the room (its store could not be read). The client reconnects. */
  serverError: 1011,
  /** The update could not be stored; it was not accepted. The client keeps it and retries. */
  storageUnavailable: 4503,
  /**
   * The client reads too slowly: more than `maxBufferedBytes` waited in the server's send buffer.
   * Transient: the provider reconnects and its sync handshake catches it up.
   */
  slowReader: 4509,
} as const;

/**
 * The reasons sent with the close codes above, one per cause (a close reason is at most 123 bytes,
 * so limits are named here and their values are in the server's configuration).
 */
export const CloseReason = {
  malformedMessage: 'malformed message',
  malformedFrame: 'malformed WebSocket frame',
  textFrame: 'text frames are not part of the protocol',
  invalidUtf8: 'invalid UTF-8 in a text frame',
  unknownMessageType: 'unknown message type',
  unknownSyncType: 'unknown sync message type',
  subdocument: 'subdocuments are not part of a story',
  frameTooLarge: 'frame larger than the limit',
  updateTooLarge: 'update larger than the limit',
  tooManyStructs: 'update declares more structs than the limit',
  nestedTooDeeply: 'content nested deeper than the limit',
  awarenessTooLarge: 'presence update larger than the limit',
  rateLimited: 'more messages per second than the limit',
  earlyFlood: 'too many messages before the document loaded',
  handshakeTimeout: 'no message within the handshake time',
  joinTimeout: 'the story took too long to open; retrying',
  tooManySockets: 'too many open connections for this account',
  slowReader: 'reading too slowly; reconnect to catch up',
  serverError: 'server error',
  storageUnavailable: 'update could not be stored; retrying',
  updateRefusedClientId: 'client id belongs to another user',
} as const;

export type CloseReasonName = keyof typeof CloseReason;

export type CloseCodeName = keyof typeof CloseCode;
