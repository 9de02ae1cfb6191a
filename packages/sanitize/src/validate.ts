import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ValidationChain, validationResult } from 'express-validator';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Runs express-validator chains; on failure answers 422 application/problem+json (RFC 9457)
 * with `errors: [{ field, message }]`. The rejected value is never echoed (it may be PHI):
 * give each chain a `.withMessage()` that describes the rule, not the input.
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
      res
        .status(422)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Validation failed',
            status: 422,
            detail: `${errors.length} field(s) did not pass validation.`,
            errors,
          }),
        );
    } catch (err) {
      next(err);
    }
  };
}
