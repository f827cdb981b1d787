/**
 * Keeps the rooms that have clients in memory: loads each once however many clients arrive at the
 * same moment, unloads it a grace period after its last client leaves, and compacts its log into
 * a snapshot in the background.
 */
import type { FastifyBaseLogger } from 'fastify';
import * as Y from 'yjs';
import type { Role } from '../../shared/api.ts';
import { CloseCode } from '../../shared/protocol.ts';
import type { DocKey, DocumentStore } from '../storage/Storage.ts';
import type { CollabConnection } from './Connection.ts';
import { BusKind, type InstanceBus } from './InstanceBus.ts';
import { Room, type RoomHooks } from './Room.ts';

export interface RoomManagerOptions {
  store: DocumentStore;
  log: FastifyBaseLogger;
  hooks?: RoomHooks;
  /** How long an empty room stays loaded, in ms (a reload or a flaky network comes back quickly). */
  unloadGraceMs?: number;
  /** Compact a room's log once this many entries follow its snapshot. */
  compactAfterUpdates?: number;
  /** Other instances of the same newsroom (Redis); without it this instance is alone. */
  bus?: InstanceBus;
  /** How often open rooms' state vectors are exchanged between instances, in ms. */
  healIntervalMs?: number;
}

function keyString(key: DocKey): string {
  return `${key.storyId}/${key.part}`;
}

export class RoomManager {
  private readonly rooms = new Map<string, Room>();
  private readonly loading = new Map<string, Promise<Room>>();
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly unloadTimers = new Map<string, NodeJS.Timeout>();
  /** Holders that are not connections (API calls changing a room); keep the room loaded. */
  private readonly leases = new Map<string, number>();
  private readonly compacting = new Set<Room>();
  private closed = false;
  private readonly unloadGraceMs: number;
  private readonly compactAfterUpdates: number;

  private readonly healTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: RoomManagerOptions) {
    const bus = options.bus;
    if (bus !== undefined) {
      // Instances tell each other what they have; whoever lacks something reads it from storage.
      this.healTimer = setInterval(() => {
        for (const room of this.rooms.values())
          bus.publish(room.name, BusKind.stateVector, Y.encodeStateVector(room.doc));
      }, options.healIntervalMs ?? 5000);
      this.healTimer.unref();
      bus.onReconnect(() => {
        // Messages published while Redis was away are lost to us; storage has them.
        for (const room of this.rooms.values()) this.heal(room);
      });
    }
    this.unloadGraceMs = options.unloadGraceMs ?? 5000;
    this.compactAfterUpdates = options.compactAfterUpdates ?? 500;
    const userHook = options.hooks?.afterChange;
    this.hooks = {
      ...options.hooks,
      afterChange: (room, userIds) => {
        userHook?.(room, userIds);
        if (room.logTail >= this.compactAfterUpdates) this.compactInBackground(room);
      },
    };
  }

  private readonly hooks: RoomHooks;

  /** Rooms now in memory (for tests, metrics and shutdown). */
  get loadedRoomCount(): number {
    return this.rooms.size;
  }

  /** The loaded room for `key`, if any (no loading). */
  peek(key: DocKey): Room | undefined {
    return this.rooms.get(keyString(key));
  }

  /** Loads (or finds) the room and adds the connection to it. */
  async join(key: DocKey, conn: CollabConnection): Promise<Room> {
    const room = await this.acquire(key);
    room.join(conn);
    return room;
  }

  /** Removes the connection; an empty room unloads after the grace period. */
  leave(room: Room, conn: CollabConnection): void {
    room.leave(conn);
    this.scheduleUnloadIfIdle(room);
  }

  /**
   * Runs `fn` with the room loaded (for server-side changes from the API) and lets it unload
   * afterwards if nobody is connected.
   */
  async withRoom<T>(key: DocKey, fn: (room: Room) => Promise<T>): Promise<T> {
    const room = await this.acquire(key);
    const name = keyString(key);
    this.leases.set(name, (this.leases.get(name) ?? 0) + 1);
    try {
      return await fn(room);
    } finally {
      const left = (this.leases.get(name) ?? 1) - 1;
      if (left === 0) this.leases.delete(name);
      else this.leases.set(name, left);
      this.scheduleUnloadIfIdle(room);
    }
  }

  private async acquire(key: DocKey): Promise<Room> {
    if (this.closed) throw new RangeError('The room manager is shut down');
    const name = keyString(key);
    const timer = this.unloadTimers.get(name);
    if (timer) {
      clearTimeout(timer);
      this.unloadTimers.delete(name);
    }
    const loaded = this.rooms.get(name);
    if (loaded) return loaded;
    const pending = this.loading.get(name);
    if (pending) return pending;
    const load = (async () => {
      // A room that is still being written out must finish before it is read back.
      await this.unloading.get(name);
      const bus = this.options.bus;
      if (bus === undefined) {
        const room = await Room.load(key, this.options.store, this.options.log, this.hooks);
        this.rooms.set(name, room);
        return room;
      }
      // Subscribe first, then load: whatever is published in between is held and applied after.
      let room: Room | null = null;
      const early: [BusKind, Uint8Array][] = [];
      await bus.subscribe(name, (kind, payload) => {
        if (room === null) early.push([kind, payload.slice()]);
        else this.fromBus(room, kind, payload);
      });
      try {
        room = await Room.load(key, this.options.store, this.options.log, this.hooks);
      } catch (error) {
        await bus.unsubscribe(name);
        throw error;
      }
      const loaded: Room = room;
      loaded.outbox = {
        update: (update) => bus.publish(name, BusKind.update, update),
        awareness: (update) => bus.publish(name, BusKind.awareness, update),
      };
      for (const [kind, payload] of early) this.fromBus(loaded, kind, payload);
      this.rooms.set(name, loaded);
      return loaded;
    })();
    this.loading.set(name, load);
    try {
      return await load;
    } finally {
      this.loading.delete(name);
    }
  }

  private scheduleUnloadIfIdle(room: Room): void {
    const name = room.name;
    if (room.connectionCount > 0 || this.leases.has(name) || this.closed) return;
    if (this.unloadTimers.has(name)) return;
    const timer = setTimeout(() => {
      this.unloadTimers.delete(name);
      if (room.connectionCount > 0 || this.leases.has(name) || this.rooms.get(name) !== room) return;
      this.rooms.delete(name);
      const done = this.unload(room).finally(() => {
        if (this.unloading.get(name) === done) this.unloading.delete(name);
      });
      this.unloading.set(name, done);
    }, this.unloadGraceMs);
    timer.unref();
    this.unloadTimers.set(name, timer);
  }

  private async unload(room: Room): Promise<void> {
    try {
      await room.compact();
    } catch (error) {
      // The log still holds every update, so nothing is lost; the next load replays it.
      this.options.log.error({ err: error, room: room.name }, 'compaction on unload failed');
    }
    room.destroy();
    await this.options.bus?.unsubscribe(room.name);
  }

  /** A message from another instance about an open room. */
  private fromBus(room: Room, kind: BusKind, payload: Uint8Array): void {
    if (kind === BusKind.update) room.applyRemote(payload);
    else if (kind === BusKind.awareness) room.applyRemoteAwareness(payload);
    else if (kind === BusKind.stateVector && room.lacksAnythingOf(payload)) {
      // The update may simply still be on its way: look again shortly before reading storage.
      const stateVector = payload.slice();
      setTimeout(() => {
        if (this.rooms.get(room.name) === room && room.lacksAnythingOf(stateVector)) this.heal(room);
      }, 1000).unref();
    }
  }

  private heal(room: Room): void {
    room.healFromStore().catch((error: unknown) => {
      this.options.log.warn({ err: error, room: room.name }, 'healing from storage failed; will retry');
    });
  }

  private compactInBackground(room: Room): void {
    if (this.compacting.has(room)) return;
    this.compacting.add(room);
    setImmediate(() => {
      room
        .compact()
        .catch((error: unknown) => this.options.log.error({ err: error, room: room.name }, 'compaction failed'))
        .finally(() => this.compacting.delete(room));
    });
  }

  /**
   * Applies a membership change to open sockets at once: a new role takes effect on the next
   * message; a removed member's sockets on the story are closed.
   */
  applyMembership(storyId: string, userId: string, role: Role | null): void {
    for (const room of this.rooms.values()) {
      if (room.key.storyId !== storyId) continue;
      for (const conn of room.connectionsOf(userId)) {
        if (role === null) conn.close(CloseCode.forbidden, 'removed from this story');
        else conn.role = role;
      }
    }
  }

  /** Closes every socket opened with a credential that has ended (logout, revoked token). */
  closeCredential(credential: string): void {
    for (const room of this.rooms.values()) {
      for (const conn of room.connectionList) {
        if (conn.credential === credential) conn.close(CloseCode.notAuthenticated, 'session ended');
      }
    }
  }

  /** Stops taking rooms, stores what is pending, compacts, and closes every connection with 1001. */
  async shutdown(): Promise<void> {
    this.closed = true;
    if (this.healTimer !== null) clearInterval(this.healTimer);
    for (const timer of this.unloadTimers.values()) clearTimeout(timer);
    this.unloadTimers.clear();
    await Promise.allSettled([...this.loading.values()]);
    const rooms = [...this.rooms.values()];
    this.rooms.clear();
    await Promise.allSettled([...rooms.map((room) => this.unload(room)), ...this.unloading.values()]);
  }
}
