/**
 * The part of the hospital registry's HTTP protocol that both sides name: the mock registry
 * (src/registry) and the service's client (src/hospital-api-client.ts).
 */

/**
 * The header that names the tenant a request acts for. The service sends the owner of the
 * caller's API key; the registry stores it at create and, on activate, get and delete, answers
 * 404 to any other owner (or none), exactly as for an id that does not exist.
 */
export const OWNER_HEADER = 'x-hospital-owner';
