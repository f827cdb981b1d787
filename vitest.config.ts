import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: '.',
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: browser and crash tests each start servers and processes of their own.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
