import { describe, expect, it } from 'vitest';
import {
  applyRegistryArns,
  type CloudMapContext,
  resolveNamespace,
  resolveRegistry,
  serviceConnectNamespace,
} from '../../../../src/fleet/retarget/cloud-map';

const DR = 'us-west-2';
const NS = {
  namespaceId: 'ns-primary',
  arn: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-primary',
  name: 'shop.local',
  type: 'DNS_PRIVATE',
};
const SERVICE = {
  serviceId: 'srv-primary',
  arn: 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-primary',
  name: 'api',
  namespaceId: 'ns-primary',
  dnsConfig: { RoutingPolicy: 'MULTIVALUE', DnsRecords: [{ Type: 'A', TTL: 10 }] },
  tags: [{ key: 'team', value: 'shop' }],
};
const DR_NS = {
  namespaceId: 'ns-dr',
  arn: 'arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-dr',
  name: 'shop.local',
  type: 'DNS_PRIVATE',
};
const PROVENANCE = { deploymentId: 'lifeboat-test', recoveryPointId: 'rp-20260101T000000000Z-abcdef' };

function context(overrides: Partial<CloudMapContext> = {}): CloudMapContext {
  return {
    drRegion: DR,
    captured: { namespaces: [NS], services: [SERVICE] },
    inventory: { cloudMapNamespaces: [DR_NS], cloudMapServices: [] },
    mapping: {},
    ...overrides,
  };
}

describe('resolveNamespace', () => {
  it('takes the mapping (by ARN, id or name) first, then the DR namespace of the same name and type', () => {
    const other = { ...DR_NS, namespaceId: 'ns-other', arn: `${DR_NS.arn}-other`, name: 'shop.internal' };
    const inventory = { cloudMapNamespaces: [DR_NS, other], cloudMapServices: [] };
    expect(resolveNamespace(NS, context({ inventory }))).toEqual(DR_NS);
    expect(resolveNamespace(NS, context({ inventory, mapping: { 'shop.local': 'shop.internal' } }))).toEqual(
      other,
    );
    expect(resolveNamespace(NS, context({ inventory, mapping: { [NS.arn]: other.arn } }))).toEqual(other);
    const http = { ...DR_NS, type: 'HTTP' };
    expect(
      resolveNamespace(NS, context({ inventory: { cloudMapNamespaces: [http], cloudMapServices: [] } })),
    ).toBeUndefined();
  });
});

describe('resolveRegistry', () => {
  it('maps to the DR service of the same name in the mapped namespace', () => {
    const drService = { serviceId: 'srv-dr', arn: 'arn:dr/srv-dr', name: 'api', namespaceId: 'ns-dr' };
    const ctx = context({ inventory: { cloudMapNamespaces: [DR_NS], cloudMapServices: [drService] } });
    expect(resolveRegistry(SERVICE.arn, ctx, PROVENANCE)).toEqual({ kind: 'mapped', drArn: 'arn:dr/srv-dr' });
  });

  it('plans the creation in the DR namespace with the captured DNS settings, tagged with its source', () => {
    const r = resolveRegistry(SERVICE.arn, context(), PROVENANCE);
    expect(r).toMatchObject({
      kind: 'create',
      creation: {
        name: 'api',
        namespaceId: 'ns-dr',
        namespaceName: 'shop.local',
        dnsConfig: SERVICE.dnsConfig,
      },
    });
    if (r.kind !== 'create') throw new Error('expected a creation');
    expect(r.creation.tags.map((t) => t.key)).toEqual([
      'lifeboat:source-id',
      'team',
      'lifeboat:deployment',
      'lifeboat:recovery-point',
    ]);
  });

  it('drops the registration with a warning naming the namespace to create when DR has none', () => {
    const r = resolveRegistry(
      SERVICE.arn,
      context({ inventory: { cloudMapNamespaces: [], cloudMapServices: [] } }),
      PROVENANCE,
    );
    expect(r).toMatchObject({
      kind: 'dropped',
      finding: { severity: 'warning', code: 'SERVICE_REGISTRY_NOT_RESTORED' },
    });
    if (r.kind !== 'dropped') throw new Error('expected a drop');
    expect(r.finding.fix).toContain('"shop.local"');
    expect(r.finding.fix).toContain(`mappings.namespaces["${NS.arn}"]`);
  });
});

describe('serviceConnectNamespace', () => {
  it('keeps a name, maps a primary ARN to the DR namespace ARN, and says when it cannot', () => {
    expect(serviceConnectNamespace('shop.local', context())).toEqual({ drNamespace: 'shop.local' });
    expect(serviceConnectNamespace(NS.arn, context()).drNamespace).toBe(DR_NS.arn);
    const none = serviceConnectNamespace(
      NS.arn,
      context({ inventory: { cloudMapNamespaces: [], cloudMapServices: [] } }),
    );
    expect(none).toEqual({ source: NS });
  });
});

describe('applyRegistryArns', () => {
  it('substitutes the created DR services for the pending ones only, and names those it lacks', () => {
    const input = { serviceName: 'api', serviceRegistries: [{ registryArn: 'a' }, { registryArn: 'b' }] };
    const result = applyRegistryArns(input, ['a', 'c'], { a: 'dr-a' });
    expect(result.input.serviceRegistries).toEqual([{ registryArn: 'dr-a' }, { registryArn: 'b' }]);
    expect(result.missing).toEqual(['c']);
    expect(input.serviceRegistries[0]).toEqual({ registryArn: 'a' });
  });
});
