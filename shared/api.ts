/**
 * Shapes of the public HTTP API's bodies and answers, shared by the server (validation and the
 * route JSON schemas) and the client (typed calls). One schema library (zod) on both sides.
 */
import { z } from 'zod';
import { META_LIMITS } from './documentLayout.ts';

export const ROLES = ['viewer', 'fact-checker', 'reporter', 'editor'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const WORKFLOW_STATES = ['draft', 'in-review', 'approved', 'published'] as const;
export const WorkflowState = z.enum(WORKFLOW_STATES);
export type WorkflowState = z.infer<typeof WorkflowState>;

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{1,39}$/;
export const Username = z.string().regex(USERNAME_PATTERN, 'lowercase letters, digits, . _ -; 2 to 40 characters');
export const Password = z.string().min(10, 'at least 10 characters').max(200);
export const DisplayName = z.string().trim().min(1).max(100);

export const LoginBody = z
  .object({ username: z.string().min(1).max(40), password: z.string().min(1).max(200) })
  .strict();
export type LoginBody = z.infer<typeof LoginBody>;

export const User = z.object({
  id: z.string(),
  username: z.string(),
  name: z.string(),
  isAdmin: z.boolean(),
  color: z.string(),
});
export type User = z.infer<typeof User>;

export const CreateStoryBody = z.object({ title: z.string().trim().min(1).max(META_LIMITS.title) }).strict();
export type CreateStoryBody = z.infer<typeof CreateStoryBody>;

export const CLAIM_STATUSES = ['unverified', 'in-review', 'verified', 'disputed', 'false', 'detached'] as const;
export const ClaimStatus = z.enum(CLAIM_STATUSES);

export const StorySummary = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  createdBy: z.string(),
  role: Role,
  workflowState: WorkflowState,
  /** Approved or published, and the body changed since the approval. */
  changedSinceApproval: z.boolean(),
  claimCounts: z.record(z.string(), z.number().int()),
});
export type StorySummary = z.infer<typeof StorySummary>;

export const StoryList = z.object({ stories: z.array(StorySummary) });
export type StoryList = z.infer<typeof StoryList>;

export const CreateTokenBody = z.object({ name: z.string().trim().min(1).max(100) }).strict();
export const TokenCreated = z.object({ id: z.string(), name: z.string(), token: z.string(), createdAt: z.string() });
export type TokenCreated = z.infer<typeof TokenCreated>;

export const ApiError = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof ApiError>;
