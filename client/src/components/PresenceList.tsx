/** Avatars of the other people in the story: initials in their colour, the full name on hover and for screen readers. */
import { initials, type Person } from '../collab/presence.ts';

export interface PresenceListProps {
  people: Person[];
}

/** How many avatars are drawn before the rest are summed up as "+N". */
const MAX_AVATARS = 6;

export function PresenceList({ people }: PresenceListProps) {
  if (people.length === 0) {
    return <p class="presence presence-alone">Only you are here</p>;
  }
  const shown = people.slice(0, MAX_AVATARS);
  const hidden = people.slice(MAX_AVATARS);
  return (
    <div class="presence">
      <span class="presence-label" id="presence-label">
        Also here
      </span>
      <ul class="avatars" aria-labelledby="presence-label">
        {shown.map((person) => (
          <li
            key={person.id}
            class="avatar"
            style={{ backgroundColor: person.color }}
            title={person.name}
            data-user-id={person.id}
          >
            <span aria-hidden="true">{initials(person.name)}</span>
            <span class="visually-hidden">{person.name}</span>
          </li>
        ))}
        {hidden.length > 0 && (
          <li class="avatar avatar-more" title={hidden.map((person) => person.name).join(', ')}>
            <span aria-hidden="true">+{hidden.length}</span>
            <span class="visually-hidden">and {hidden.length} more</span>
          </li>
        )}
      </ul>
    </div>
  );
}
