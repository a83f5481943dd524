import { describe, expect, it } from 'vitest';
import { installPromiseWithResolvers } from '../../../../src/emulator/step-functions/polyfill';

describe('installPromiseWithResolvers', () => {
  it('gives Promise.withResolvers once the module is loaded', async () => {
    const { promise, resolve } = (
      Promise as unknown as { withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void } }
    ).withResolvers<number>();
    resolve(42);
    await expect(promise).resolves.toBe(42);
  });

  it('installs a working withResolvers on a Promise constructor that lacks it', async () => {
    class BarePromise<T> extends Promise<T> {}
    Reflect.defineProperty(BarePromise, 'withResolvers', {
      value: undefined,
      configurable: true,
      writable: true,
    });

    expect(installPromiseWithResolvers(BarePromise)).toBe(true);
    const { promise, reject } = (
      BarePromise as unknown as { withResolvers(): { promise: Promise<unknown>; reject(e: unknown): void } }
    ).withResolvers();
    reject(new Error('no'));
    await expect(promise).rejects.toThrow('no');
    expect(promise).toBeInstanceOf(BarePromise);
  });

  it('leaves an existing withResolvers alone', () => {
    const own = () => 'native';
    class NativePromise<T> extends Promise<T> {}
    Reflect.defineProperty(NativePromise, 'withResolvers', {
      value: own,
      configurable: true,
      writable: true,
    });

    expect(installPromiseWithResolvers(NativePromise)).toBe(false);
    expect((NativePromise as unknown as { withResolvers: unknown }).withResolvers).toBe(own);
  });
});
