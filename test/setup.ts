// Mocha root hooks: every test file runs on the backend named by PRUNELAB_BACKEND (default: best
// available), and the run fails if the tests leave a registration behind (see registry-leaks.ts).
import { initBackend } from '../src/backend';
// Loaded here, before mocha loads the test files, so that the snapshot below holds exactly the
// builtin registrations: a test file that registers something as it loads is caught too.
import '../src';
import { registryChanges, registrySnapshot } from './registry-leaks';

const registries = registrySnapshot();

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await initBackend();
  },
  afterAll(): void {
    const changes = registryChanges(registries);
    if (changes.length) {
      throw new Error(
        `The tests changed the registries and did not restore them: ${changes.join('; ')}. ` +
          `Unregister what a test registers (in finally, after or afterEach), or use registry.scoped().`,
      );
    }
  },
};
