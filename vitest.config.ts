import { defineConfig } from 'vitest/config';

// Unit tests run in parallel. End-to-end tests run one file at a time: labs with a data plane bind fixed loopback
// addresses (docs/LAB.md), and real kubectl processes compete for the two cores.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
