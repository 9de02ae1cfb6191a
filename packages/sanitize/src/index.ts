/** Placeholder until the @resil/sanitize issue lands: the package builds, packs and loads. */
export const packageName = '@resil/sanitize';
