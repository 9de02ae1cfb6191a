import { trace } from '@opentelemetry/api';
import { failSpan } from './tracing';

const tracer = trace.getTracer('hospital-demo');

/**
 * A TC39 method decorator: each call of the method is one active span named `name`, so what the
 * decorators inside it report through OpenTelemetry (the breaker's and retry's span events,
 * retry's `http.request.resend_count`) lands on it. The span fails with the error's code.
 * What the inner decorators put on the method (the breaker's `.breaker`, retry's `.retry` and
 * event methods) stays readable on the result.
 */
export function traced(name: string) {
  return <A extends unknown[], R>(
    method: (this: unknown, ...args: A) => Promise<R>,
    _context: ClassMethodDecoratorContext,
  ) => {
    const wrapper = function (this: unknown, ...args: A): Promise<R> {
      return tracer.startActiveSpan(name, async (span) => {
        try {
          return await method.apply(this, args);
        } catch (err) {
          failSpan(span, err);
          throw err;
        } finally {
          span.end();
        }
      });
    };
    for (const key of Reflect.ownKeys(method)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      const d = Object.getOwnPropertyDescriptor(method, key);
      if (d) Object.defineProperty(wrapper, key, d);
    }
    return wrapper;
  };
}
