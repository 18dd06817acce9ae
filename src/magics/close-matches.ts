/** "Did you mean ...?" suggestions: moved to `src/close-matches.ts` (the registries use them too); re-exported here. */
export * from '../close-matches';
