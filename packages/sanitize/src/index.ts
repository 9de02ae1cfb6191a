export { bodyErrorProblem, bodyErrors } from './body-errors';
export { isSanitizeError, SanitizeError, type SanitizeErrorCode } from './errors';
export { securityHeaders } from './headers';
export {
  createSanitizer,
  DEFAULT_MAX_INPUT_LENGTH,
  DOUBLE_QUOTE_REPLACEMENT,
  hasVisibleText,
  type SanitizerOptions,
  sanitizeInput,
  sanitizeUrl,
} from './input';
export { SANITIZE_PROBLEMS, type SanitizeProblemSlug } from './problems';
export {
  isDangerousKey,
  type SanitizeRequestOptions,
  sanitizeRequest,
} from './request';
export { type FieldError, validate } from './validate';
