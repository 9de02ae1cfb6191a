export { bodyErrorProblem, bodyErrors } from './body-errors';
export { isSanitizeError, SanitizeError, type SanitizeErrorCode } from './errors';
export { type SecurityHeadersOptions, securityHeaders } from './headers';
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
export {
  type AjvErrorLike,
  type AjvLike,
  type AjvValidateFunction,
  type FieldError,
  type JsonSchema,
  MAX_FIELD_LENGTH,
  MAX_LISTED_ERRORS,
  type SchemaOutput,
  type StandardSchemaLike,
  type ValidatedHandler,
  type ValidatedPart,
  type ValidateOptions,
  type ValidateSchemaOptions,
  validate,
} from './validate';
