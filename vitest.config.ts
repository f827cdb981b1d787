import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: '.',
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: browser and crash tests each start servers and processes of their own.
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      {
        // The integration suites again, on the machine's real PostgreSQL (one schema per server).
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/{api,collab,claims,roles,workflow,notesValidation}.test.ts'],
          env: { SOURCEDESK_TEST_STORAGE: 'postgres' },
        },
      },
    ],
  },
});
