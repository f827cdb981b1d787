/**
 * The newsroom's people by id, to show names for the ids stored in claims and discussions. Fetched
 * once per page; while that fails (offline), names read as "someone" and it is tried again when the
 * browser is back online.
 */
import { useEffect, useState } from 'preact/hooks';
import type { User } from '../../../shared/api.ts';
import { api } from '../api.ts';

export type People = ReadonlyMap<string, User>;

export function useUsers(): People {
  const [people, setPeople] = useState<People>(() => new Map());
  useEffect(() => {
    let cancelled = false;
    let loaded = false;
    const load = () => {
      if (loaded) return;
      api.listUsers().then(
        (users) => {
          loaded = true;
          if (!cancelled) setPeople(new Map(users.map((user) => [user.id, user])));
        },
        (error: unknown) => console.warn('Sourcedesk: could not load the list of people', error),
      );
    };
    load();
    window.addEventListener('online', load);
    return () => {
      cancelled = true;
      window.removeEventListener('online', load);
    };
  }, []);
  return people;
}

/** The name to show for a user id. */
export function personName(people: People, id: string): string {
  return people.get(id)?.name ?? 'someone';
}
