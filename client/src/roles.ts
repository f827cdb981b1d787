/** What each role is called on screen and what it lets a person do in the client (the server decides for real). */
import type { Role } from '../../shared/api.ts';

const ROLE_LABELS: Record<Role, string> = {
  viewer: 'Viewer',
  'fact-checker': 'Fact-checker',
  reporter: 'Reporter',
  editor: 'Editor',
};

export function roleLabel(role: Role): string {
  return ROLE_LABELS[role];
}

/** Whether the role may edit a story's text and title (DESIGN.md, "Roles"). */
export function canEditText(role: Role): boolean {
  return role === 'reporter' || role === 'editor';
}
