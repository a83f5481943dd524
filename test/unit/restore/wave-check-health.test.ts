import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../src/aws/clients';
import { parseConfig } from '../../../src/config/schema';
import { restoreConfigOf } from '../../../src/config/settings';
import { createRestoreContext } from '../../../src/restore/context';
import { checkWave } from '../../../src/restore/wave-check';

/**
 * Target health as part of a wave's steady state, against AWS (no endpoint: no emulator
 * stand-in), through client mocks: the emulator's ECS registers no targets, so only a mock can
 * answer as ELB does while tasks become healthy.
 */
const ecsMock = mockClient(ECSClient);
const elbMock = mockClient(ElasticLoadBalancingV2Client);
const s3Mock = mockClient(S3Client);
const TG = 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/abc';

afterAll(() => {
  ecsMock.restore();
  elbMock.restore();
  s3Mock.restore();
});

beforeEach(() => {
  ecsMock.reset();
  elbMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  ecsMock.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceName: 'web',
        status: 'ACTIVE',
        desiredCount: 2,
        runningCount: 2,
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 }],
        loadBalancers: [{ targetGroupArn: TG, containerName: 'web', containerPort: 8080 }],
      },
    ],
  });
});

function check() {
  const clients = new AwsClients({ credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const config = parseConfig({ account: '123456789012', primaryRegion: 'us-east-1', drRegion: 'us-west-2' });
  const ctx = createRestoreContext(clients, { config: restoreConfigOf(config), bucket: 'catalog' });
  return checkWave(ctx, {
    executionName: 'exec',
    wave: 1,
    continueOnWaveFailure: false,
    results: [
      {
        service: 'shop/web',
        status: 'created',
        startedAt: '2026-01-01T00:00:00Z',
        finishedAt: '2026-01-01T00:00:01Z',
      },
    ],
    previous: { attempts: 0 },
    waitForSteadyState: true,
    steadyStateTimeoutSeconds: 600,
  });
}

describe('checkWave behind a load balancer (client mocks: the emulator registers no targets)', () => {
  it('is not steady while ECS is but no target of the group is healthy, and registers nothing itself', async () => {
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.0.1' }, TargetHealth: { State: 'initial' } },
        { Target: { Id: '10.0.0.2' }, TargetHealth: { State: 'unhealthy' } },
      ],
    });
    const result = await check();
    expect(result.settled).toBe(false);
    expect(result.services[0]).toMatchObject({ steady: false, healthyTargets: 0 });
    expect(elbMock.commandCalls(RegisterTargetsCommand)).toHaveLength(0);
  });

  it('is steady once a target is healthy', async () => {
    elbMock.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.0.1' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.0.0.2' }, TargetHealth: { State: 'initial' } },
      ],
    });
    const result = await check();
    expect(result).toMatchObject({ settled: true, steady: true });
    expect(result.services[0]).toMatchObject({ steady: true, healthyTargets: 1 });
  });
});
