import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { ReplicationRule } from '../../src/images/plan';
import { explicitEnv, InfrastructureError } from '../errors';

/** ECR accepts at most 100 repository filters per replication rule. */
const MAX_REPOSITORY_FILTERS = 100;

export interface EcrReplicationProps {
  /** Region of the registry the images are replicated to (the DR region). */
  readonly destinationRegion: string;

  /**
   * Repository name prefixes to replicate (PREFIX_MATCH filters).
   *
   * @default - every repository of the registry
   */
  readonly repositoryPrefixes?: readonly string[];
}

/**
 * The registry replication configuration of the stack's region: one rule that replicates the
 * selected repositories to the same account's registry in the DR region. A registry has one
 * replication configuration, so this replaces any other: use it only when Lifeboat owns it
 * (`images.replication.manage`). Replicated repositories do not inherit their source's
 * settings; the backup creates missing DR repositories with the source's settings itself.
 */
export class EcrReplication extends Construct {
  public readonly configuration: ecr.CfnReplicationConfiguration;

  /** The rules as deployed (the shape the backup's verification reads back). */
  public readonly rules: readonly ReplicationRule[];

  constructor(scope: Construct, id: string, props: EcrReplicationProps) {
    super(scope, id);
    const { region, account } = explicitEnv(
      this,
      'ECR replication',
      'the destination registry is that account in destinationRegion',
    );
    if (props.destinationRegion === region) {
      throw new InfrastructureError(
        `destinationRegion must differ from the stack's region (both are ${region}); replicate to the DR region`,
        this.node.path,
      );
    }
    const prefixes = [...(props.repositoryPrefixes ?? [])];
    if (prefixes.length > MAX_REPOSITORY_FILTERS) {
      throw new InfrastructureError(
        `repositoryPrefixes has ${prefixes.length} entries; ECR accepts at most ${MAX_REPOSITORY_FILTERS} per rule, so use shorter, shared prefixes`,
        this.node.path,
      );
    }
    const rule: ReplicationRule = {
      destinations: [{ region: props.destinationRegion, registryId: account }],
      ...(prefixes.length > 0
        ? { repositoryFilters: prefixes.map((filter) => ({ filter, filterType: 'PREFIX_MATCH' })) }
        : {}),
    };
    this.rules = [rule];
    this.configuration = new ecr.CfnReplicationConfiguration(this, 'Configuration', {
      replicationConfiguration: {
        rules: this.rules.map((r) => ({
          destinations: r.destinations.map((d) => ({ region: d.region, registryId: d.registryId })),
          ...(r.repositoryFilters
            ? {
                repositoryFilters: r.repositoryFilters.map((f) => ({
                  filter: f.filter,
                  filterType: f.filterType,
                })),
              }
            : {}),
        })),
      },
    });
  }
}
