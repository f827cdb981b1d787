/** The bar across the top of every signed-in page: the product name, where you are, who you are, log out. */
import type { ComponentChildren } from 'preact';
import type { User } from '../../../shared/api.ts';
import { followLink } from '../router.ts';

export interface TopBarProps {
  user: User;
  onLogout(): void;
  /** Where the person is, after the product name (e.g. a link back to the story list). */
  children?: ComponentChildren;
}

export function TopBar({ user, onLogout, children }: TopBarProps) {
  return (
    <header class="top-bar">
      <a class="brand" href="/" onClick={(event) => followLink(event, '/')}>
        Sourcedesk
      </a>
      <nav class="top-bar-place" aria-label="Where you are">
        {children}
      </nav>
      <div class="top-bar-user">
        <span class="user-chip" title={`Logged in as ${user.username}`}>
          <span class="user-dot" style={{ backgroundColor: user.color }} aria-hidden="true" />
          {user.name}
        </span>
        <button type="button" class="button button-quiet" onClick={onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}
