import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { explicitEnv, InfrastructureError } from '../errors';
import { partitionOf, viaService } from '../names';

/** Sid of the key policy statement that lets CloudWatch Logs use the key. */
export const LOG_ENCRYPTION_SID = 'EncryptLogGroupsOfThisAccount';

/** Id of the `LogKey` that `LogKey.of` creates in a stack that has none. */
const DEFAULT_ID = 'LogKey';

export interface LogKeyProps {
  /**
   * A customer managed key of the same stack to encrypt the log groups with instead of a key of
   * their own, e.g. the catalog key in the DR stack; its policy gets the CloudWatch Logs statement.
   *
   * @default - a new key (rotated, retained when the stack is deleted)
   */
  readonly key?: kms.IKey;
}

/**
 * The KMS key a stack's Lambda and state machine log groups are encrypted with: one per stack,
 * found by `LogKey.of`. Its policy lets the CloudWatch Logs service of the stack's region use it
 * for this account's log groups only (`kms:EncryptionContext:aws:logs:arn`, as AWS documents in
 * "Encrypt log data in CloudWatch Logs using AWS KMS"); the account's IAM policies govern the rest.
 *
 * A stack that has a fitting key says so by creating its `LogKey` with `key` before any workflow
 * (the RecoveryStack: the catalog key); in any other stack the first `LogKey.of` creates a key.
 */
export class LogKey extends Construct {
  /** The log key of `scope`'s stack, created (with a new key) on first use when the stack has none. */
  public static of(scope: Construct): kms.IKey {
    const stack = Stack.of(scope);
    return (LogKey.find(stack) ?? new LogKey(stack, DEFAULT_ID)).key;
  }

  private static find(stack: Stack): LogKey | undefined {
    return stack.node.children.find((child): child is LogKey => child instanceof LogKey);
  }

  /** Encrypts the stack's log groups. */
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: LogKeyProps = {}) {
    super(scope, id);
    const stack = Stack.of(scope);
    if (scope !== stack) {
      throw new InfrastructureError(
        'a LogKey belongs to its stack: create it with the stack as scope, so LogKey.of finds it',
        this.node.path,
      );
    }
    const existing = stack.node.children.find((child) => child instanceof LogKey && child !== this);
    if (existing) {
      throw new InfrastructureError(
        `the stack already has a log key (${existing.node.path}); a stack's log groups share one: ` +
          'create the LogKey before the workflows, which find it with LogKey.of',
        this.node.path,
      );
    }
    const { region, account } = explicitEnv(this, 'the log key', 'its policy names them');
    this.key =
      props.key ??
      new kms.Key(this, 'Key', {
        description: 'Lifeboat: encrypts the log groups of the workflow Lambdas and state machines',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const { statementAdded } = this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: LOG_ENCRYPTION_SID,
        principals: [new iam.ServicePrincipal(viaService('logs', region))],
        // The actions AWS documents for a log group key; the condition limits them to the log
        // groups of this account in this region (the encryption context CloudWatch Logs sends).
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:*`,
          },
        },
      }),
    );
    if (!statementAdded) {
      throw new InfrastructureError(
        'key must be a customer managed key defined in this stack (an imported key keeps its policy, ' +
          'which CloudWatch Logs would need to be allowed in by hand): pass the kms.Key construct',
        this.node.path,
      );
    }
  }
}
