import { afterAll, beforeAll } from 'vitest';
import { AwsClients } from '../../src/aws/clients';
import { type Emulator, startEmulator } from '../../src/emulator/moto';

export interface EmulatorContext {
  readonly endpoint: string;
  readonly clients: AwsClients;
}

/**
 * Starts a private emulator for the calling test file (isolated state, parallel-safe) and
 * stops it after the file's tests. Read the context inside tests or hooks, not at import.
 */
export function useEmulator(env?: Record<string, string>): EmulatorContext {
  let emulator: Emulator | undefined;
  let clients: AwsClients | undefined;
  beforeAll(async () => {
    emulator = await startEmulator(env ? { env } : {});
    clients = new AwsClients({ endpoint: emulator.endpoint });
  });
  afterAll(async () => {
    clients?.destroy();
    await emulator?.stop();
  });
  return {
    get endpoint() {
      if (!emulator) throw new Error('emulator not started: use the context inside a test or hook');
      return emulator.endpoint;
    },
    get clients() {
      if (!clients) throw new Error('emulator not started: use the context inside a test or hook');
      return clients;
    },
  };
}
