import { CreateClusterCommand } from '@aws-sdk/client-ecs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { App, type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ExecutionEvent,
  type LambdaHandler,
  type RenderedDefinition,
  renderDefinition,
  runLocalStateMachine,
  validateDefinition,
} from '../../src/emulator/step-functions/engine';
import { useEmulator } from '../support/emulator';

const REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const BUCKET = `lifeboat-catalog-${ACCOUNT}-${REGION}`;

/**
 * A restore-shaped workflow: validate → two aws-sdk reads → an aws-sdk call whose error is
 * caught by its Step Functions name → plan (full lambda:invoke output) → Choice on dry run →
 * Map over services (Retry + Catch on handler error names) → Wait → report.
 */
function synthesiseWorkflow(): { template: ReturnType<Template['toJSON']>; ids: Record<string, string> } {
  const app = new App();
  app.node.setContext('aws:cdk:bundling-stacks', []);
  const stack = new Stack(app, 'LocalRun', { env: { account: ACCOUNT, region: REGION } });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const validator = fn('Validator');
  const planner = fn('Planner');
  const restorer = fn('Restorer');
  const reporter = fn('Reporter');

  const validate = new tasks.LambdaInvoke(stack, 'Validate', {
    lambdaFunction: validator,
    payloadResponseOnly: true,
    resultPath: '$.request',
  });
  const listBuckets = new tasks.CallAwsService(stack, 'ListBuckets', {
    service: 's3',
    action: 'listBuckets',
    iamResources: ['*'],
    resultSelector: { 'names.$': '$.Buckets[*].Name' },
    resultPath: '$.buckets',
  });
  const describeClusters = new tasks.CallAwsService(stack, 'DescribeClusters', {
    service: 'ecs',
    action: 'describeClusters',
    parameters: { Clusters: sfn.JsonPath.listAt('$.request.clusters'), Include: ['TAGS'] },
    iamResources: ['*'],
    resultSelector: { 'names.$': '$.Clusters[*].ClusterName', 'tags.$': '$.Clusters[0].Tags' },
    resultPath: '$.described',
  });
  const probe = new tasks.CallAwsService(stack, 'ProbeService', {
    service: 'ecs',
    action: 'updateService',
    parameters: {
      Cluster: sfn.JsonPath.stringAt('$.request.clusters[0]'),
      Service: 'missing',
      DesiredCount: 0,
    },
    iamResources: ['*'],
    resultPath: '$.probe',
  });
  const markMissing = new sfn.Pass(stack, 'MarkMissing');
  const plan = new tasks.LambdaInvoke(stack, 'Plan', { lambdaFunction: planner, resultPath: '$.plan' });
  const dryRunResult = new sfn.Pass(stack, 'DryRunResult', {
    parameters: { 'plan.$': '$.plan.Payload' },
  });
  const restoreService = new tasks.LambdaInvoke(stack, 'RestoreService', {
    lambdaFunction: restorer,
    payloadResponseOnly: true,
  });
  restoreService.addRetry({
    errors: ['ThrottledError'],
    interval: Duration.seconds(1),
    maxAttempts: 2,
    backoffRate: 1,
  });
  const recordFailure = new sfn.Pass(stack, 'RecordFailure', {
    parameters: {
      'service.$': '$.name',
      status: 'FAILED',
      'error.$': '$.error.Error',
      'cause.$': '$.error.Cause',
    },
  });
  restoreService.addCatch(recordFailure, { errors: ['ServiceRestoreError'], resultPath: '$.error' });
  const restoreEach = new sfn.Map(stack, 'RestoreEach', {
    itemsPath: '$.plan.Payload.services',
    maxConcurrency: 2,
    resultPath: '$.results',
  });
  restoreEach.itemProcessor(restoreService);
  const settle = new sfn.Wait(stack, 'Settle', { time: sfn.WaitTime.duration(Duration.seconds(30)) });
  const report = new tasks.LambdaInvoke(stack, 'Report', {
    lambdaFunction: reporter,
    payload: sfn.TaskInput.fromObject({
      'results.$': '$.results',
      'execution.$': '$$.Execution.Name',
      'buckets.$': '$.buckets.names',
      'described.$': '$.described',
      'probeError.$': '$.probe.Error',
    }),
    outputPath: '$.Payload',
  });

  probe.addCatch(markMissing, { errors: ['Ecs.ServiceNotFoundException'], resultPath: '$.probe' });
  markMissing.next(plan);
  const definition = validate
    .next(listBuckets)
    .next(describeClusters)
    .next(probe.next(plan))
    .next(
      new sfn.Choice(stack, 'IsDryRun')
        .when(sfn.Condition.booleanEquals('$.plan.Payload.dryRun', true), dryRunResult)
        .otherwise(restoreEach.next(settle).next(report)),
    );
  const machine = new sfn.StateMachine(stack, 'Restore', {
    definitionBody: sfn.DefinitionBody.fromChainable(definition),
  });

  const id = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return {
    template: Template.fromStack(stack).toJSON(),
    ids: {
      machine: id(machine),
      validator: id(validator),
      planner: id(planner),
      restorer: id(restorer),
      reporter: id(reporter),
    },
  };
}

class InvalidRestoreInputError extends Error {
  override name = 'InvalidRestoreInputError';
}
class ThrottledError extends Error {
  override name = 'ThrottledError';
}
class ServiceRestoreError extends Error {
  override name = 'ServiceRestoreError';
}

function handlers(ids: Record<string, string>): {
  lambdas: Record<string, LambdaHandler>;
  calls: string[];
  concurrency: { max: number };
} {
  const calls: string[] = [];
  const concurrency = { active: 0, max: 0 };
  let flakyAttempts = 0;
  const lambdas: Record<string, LambdaHandler> = {
    [ids.validator as string]: async (event) => {
      const e = event as { clusters?: unknown; services?: unknown; dryRun?: boolean };
      calls.push('validate');
      if (!Array.isArray(e.services))
        throw new InvalidRestoreInputError('"services" must be a list of "cluster/service".');
      return { clusters: e.clusters, services: e.services, dryRun: e.dryRun === true };
    },
    [ids.planner as string]: async (event) => {
      const { request } = event as { request: { services: string[]; dryRun: boolean } };
      calls.push('plan');
      return { dryRun: request.dryRun, services: request.services.map((name) => ({ name })) };
    },
    [ids.restorer as string]: async (event) => {
      const { name } = event as { name: string };
      calls.push(`restore:${name}`);
      concurrency.active += 1;
      concurrency.max = Math.max(concurrency.max, concurrency.active);
      try {
        await new Promise((r) => setTimeout(r, 20));
        if (name === 'flaky' && flakyAttempts++ === 0) throw new ThrottledError('slow down');
        if (name === 'broken') throw new ServiceRestoreError(`service ${name} has no task definition`);
        return { service: name, status: 'RESTORED' };
      } finally {
        concurrency.active -= 1;
      }
    },
    [ids.reporter as string]: async (event) => {
      calls.push('report');
      return { report: event };
    },
  };
  return { lambdas, calls, concurrency };
}

describe('local Step Functions runner on a CDK-synthesised workflow', () => {
  const ctx = useEmulator();
  let rendered: RenderedDefinition;
  let ids: Record<string, string>;

  beforeAll(async () => {
    const synth = synthesiseWorkflow();
    ids = synth.ids;
    rendered = renderDefinition(synth.template, ids.machine as string, { region: REGION, account: ACCOUNT });
    await ctx.clients.s3(REGION).send(
      new CreateBucketCommand({
        Bucket: BUCKET,
        CreateBucketConfiguration: { LocationConstraint: REGION },
      }),
    );
    await ctx.clients
      .ecs(REGION)
      .send(
        new CreateClusterCommand({ clusterName: 'prod', tags: [{ key: 'lifeboat:backup', value: 'true' }] }),
      );
  });

  it('renders Lambda references as ARNs named by logical id and the result is valid ASL', () => {
    const states = rendered.definition.States as Record<string, Record<string, unknown>>;
    expect(states.Validate?.Resource).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ids.validator}`);
    expect(states.Plan?.Resource).toBe('arn:aws:states:::lambda:invoke');
    expect(states.Plan?.Parameters).toEqual({
      FunctionName: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${ids.planner}`,
      'Payload.$': '$',
    });
    expect(states.ListBuckets?.Resource).toBe('arn:aws:states:::aws-sdk:s3:listBuckets');
    expect(Object.keys(rendered.functions).sort()).toEqual(
      [ids.validator, ids.planner, ids.restorer, ids.reporter].sort(),
    );
    expect(rendered.functions[ids.planner as string]).toMatchObject({
      handler: 'index.handler',
      runtime: 'nodejs22.x',
    });
    expect(() => validateDefinition(rendered.definition)).not.toThrow();
  });

  it('runs the workflow end to end: SDK calls hit the emulator, errors match Retry and Catch by name', async () => {
    const { lambdas, calls, concurrency } = handlers(ids);
    const seen: ExecutionEvent[] = [];
    const result = await runLocalStateMachine({
      definition: rendered.definition,
      input: { clusters: ['prod'], services: ['web', 'flaky', 'broken'] },
      lambdas,
      clients: ctx.clients,
      region: REGION,
      executionName: 'drill-1',
      waitTimeScale: 0,
      onEvent: (e) => seen.push(e),
    });

    expect(result.status).toBe('SUCCEEDED');
    const { report } = result.output as { report: Record<string, unknown> };
    expect(report.execution).toBe('drill-1');
    expect(report.buckets).toEqual([BUCKET]);
    expect(report.described).toEqual({ names: ['prod'], tags: [{ Key: 'lifeboat:backup', Value: 'true' }] });
    expect(report.probeError).toBe('Ecs.ServiceNotFoundException');
    expect(report.results).toEqual([
      { service: 'web', status: 'RESTORED' },
      { service: 'flaky', status: 'RESTORED' },
      {
        service: 'broken',
        status: 'FAILED',
        error: 'ServiceRestoreError',
        cause: 'service broken has no task definition',
      },
    ]);
    expect(calls.filter((c) => c === 'restore:flaky')).toHaveLength(2);
    expect(concurrency.max).toBe(2); // MaxConcurrency of RestoreEach
    // 12 states entered, RestoreService three times, plus one retry of "flaky".
    expect(result.stateTransitions).toBe(15);
    expect(result.transitionsByState).toMatchObject({
      RestoreService: 4,
      RecordFailure: 1,
      Settle: 1,
      IsDryRun: 1,
    });
    expect(seen.map((e) => e.type)).toEqual(
      expect.arrayContaining(['MapIterationStarted', 'StateRetried', 'StateCaught']),
    );
    expect(result.events.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('returns the full lambda:invoke response so a Choice on $.plan.Payload works', async () => {
    const { lambdas, calls } = handlers(ids);
    const result = await runLocalStateMachine({
      definition: rendered.definition,
      input: { clusters: ['prod'], services: ['web'], dryRun: true },
      lambdas,
      clients: ctx.clients,
      region: REGION,
    });

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: { plan: { dryRun: true, services: [{ name: 'web' }] } },
    });
    expect(calls).toEqual(['validate', 'plan']);
    expect(result.stateTransitions).toBe(8);
  });

  it('fails the execution with the handler error name and message when nothing catches it', async () => {
    const { lambdas, calls } = handlers(ids);
    const result = await runLocalStateMachine({
      definition: rendered.definition,
      input: { clusters: ['prod'] },
      lambdas,
      clients: ctx.clients,
      region: REGION,
    });

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'InvalidRestoreInputError',
      cause: '"services" must be a list of "cluster/service".',
      stateTransitions: 1,
    });
    expect(calls).toEqual(['validate']);
  });

  it('scales the Wait state by waitTimeScale', async () => {
    const settleMs = async (waitTimeScale: number) => {
      const result = await runLocalStateMachine({
        definition: rendered.definition,
        input: { clusters: ['prod'], services: ['web'] },
        lambdas: handlers(ids).lambdas,
        clients: ctx.clients,
        region: REGION,
        waitTimeScale,
      });
      expect(result.status).toBe('SUCCEEDED');
      const entered = result.events.find((e) => e.type === 'StateEntered' && e.stateName === 'Settle');
      const exited = result.events.find((e) => e.type === 'StateExited' && e.stateName === 'Settle');
      return (exited?.timestamp ?? Number.NaN) - (entered?.timestamp ?? Number.NaN);
    };

    const scaled = await settleMs(0.01); // 30 s → 300 ms
    expect(scaled).toBeGreaterThanOrEqual(290);
    expect(scaled).toBeLessThan(3_000);
    expect(await settleMs(0)).toBeLessThan(100);
  });
});
