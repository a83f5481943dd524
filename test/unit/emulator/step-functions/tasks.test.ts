import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { NoSuchKey } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../../../src/aws/clients';
import { StateError } from '../../../../src/emulator/step-functions/errors';
import {
  functionName,
  type LambdaHandler,
  resolveTask,
  sdkError,
  type TaskHandler,
} from '../../../../src/emulator/step-functions/tasks';

const REGION = 'eu-west-1';
const ACCOUNT = '111122223333';
const FN_ARN = 'arn:aws:lambda:eu-west-1:111122223333:function:PlanFn';
// Never contacted: resolving a task only builds the call.
const clients = new AwsClients({ endpoint: 'http://127.0.0.1:9' });
afterAll(() => clients.destroy());

function handlerOf(state: Record<string, unknown>, lambdas: Record<string, LambdaHandler> = {}): TaskHandler {
  const resolved = resolveTask(
    'T',
    { Type: 'Task', ...state },
    { lambdas, clients, region: REGION, account: ACCOUNT },
  );
  if (!('handler' in resolved)) throw new Error(`unexpected problems: ${resolved.problems.join('; ')}`);
  return resolved.handler;
}

function problemsOf(state: Record<string, unknown>, withClients = true): string[] {
  const resolved = resolveTask(
    'T',
    { Type: 'Task', ...state },
    {
      lambdas: { PlanFn: async () => ({}) },
      region: REGION,
      account: ACCOUNT,
      ...(withClients ? { clients } : {}),
    },
  );
  return 'problems' in resolved ? resolved.problems : [];
}

describe('functionName', () => {
  it.each([
    ['PlanFn', 'PlanFn'],
    ['PlanFn:live', 'PlanFn'],
    ['111122223333:function:PlanFn', 'PlanFn'],
    [FN_ARN, 'PlanFn'],
    [`${FN_ARN}:$LATEST`, 'PlanFn'],
  ])('reads the function name from %s', (ref, name) => {
    expect(functionName(ref)).toBe(name);
  });
});

describe('resolveTask', () => {
  it('returns the lambda:invoke response shape with the payload across a JSON boundary', async () => {
    let received: unknown;
    const handler = handlerOf(
      { Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: FN_ARN, 'Payload.$': '$' } },
      {
        PlanFn: async (event) => {
          received = event;
          return { at: new Date(0), skipped: undefined };
        },
      },
    );

    const output = (await handler({ FunctionName: FN_ARN, Payload: { n: 1 } })) as Record<string, unknown>;

    expect(received).toEqual({ n: 1 });
    expect(output).toMatchObject({
      ExecutedVersion: '$LATEST',
      Payload: { at: '1970-01-01T00:00:00.000Z' },
      StatusCode: 200,
      SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST' } },
    });
    expect(output.SdkResponseMetadata).toEqual({ RequestId: expect.any(String) });
  });

  it('passes typed handlers the event and a Lambda-like context', async () => {
    let seen: { event?: { services: string[] }; functionName?: string; arn?: string; remaining?: number } =
      {};
    const typed = async (event: { services: string[] }, context: Context) => {
      seen = {
        event,
        functionName: context.functionName,
        arn: context.invokedFunctionArn,
        remaining: context.getRemainingTimeInMillis(),
      };
      return 'ok';
    };
    const handler = handlerOf(
      { Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'PlanFn' } },
      { PlanFn: typed },
    );

    await handler({ FunctionName: 'PlanFn', Payload: { services: ['prod/web'] } });

    expect(seen).toEqual({
      event: { services: ['prod/web'] },
      functionName: 'PlanFn',
      arn: FN_ARN,
      remaining: expect.any(Number),
    });
    expect(seen.remaining).toBeGreaterThan(899_000);
  });

  it('gives a plain Lambda ARN resource the bare result, null for undefined', async () => {
    const handler = handlerOf({ Resource: FN_ARN }, { PlanFn: async () => undefined });

    await expect(handler({})).resolves.toBeNull();
  });

  it('turns a handler error into a state error named after it, with its message as cause', async () => {
    class InvalidRestoreInputError extends Error {
      override name = 'InvalidRestoreInputError';
    }
    const handler = handlerOf(
      { Resource: FN_ARN },
      {
        PlanFn: async () => {
          throw new InvalidRestoreInputError('"services" must not be empty.');
        },
      },
    );

    const error = await handler({}).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StateError);
    expect(error).toMatchObject({
      name: 'InvalidRestoreInputError',
      message: '"services" must not be empty.',
    });
  });

  it('fails like Lambda when a FunctionName from the input has no handler', async () => {
    const handler = handlerOf(
      {
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { 'FunctionName.$': '$.fn', 'Payload.$': '$' },
      },
      { PlanFn: async () => ({}) },
    );

    await expect(handler({ FunctionName: 'Other', Payload: {} })).rejects.toMatchObject({
      name: 'Lambda.ResourceNotFoundException',
      message: expect.stringMatching(/^Function not found: Other \(Service: Lambda, Status Code: 404/),
    });
  });

  it.each([
    [
      { Resource: 'arn:aws:lambda:eu-west-1:111122223333:function:Gone' },
      /no local handler for Lambda function "Gone"; pass lambdas: \{ Gone: handler \} \(given: PlanFn\)/,
    ],
    [
      { Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'Gone' } },
      /no local handler for Lambda function "Gone"/,
    ],
    [{ Resource: 'arn:aws:states:::lambda:invoke', Parameters: {} }, /Parameters\.FunctionName is required/],
    [
      {
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'PlanFn', InvocationType: 'Event' },
      },
      /only InvocationType RequestResponse runs locally/,
    ],
    [
      { Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'PlanFn' } },
      /the \.waitForTaskToken integration pattern is not available locally/,
    ],
    [
      { Resource: 'arn:aws:states:::sns:publish' },
      /use tasks\.CallAwsService instead of an optimised integration/,
    ],
    [
      { Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem' },
      /aws-sdk:dynamodb is not available locally \(available: cloudformation/,
    ],
    [{ Resource: 'arn:aws:states:::aws-sdk:ecs:describeClusterz' }, /ecs has no action "describeClusterz"/],
    [
      { Resource: 'arn:aws:states:::aws-sdk:ecs:DescribeClusters' },
      /Step Functions spells actions in camelCase/,
    ],
    [{ Resource: 'arn:aws:states:::aws-sdk:sfn:startExecution.sync' }, /the \.sync integration pattern/],
    [
      { Resource: 'arn:aws:states:::aws-sdk:ecs:describeClusters', Parameters: { clusters: ['a'] } },
      /\$ has no parameter "clusters" \(expected one of: Clusters, Include\)/,
    ],
  ])('refuses %j', (state, message) => {
    const problems = problemsOf(state);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('refuses aws-sdk: tasks when no clients are given', () => {
    expect(problemsOf({ Resource: 'arn:aws:states:::aws-sdk:s3:listBuckets' }, false)).toEqual([
      'Task "T" (arn:aws:states:::aws-sdk:s3:listBuckets): pass `clients` (AwsClients) to run aws-sdk: integrations.',
    ]);
  });

  it('fails an aws-sdk: call terminally when the input has a name the API lacks', async () => {
    const handler = handlerOf({ Resource: 'arn:aws:states:::aws-sdk:ecs:describeClusters', Parameters: {} });

    await expect(handler({ Clusterz: ['a'] })).rejects.toMatchObject({
      name: 'States.Runtime',
      isCatchable: false,
      isRetryable: false,
    });
  });
});

describe('sdkError', () => {
  it('names a modelled error <Service>.<Name> with the request details in the cause', () => {
    const error = sdkError(
      'ecs',
      new ServiceNotFoundException({
        message: 'Service not found.',
        $metadata: { httpStatusCode: 400, requestId: 'r-1' },
      }),
    );

    expect(error).toMatchObject({
      name: 'Ecs.ServiceNotFoundException',
      message: 'Service not found. (Service: Ecs, Status Code: 400, Request ID: r-1)',
      isCatchable: true,
    });
  });

  it('appends Exception to error names that lack it, as Step Functions does for S3', () => {
    const error = sdkError(
      's3',
      new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404, requestId: 'r-2', extendedRequestId: 'x-2' },
      }),
    );

    expect(error.name).toBe('S3.NoSuchKeyException');
    expect(error.message).toBe(
      'The specified key does not exist. (Service: S3, Status Code: 404, Request ID: r-2, Extended Request ID: x-2)',
    );
  });

  it('names an error the model does not define <Service>.<Service>Exception (every EC2 error code)', () => {
    const error = sdkError(
      'ec2',
      new EC2ServiceException({
        name: 'InvalidVolume.NotFound',
        $fault: 'client',
        message: "The volume 'vol-1' does not exist.",
        $metadata: { httpStatusCode: 400, requestId: 'r-3' },
      }),
    );

    expect(error.name).toBe('Ec2.Ec2Exception');
    expect(error.message).toMatch(/^The volume 'vol-1' does not exist\. \(Service: Ec2, Status Code: 400/);
  });

  it('reports a failure that is not a service error as States.TaskFailed', () => {
    expect(sdkError('ecs', new Error('connect ECONNREFUSED 127.0.0.1:9'))).toMatchObject({
      name: 'States.TaskFailed',
      message: 'Error: connect ECONNREFUSED 127.0.0.1:9',
    });
  });
});
