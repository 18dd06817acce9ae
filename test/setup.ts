// Mocha root hooks: every test file runs on the backend named by PRUNELAB_BACKEND (default: best available).
import { initBackend } from '../src/backend';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await initBackend();
  },
};
