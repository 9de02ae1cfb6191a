import { sendProblem } from '@resil/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ValidationChain, validationResult } from 'express-validator';
import { isSanitizeError } from './errors';
import { SANITIZE_PROBLEMS, sanitizeProblem } from './problems';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Runs express-validator chains; on failure answers 422 application/problem+json (RFC 9457,
 * type `https://resil.dev/problems/validation-failed`) with `errors: [{ field, message }]`. The rejected value is never echoed (it may be PHI):
 * give each chain a `.withMessage()` that describes the rule, not the input. A chain's
 * `customSanitizer(sanitizeInput)` that throws `RESIL_SANITIZE_TOO_LONG` answers 413
 * problem+json; any other error thrown by a chain goes to Express's error handler.
 */
export function validate(chains: ValidationChain[]): RequestHandler {
  if (!Array.isArray(chains))
    throw new TypeError('validate: chains must be an array of express-validator chains');
  return async function resilValidate(req: Request, res: Response, next: NextFunction) {
    try {
      for (const chain of chains) await chain.run(req);
      const result = validationResult(req);
      if (result.isEmpty()) return next();
      const errors: FieldError[] = result.array().map((e) => ({
        field: e.type === 'field' ? e.path : e.type,
        message: typeof e.msg === 'string' ? e.msg : 'Invalid value',
      }));
      sendProblem(
        res,
        sanitizeProblem(
          SANITIZE_PROBLEMS.VALIDATION_FAILED,
          422,
          'Validation failed',
          `${errors.length} field(s) did not pass validation.`,
          { errors },
        ),
      );
    } catch (err) {
      // A chain's `customSanitizer(sanitizeInput)` refused a value over its length cap.
      if (isSanitizeError(err) && err.code === 'RESIL_SANITIZE_TOO_LONG')
        return void sendProblem(
          res,
          sanitizeProblem(
            SANITIZE_PROBLEMS.FIELD_TOO_LONG,
            413,
            'Request field too long',
            `A field longer than ${err.limit} characters is not accepted.`,
          ),
        );
      next(err);
    }
  };
}
