import type { Role } from '../../shared/api.ts';

/**
 * What the room core knows of a client: who it is, and how to send to it and close it. The
 * WebSocket route adapts a `ws` socket to this; tests and other transports can adapt anything else.
 */

/** The identity the server vouches for; clients cannot choose any of it. */
export interface SessionIdentity {
  id: string;
  name: string;
  color: string;
}

export interface CollabConnection {
  /** Unique per connection, for logs. */
  readonly id: string;
  readonly user: SessionIdentity;
  /** The session or API token the socket was opened with (`session:<hash>`, `token:<id>`). */
  readonly credential: string;
  /**
   * The user's role on the story. Mutable: a membership change applies to open sockets at once
   * (`RoomManager.applyMembership`).
   */
  role: Role;
  /** Whether the client asked for `MessageType.savedAck` after each of its updates is stored. */
  readonly wantsAcks: boolean;
  /** Sends one binary y-websocket message; silently dropped once the connection is closing. */
  send(message: Uint8Array): void;
  /** Ends the connection with a close code from `shared/protocol.ts` and a short reason. */
  close(code: number, reason: string): void;
}
