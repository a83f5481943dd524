import { Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LifeboatError } from '../src/kernel/errors';

/**
 * A construct was given props it cannot build (raised at synth time). `constructPath` names the
 * construct; the message says which prop is wrong and what a valid value looks like.
 */
export class InfrastructureError extends LifeboatError {
  constructor(
    message: string,
    public readonly constructPath: string,
  ) {
    super(`${constructPath}: ${message}`);
    this.name = 'InfrastructureError';
  }
}

/**
 * The literal account and region of `scope`'s stack; throws when the stack has no explicit env.
 * `subject` (e.g. "the backup workflow") and `why` complete the message.
 */
export function explicitEnv(
  scope: Construct,
  subject: string,
  why: string,
): { region: string; account: string } {
  const { region, account } = Stack.of(scope);
  if (Token.isUnresolved(region) || Token.isUnresolved(account)) {
    throw new InfrastructureError(
      `${subject} needs a stack with an explicit env (account and region): ${why}`,
      scope.node.path,
    );
  }
  return { region, account };
}
