/**
 * aws-local-stepfunctions 3.x calls `Promise.withResolvers` (ES2024, Node.js 22). Lambda runs
 * Node.js 22, but this machine may run Node.js 20, so install the standard behaviour when it is
 * missing. Import this module before `aws-local-stepfunctions`.
 */

interface PromiseResolvers<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T | PromiseLike<T>) => void;
  readonly reject: (reason?: unknown) => void;
}

type PromiseConstructorWithResolvers = PromiseConstructor & {
  withResolvers?: <T>() => PromiseResolvers<T>;
};

function withResolvers<T>(this: PromiseConstructor): PromiseResolvers<T> {
  let resolve!: PromiseResolvers<T>['resolve'];
  let reject!: PromiseResolvers<T>['reject'];
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Installs `Promise.withResolvers` when the runtime lacks it; returns whether it installed it. */
export function installPromiseWithResolvers(target: PromiseConstructor = Promise): boolean {
  const ctor = target as PromiseConstructorWithResolvers;
  if (typeof ctor.withResolvers === 'function') return false;
  Object.defineProperty(ctor, 'withResolvers', {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}

installPromiseWithResolvers();
