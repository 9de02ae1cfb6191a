/** Placeholder until the @resil/ratelimit issue lands: the package builds, packs and loads. */
export const packageName = '@resil/ratelimit';
