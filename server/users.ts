/** Creating accounts, shared by the CLI, the first start and the admin API. */
import { hashPassword } from './auth/passwords.ts';
import { colorForIndex, newId } from './auth/secrets.ts';
import type { Storage, UserRecord } from './storage/Storage.ts';

export interface NewUser {
  username: string;
  password: string;
  name?: string;
  isAdmin?: boolean;
}

export async function createUser(storage: Storage, input: NewUser): Promise<UserRecord> {
  const user: UserRecord = {
    id: newId(),
    username: input.username.toLowerCase(),
    name: input.name?.trim() || input.username,
    passwordHash: await hashPassword(input.password),
    // Accounts made one after another get different colours.
    color: colorForIndex(await storage.users.count()),
    isAdmin: input.isAdmin ?? false,
    createdAt: new Date().toISOString(),
  };
  await storage.users.create(user);
  return user;
}
