/** Placeholder until the @resil/idempotency issue lands: the package builds, packs and loads. */
export const packageName = '@resil/idempotency';
