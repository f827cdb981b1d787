/** What each role is called on screen. What it may do is `shared/permissions.ts` (the server decides for real). */
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
