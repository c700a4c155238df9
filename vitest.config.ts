import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // The end-to-end file builds and boots kernels: its tests set their own limits.
    hookTimeout: 600_000,
    reporters: ['default'],
    // One file at a time: two end-to-end files at once would share 2 cores
    // between kernel builds and TCG guests whose timing the scenarios judge.
    fileParallelism: false,
  },
});
