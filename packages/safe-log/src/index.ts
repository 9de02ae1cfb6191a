/** Placeholder until the @resil/safe-log issue lands: the package builds, packs and loads. */
export const packageName = '@resil/safe-log';
