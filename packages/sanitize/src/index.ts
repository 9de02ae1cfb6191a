export { securityHeaders } from './headers';
export { DOUBLE_QUOTE_REPLACEMENT, sanitizeInput, sanitizeUrl } from './input';
export {
  bodyErrors,
  isDangerousKey,
  type SanitizeRequestOptions,
  sanitizeRequest,
} from './request';
export { type FieldError, validate } from './validate';
