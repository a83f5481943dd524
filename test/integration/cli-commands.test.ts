import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { BatchDeleteImageCommand } from '@aws-sdk/client-ecr';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { findBackupStateMachine } from '../../src/cli/runners/aws/deployed-workflow';
import { BackupStackNotFoundError } from '../../src/cli/runners/errors';
import type { DemoFleet } from '../../src/demo/seed';
import { freePort } from '../../src/emulator/moto';
import { useCliWorkspace } from '../support/cli';
import { ACCOUNT, DR, PRIMARY, seedFleet } from '../support/demo-fleet';
import { useEmulator } from '../support/emulator';

const STACK_LINE = /\n\s+at /;

const ctx = useEmulator();
const cli = useCliWorkspace(ctx, { prefix: 'lifeboat-cli-', timeoutMs: 60_000 });
const { lifeboat, lifeboatInProcess, onEmulator } = cli;
let fleet: DemoFleet;

beforeAll(async () => {
  fleet = await seedFleet(ctx.clients);
});

describe('lifeboat CLI against the emulator (subprocess)', () => {
  let recoveryPointId: string;

  it('backup --json captures the selected services and commits a complete recovery point', async () => {
    const { code, stdout, stderr } = await lifeboat(onEmulator('backup', '--json'));
    expect(stderr).toContain('Capturing ECS services in us-east-1');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    recoveryPointId = doc.recoveryPoint.id;
    expect(doc.recoveryPoint).toMatchObject({
      status: 'complete',
      source: { account: ACCOUNT, region: PRIMARY },
      target: { region: DR },
    });
    expect(doc.catalog).toMatchObject({ bucket: `lifeboat-catalog-${ACCOUNT}-${DR}`, region: DR });
    expect(doc.catalog.key).toContain(recoveryPointId);
    expect(doc.counts.services).toBe(fleet.selectedServiceKeys.length);
    expect(doc.counts.images.byPresence.external).toBe(fleet.externalImages.length);
    expect(doc.errors).toEqual([]);
    // The backup workflow ran in this process: Capture, a copy tick, Commit.
    expect(doc.execution).toMatchObject({ status: 'SUCCEEDED', ticks: 1 });
    expect(doc.commit).toMatchObject({ recoveryPointId, status: 'complete', volumes: 2, errors: 0 });
    // Staged body and copy state (Capture), the copy state after the tick, the manifest and its
    // summary object (Commit).
    expect(doc.calls['S3.PutObject']).toBe(5);
    expect(doc.calls['EC2.CreateSnapshot']).toBe(2);
    expect(doc.calls['EC2.CopySnapshot']).toBe(2);
    expect(doc.volumes.map((v: { service: string; kind: string }) => `${v.service} ${v.kind}`)).toEqual([
      'payments/ledger managed',
      'payments/reconciler standalone',
    ]);
    for (const volume of doc.volumes) {
      expect(volume).toMatchObject({
        sourceSnapshotId: expect.stringMatching(/^snap-/),
        engine: 'native-copy',
      });
      expect(volume.drSnapshotId).toMatch(/^snap-/);
    }
    expect(stderr).toMatch(/copy tick 1: 2 completed/);
    expect(stderr).toMatch(/committed rp-\S+ \(complete\)/);
  });

  it('recovery-points list --json lists it with its counts', async () => {
    const { code, stdout } = await lifeboat(['recovery-points', 'list', '--json', ...onEmulator()]);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.catalog.bucket).toBe(`lifeboat-catalog-${ACCOUNT}-${DR}`);
    expect(doc.recoveryPoints).toHaveLength(1);
    expect(doc.recoveryPoints[0]).toMatchObject({
      id: recoveryPointId,
      status: 'complete',
      services: fleet.selectedServiceKeys.length,
      errors: 0,
      countsFrom: 'summary',
    });
  });

  it('recovery-points list takes its counts from the summaries, and they equal the verified manifest’s', async () => {
    const list = JSON.parse((await lifeboat(onEmulator('recovery-points', 'list', '--json'))).stdout);
    const show = JSON.parse(
      (await lifeboat(onEmulator('recovery-points', 'show', recoveryPointId, '--json'))).stdout,
    );
    expect(show.summaryMismatch).toBeUndefined();
    const [row] = list.recoveryPoints;
    expect({ s: row.services, t: row.taskDefinitions, i: row.images, e: row.errors }).toEqual({
      s: show.counts.services,
      t: show.counts.taskDefinitions,
      i: show.counts.images.total,
      e: show.counts.errors,
    });
    const table = await lifeboat(onEmulator('recovery-points', 'list'));
    expect(table.stdout).toContain('Counts come from the catalog summaries, unverified');
  });

  it('recovery-points show warns and exits 1 when a summary disagrees with the signed manifest; list then reads the manifest', async () => {
    const s3 = ctx.clients.s3(DR);
    const bucket = `lifeboat-catalog-${ACCOUNT}-${DR}`;
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'recovery-points/' }));
    const summary = listed.Contents?.map((o) => o.Key ?? '').find((k) =>
      k.includes(`${recoveryPointId}.complete.summary`),
    );
    expect(summary).toBeDefined();
    const forged = (summary ?? '').replace(/\.s\d+\./, '.s99.');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: forged, Body: '', ContentLength: 0 }));
    try {
      const show = await lifeboat(onEmulator('recovery-points', 'show', recoveryPointId, '--json'));
      expect(show.code).toBe(1);
      expect(show.stderr).toContain('the catalog was altered');
      const doc = JSON.parse(show.stdout);
      expect(doc.recoveryPoint.id).toBe(recoveryPointId);
      expect(doc.summaryMismatch).toMatchObject({
        key: forged,
        found: { counts: { services: 99 } },
        expected: { counts: { services: fleet.selectedServiceKeys.length } },
      });
      // Two summaries for one point cannot both be right: list reads and verifies the manifest.
      const list = JSON.parse((await lifeboat(onEmulator('recovery-points', 'list', '--json'))).stdout);
      expect(list.recoveryPoints[0]).toMatchObject({
        services: fleet.selectedServiceKeys.length,
        countsFrom: 'manifest',
      });
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: forged }));
    }
  });

  it('recovery-points show <id> --json gives every selected service with its images pinned by digest', async () => {
    const { code, stdout } = await lifeboat(onEmulator('recovery-points', 'show', recoveryPointId, '--json'));
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.recoveryPoint.id).toBe(recoveryPointId);
    const services: {
      service: string;
      containers: { image: string; digest?: string; presence: string }[];
    }[] = doc.services;
    expect(services.map((s) => s.service).sort()).toEqual([...fleet.selectedServiceKeys].sort());
    for (const container of services.flatMap((s) => s.containers)) {
      const tagged = /\.amazonaws\.com\/([^@]+):([^:@/]+)$/.exec(container.image);
      if (fleet.externalImages.includes(container.image)) expect(container.presence).toBe('external');
      else if (tagged) expect(container.digest).toBe(fleet.digests[`${tagged[1]}:${tagged[2]}`]);
      else expect(container.image.endsWith(`@${container.digest}`)).toBe(true);
    }
  });

  it('status --json reports the RPO as met right after a backup', async () => {
    const { code, stdout } = await lifeboat(onEmulator('status', '--json'));
    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc).toMatchObject({
      rpoTargetMinutes: 60,
      rpoMet: true,
      latestComplete: { id: recoveryPointId },
    });
  });

  it('exits 3 for an unknown recovery point, with the error as JSON and no stack trace', async () => {
    const { code, stdout, stderr } = await lifeboat(
      onEmulator('recovery-points', 'show', 'rp-20200101T000000000Z-000000', '--json'),
    );
    expect(code).toBe(3);
    expect(JSON.parse(stdout).error).toMatchObject({ name: 'RecoveryPointNotFoundError', exitCode: 3 });
    expect(stderr).toContain('lifeboat recovery-points list');
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('exits 2 with the usage hint for wrong arguments', async () => {
    const { code, stdout, stderr } = await lifeboat(['recovery-points', 'show', '--allow-partial']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain("error: missing required argument 'id|latest'");
    expect(stderr).toContain('(add --help for usage)');
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('exits 4 naming the endpoint when nothing answers there', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const { code, stdout, stderr } = await lifeboat([
      'recovery-points',
      'list',
      '--endpoint',
      endpoint,
      '--config',
      'lifeboat.json',
    ]);
    expect(code).toBe(4);
    expect(stdout).toBe('');
    expect(stderr).toContain(`Nothing answers at ${endpoint}`);
    expect(stderr).not.toMatch(STACK_LINE);
  });
});

describe('lifeboat CLI against the emulator (in-process main)', () => {
  it('recovery-points show prints a per-service table for people', async () => {
    const { code, stdout } = await lifeboatInProcess(onEmulator('recovery-points', 'show', 'latest'));
    expect(code).toBe(0);
    expect(stdout).toMatch(/Recovery point:\s+rp-/);
    expect(stdout).toMatch(/SERVICE\s+TASK DEFINITION\s+DESIRED\s+WAVE\s+CONTAINER\s+IMAGE\s+PRESENCE/);
    expect(stdout).toMatch(/shop\/web\s+shop-web:\d+\s+\d+\s+3\s+/);
    expect(stdout).not.toContain('\u001b[');
  });

  it('status in a DR region with no catalog exits 2 and creates none (issue 15, finding 7)', async () => {
    // Another DR region: no backup ran there, and status only reads (exit 5 with an empty catalog:
    // cli-empty-fleet.test.ts).
    const { code, stdout } = await lifeboatInProcess(
      onEmulator('status', '--dr-region', 'eu-west-1', '--json'),
    );
    expect(code).toBe(2);
    const { error } = JSON.parse(stdout);
    expect(error).toMatchObject({ name: 'CatalogBucketNotFoundError', exitCode: 2 });
    expect(error.message).toContain(`lifeboat-catalog-${ACCOUNT}-eu-west-1 does not exist`);
  });

  it('a backup with a vanished image tag commits a partial recovery point and exits 1', async () => {
    const worker = fleet.services.find((s) => s.key === 'shop/worker');
    const image = worker?.images.find((i) => i.includes('/shop/worker:'));
    const tag = image?.split(':').pop();
    expect(tag).toBeDefined();
    await ctx.clients
      .ecr(PRIMARY)
      .send(new BatchDeleteImageCommand({ repositoryName: 'shop/worker', imageIds: [{ imageTag: tag }] }));

    const backup = await lifeboatInProcess(onEmulator('backup', '--json'));
    expect(backup.code).toBe(1);
    const doc = JSON.parse(backup.stdout);
    expect(doc.recoveryPoint.status).toBe('partial');
    expect(doc.errors).toContainEqual(expect.objectContaining({ resourceType: 'image', resourceId: image }));
    expect(backup.stderr).toContain('is partial');

    // "latest" still means the newest complete one; the partial one needs --allow-partial.
    const latest = await lifeboatInProcess(onEmulator('recovery-points', 'show', 'latest', '--json'));
    expect(latest.code).toBe(0);
    expect(JSON.parse(latest.stdout).recoveryPoint.status).toBe('complete');
    const refused = await lifeboatInProcess(
      onEmulator('recovery-points', 'show', doc.recoveryPoint.id, '--json'),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--allow-partial');
    const allowed = await lifeboatInProcess(
      onEmulator('recovery-points', 'show', doc.recoveryPoint.id, '--allow-partial', '--json'),
    );
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).errors).toHaveLength(doc.errors.length);

    const list = await lifeboatInProcess(onEmulator('recovery-points', 'list', '--json'));
    expect(JSON.parse(list.stdout).recoveryPoints.map((r: { status: string }) => r.status)).toEqual([
      'partial',
      'complete',
    ]);
  });

  it('backup prints the recovery point and its EBS volumes, snapshot → DR copy, for people', async () => {
    // Only the payments cluster: shop/worker lost an image tag in the test above.
    writeFileSync(
      join(cli.dir, 'payments.json'),
      JSON.stringify({
        account: ACCOUNT,
        primaryRegion: PRIMARY,
        drRegion: DR,
        selection: { include: ['payments/*'] },
      }),
    );
    const { code, stdout, stderr } = await lifeboatInProcess([
      'backup',
      '--endpoint',
      ctx.endpoint,
      '--config',
      'payments.json',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Recovery point:\s+rp-/);
    expect(stdout).toMatch(/Stored at:\s+s3:\/\/lifeboat-catalog-123456789012-us-west-2\/recovery-points\//);
    expect(stdout).toMatch(/SERVICE\s+KIND\s+VOLUME\s+SOURCE VOLUME\s+SNAPSHOT → DR COPY\s+ENGINE/);
    expect(stdout).toMatch(
      /payments\/ledger\s+managed\s+ledger-data\s+vol-\w+\s+snap-\w+ → snap-\w+\s+native-copy/,
    );
    expect(stdout).toMatch(/payments\/reconciler\s+standalone\s+vol-\w+\s+vol-\w+\s+snap-\w+ → snap-\w+/);
    expect(stdout).not.toContain('\u001b[');
    expect(stderr).toContain('Synthesising the backup workflow of the BackupStack (CDK)');
    expect(stderr).toMatch(
      /captured 2 services, \d+ task definitions, \d+ images; 2 EBS volumes snapshotted/,
    );
  });
});

describe('deployed backup: finding the backup workflow', () => {
  it('fails with BackupStackNotFoundError (a usage error naming cdk deploy) when the BackupStack is missing', async () => {
    const error = await findBackupStateMachine(ctx.clients, PRIMARY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupStackNotFoundError);
    expect((error as Error).message).toContain('npx cdk deploy LifeboatBackup');
    expect((error as Error).message).toContain('--primary-region');
  });

  it('reads BackupStateMachineArn from the LifeboatBackup stack outputs in the primary region', async () => {
    const arn = `arn:aws:states:${PRIMARY}:${ACCOUNT}:stateMachine:lifeboat-backup`;
    await ctx.clients.cfn(PRIMARY).send(
      new CreateStackCommand({
        StackName: 'LifeboatBackup',
        TemplateBody: JSON.stringify({
          Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
          Outputs: { BackupStateMachineArn: { Value: arn } },
        }),
      }),
    );
    expect(await findBackupStateMachine(ctx.clients, PRIMARY)).toBe(arn);
  });
});
