import { RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { explicitEnv, InfrastructureError } from '../errors';
import { viaService } from '../names';
import { guardKeyDeletion } from './key-guard';

const KEY_ALIAS = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

export interface VolumeKeyProps {
  /** Alias given to the key, e.g. `alias/lifeboat-volumes`; the backup and restore address it by alias. */
  readonly alias: string;

  /**
   * The only principal that may schedule the key's deletion or disable it (see `guardKeyDeletion`).
   *
   * @default - nobody
   */
  readonly breakGlassPrincipalArn?: string;
}

/**
 * The DR region's KMS key for EBS data: the DR copies of the snapshots and the volumes restored
 * from them. Customer managed, rotated, retained when the stack is deleted (the copies cannot be
 * read without it). Besides the account's IAM-governed administration (the default key policy),
 * the key policy lets any principal of this account use the key through EC2 in this region only,
 * as the AWS managed `aws/ebs` key does: that covers ECS creating a service's managed volume from
 * a DR snapshot with the service's infrastructure role, whose IAM policy names no key. Nobody but
 * the break-glass principal (if any) may schedule its deletion or disable it.
 */
export class VolumeKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: VolumeKeyProps) {
    super(scope, id);
    const { region, account } = explicitEnv(this, 'the volume key', 'its policy names them');
    if (!KEY_ALIAS.test(props.alias) || props.alias.startsWith('alias/aws/')) {
      throw new InfrastructureError(
        `alias "${props.alias}" is not a valid KMS alias: use "alias/" followed by letters, digits, "/", "_" or "-" (the "alias/aws/" prefix is reserved for AWS managed keys)`,
        this.node.path,
      );
    }

    this.key = new kms.Key(this, 'Key', {
      alias: props.alias,
      description: 'Lifeboat: encrypts the DR copies of EBS snapshots and the volumes restored from them',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const throughEc2 = {
      StringEquals: {
        'kms:CallerAccount': account,
        'kms:ViaService': viaService('ec2', region),
      },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'UseThroughEc2ByThisAccount',
        principals: [new iam.AnyPrincipal()],
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
        ],
        resources: ['*'],
        conditions: throughEc2,
      }),
    );
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GrantToEbsThroughEc2ByThisAccount',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { ...throughEc2, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    guardKeyDeletion(this.key, props.breakGlassPrincipalArn);
  }
}
