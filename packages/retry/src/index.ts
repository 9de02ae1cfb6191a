/** Placeholder until the @resil/retry issue lands: the package builds, packs and loads. */
export const packageName = '@resil/retry';
