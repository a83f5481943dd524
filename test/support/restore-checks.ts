import {
  DeleteClusterCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ListClustersCommand,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { AwsClients } from '../../src/aws/clients';
import { FAILOVER_LEASE_KEY, type LeaseRecord } from '../../src/catalog/lease';
import type { RestoreReport } from '../../src/restore/report';
import { BUCKET, DR } from './demo-fleet';

/** What the DR region runs, by "cluster/service": the ACTIVE services and their task definitions. */
export async function drServices(clients: AwsClients): Promise<Map<string, { taskDefinition?: string }>> {
  const ecs = clients.ecs(DR);
  const services = new Map<string, { taskDefinition?: string }>();
  for (const clusterArn of (await ecs.send(new ListClustersCommand({}))).clusterArns ?? []) {
    const cluster = clusterArn.split('/').pop() ?? clusterArn;
    const arns = (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? [];
    for (let i = 0; i < arns.length; i += 10) {
      const described = await ecs.send(
        new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }),
      );
      for (const s of described.services ?? []) {
        if (s.status !== 'ACTIVE') continue;
        services.set(
          `${cluster}/${s.serviceName}`,
          s.taskDefinition ? { taskDefinition: s.taskDefinition } : {},
        );
      }
    }
  }
  return services;
}

/** Deletes every service and cluster of the DR region, so the next failover starts from nothing. */
export async function clearDrServices(clients: AwsClients): Promise<void> {
  const ecs = clients.ecs(DR);
  for (const clusterArn of (await ecs.send(new ListClustersCommand({}))).clusterArns ?? []) {
    const cluster = clusterArn.split('/').pop() ?? clusterArn;
    for (const service of (await ecs.send(new ListServicesCommand({ cluster }))).serviceArns ?? []) {
      await ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    }
    await ecs.send(new DeleteClusterCommand({ cluster }));
  }
}

/**
 * The report tells what the DR region holds: every service it calls restored runs there on the
 * task definition it names; every other one does not run there (the DR region started empty).
 */
export async function expectReportMatchesDr(clients: AwsClients, report: RestoreReport): Promise<void> {
  const running = await drServices(clients);
  for (const s of report.services) {
    const restored = ['created', 'updated', 'unchanged'].includes(s.status);
    const dr = running.get(s.service);
    if (restored) {
      expect(dr, `${s.service} is reported ${s.status} but does not run in DR`).toBeDefined();
      expect(dr?.taskDefinition, `${s.service}'s task definition`).toBe(s.taskDefinitionArn);
    } else {
      expect(dr, `${s.service} is reported ${s.status} but runs in DR`).toBeUndefined();
    }
  }
  const reported = new Set(report.services.map((s) => s.service));
  const unreported = [...running.keys()].filter((k) => !reported.has(k));
  expect(unreported, 'services running in DR that the report does not name').toEqual([]);
}

/** The failover lease as stored (undefined when none was ever taken). */
export async function storedLease(clients: AwsClients): Promise<LeaseRecord | undefined> {
  try {
    const res = await clients.s3(DR).send(new GetObjectCommand({ Bucket: BUCKET, Key: FAILOVER_LEASE_KEY }));
    return JSON.parse((await res.Body?.transformToString()) ?? '') as LeaseRecord;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}
