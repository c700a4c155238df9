import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // The end-to-end file builds and boots kernels: its tests set their own limits.
    hookTimeout: 600_000,
    reporters: ['default'],
  },
});
