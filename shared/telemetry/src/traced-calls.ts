// One span per call of an object's async methods — used for the ledger, where each business
// operation (commitWrite, claim, deleteObject …) is one database transaction or one read,
// so the span is named after the operation without the store knowing about tracing.
//
// Spans are made only under an active span: the polling reads of background loops (relay
// claims, consumer offsets, cleanup claims) would otherwise start a trace each.
import { context, trace, type Attributes } from '@opentelemetry/api';
import { inSpan, SpanKind } from './tracing.js';

export function traceCalls<T extends object>(target: T, options: { prefix: string; attributes?: Attributes }): T {
  const wrappers = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, name, receiver) {
      const value: unknown = Reflect.get(obj, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      let wrapper = wrappers.get(name);
      if (!wrapper) {
        const method = value as (...args: unknown[]) => unknown;
        const spanName = `${options.prefix}.${name}`;
        wrapper = function traced(...args: unknown[]): unknown {
          if (!trace.getSpan(context.active())) return method.apply(obj, args);
          return inSpan(spanName, { kind: SpanKind.CLIENT, attributes: options.attributes }, async () => method.apply(obj, args));
        };
        wrappers.set(name, wrapper);
      }
      return wrapper;
    },
  });
}
