/** Placeholder until the @resil/breaker issue lands: the package builds, packs and loads. */
export const packageName = '@resil/breaker';
