import { randomUUID } from 'node:crypto';
import * as cloudformation from '@aws-sdk/client-cloudformation';
import * as cloudwatchlogs from '@aws-sdk/client-cloudwatch-logs';
import * as ebs from '@aws-sdk/client-ebs';
import * as ec2 from '@aws-sdk/client-ec2';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecs from '@aws-sdk/client-ecs';
import * as efs from '@aws-sdk/client-efs';
import * as kms from '@aws-sdk/client-kms';
import * as s3 from '@aws-sdk/client-s3';
import * as secretsmanager from '@aws-sdk/client-secrets-manager';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import type { AwsClients } from '../../aws/clients';
import { StateError } from './errors';
import { isRecord } from './render';
import {
  checkParameterTemplate,
  fromSdkOutput,
  operationSchemas,
  toSdkInput,
  type UnknownParameter,
} from './shape';

/**
 * An in-process stand-in for a Lambda function, e.g. a `createHandler(deps)` result: receives the
 * event (JSON, typed by the handler as it likes) and a Lambda-like context, returns the result or
 * a promise of it. Callback-style handlers are not supported.
 */
export type LambdaHandler = (event: never, context: Context) => unknown;

/** The local implementation of one Task state: effective input in, raw task result out. */
export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface TaskEnvironment {
  /** Handlers by function name (the name part of the function ARN; a logical id after `renderDefinition`). */
  readonly lambdas: Readonly<Record<string, LambdaHandler>>;
  /** Clients for `aws-sdk:` integrations, typically pointed at the emulator. */
  readonly clients?: AwsClients;
  /** Region the state machine runs in; `aws-sdk:` calls go there. */
  readonly region: string;
  /** Account in the function ARNs handlers see as `context.invokedFunctionArn`. */
  readonly account: string;
}

interface SendingClient {
  send(command: object): Promise<unknown>;
}

interface SdkService {
  /** The PascalCase service name Step Functions puts in front of error names (`Ecs.…`). */
  readonly errorName: string;
  readonly module: Readonly<Record<string, unknown>>;
  readonly client: (clients: AwsClients, region: string) => SendingClient;
}

/** `aws-sdk:<service>` names that run locally, i.e. the services `AwsClients` provides. */
const SDK_SERVICES: Readonly<Record<string, SdkService>> = {
  cloudformation: { errorName: 'CloudFormation', module: cloudformation, client: (c, r) => c.cfn(r) },
  cloudwatchlogs: { errorName: 'CloudWatchLogs', module: cloudwatchlogs, client: (c, r) => c.logs(r) },
  ebs: { errorName: 'Ebs', module: ebs, client: (c, r) => c.ebs(r) },
  ec2: { errorName: 'Ec2', module: ec2, client: (c, r) => c.ec2(r) },
  ecr: { errorName: 'Ecr', module: ecr, client: (c, r) => c.ecr(r) },
  ecs: { errorName: 'Ecs', module: ecs, client: (c, r) => c.ecs(r) },
  efs: { errorName: 'Efs', module: efs, client: (c, r) => c.efs(r) },
  kms: { errorName: 'Kms', module: kms, client: (c, r) => c.kms(r) },
  s3: { errorName: 'S3', module: s3, client: (c, r) => c.s3(r) },
  secretsmanager: { errorName: 'SecretsManager', module: secretsmanager, client: (c, r) => c.secrets(r) },
  sfn: { errorName: 'Sfn', module: sfn, client: (c, r) => c.sfn(r) },
  sns: { errorName: 'Sns', module: sns, client: (c, r) => c.sns(r) },
  ssm: { errorName: 'Ssm', module: ssm, client: (c, r) => c.ssm(r) },
  sts: { errorName: 'Sts', module: sts, client: (c, r) => c.sts(r) },
};

const LAMBDA_INVOKE = /^arn:[\w-]+:states:::lambda:invoke(\.\w+)?$/;
const LAMBDA_ARN = /^arn:[\w-]+:lambda:[\w-]+:\d{12}:function:([\w-]+)(:[\w$-]+)?$/;
const AWS_SDK = /^arn:[\w-]+:states:::aws-sdk:([\w-]+):(\w+)(\.\w+)?$/;
const FUNCTION_NAME =
  /^(?:arn:[\w-]+:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?([\w-]+)(?::[\w$-]+)?$/;

/**
 * Builds the local implementation of a Task state's `Resource`, or says why it cannot run here.
 * Supported: `arn:aws:states:::lambda:invoke` (request-response), plain Lambda function ARNs,
 * and `arn:aws:states:::aws-sdk:<service>:<action>` for the services in `AwsClients`.
 */
export function resolveTask(
  stateName: string,
  state: Readonly<Record<string, unknown>>,
  env: TaskEnvironment,
): { handler: TaskHandler } | { problems: string[] } {
  const resource = typeof state.Resource === 'string' ? state.Resource : '';
  const where = `Task "${stateName}" (${resource})`;

  const invoke = LAMBDA_INVOKE.exec(resource);
  if (invoke) {
    if (invoke[1])
      return { problems: [`${where}: the ${invoke[1]} integration pattern is not available locally.`] };
    return lambdaInvokeTask(where, state.Parameters, env);
  }

  const plain = LAMBDA_ARN.exec(resource);
  if (plain) {
    const handler = findLambda(resource, env.lambdas);
    if (!handler) return { problems: [missingLambda(where, plain[1] as string, env.lambdas)] };
    return { handler: (input) => invokeLocally(handler, resource, env, input) };
  }

  const sdk = AWS_SDK.exec(resource);
  if (sdk) return sdkTask(where, sdk[1] as string, sdk[2] as string, sdk[3], state.Parameters, env);

  return {
    problems: [
      `${where}: only lambda:invoke, Lambda function ARNs and aws-sdk:<service>:<action> run locally; ` +
        'use tasks.CallAwsService instead of an optimised integration, or a Lambda function.',
    ],
  };
}

function lambdaInvokeTask(
  where: string,
  parameters: unknown,
  env: TaskEnvironment,
): { handler: TaskHandler } | { problems: string[] } {
  const params = isRecord(parameters) ? parameters : {};
  const problems: string[] = [];
  if (typeof params.FunctionName === 'string') {
    if (!findLambda(params.FunctionName, env.lambdas)) {
      problems.push(missingLambda(where, functionName(params.FunctionName), env.lambdas));
    }
  } else if (typeof params['FunctionName.$'] !== 'string') {
    problems.push(`${where}: Parameters.FunctionName is required.`);
  }
  if (params.InvocationType !== undefined && params.InvocationType !== 'RequestResponse') {
    problems.push(`${where}: only InvocationType RequestResponse runs locally.`);
  }
  if (problems.length > 0) return { problems };
  return {
    handler: async (input) => {
      const request = isRecord(input) ? input : {};
      const ref = String(request.FunctionName);
      const handler = findLambda(ref, env.lambdas);
      if (!handler) {
        throw new StateError(
          'Lambda.ResourceNotFoundException',
          `Function not found: ${ref} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`,
        );
      }
      const payload = await invokeLocally(handler, ref, env, 'Payload' in request ? request.Payload : {});
      return lambdaInvokeOutput(payload);
    },
  };
}

function sdkTask(
  where: string,
  serviceName: string,
  action: string,
  pattern: string | undefined,
  parameters: unknown,
  env: TaskEnvironment,
): { handler: TaskHandler } | { problems: string[] } {
  if (pattern)
    return { problems: [`${where}: the ${pattern} integration pattern is not available locally.`] };
  const service = SDK_SERVICES[serviceName];
  if (!service) {
    return {
      problems: [
        `${where}: aws-sdk:${serviceName} is not available locally (available: ${Object.keys(SDK_SERVICES).join(', ')}).`,
      ],
    };
  }
  const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
  const Command = service.module[commandName];
  if (action.charAt(0) !== action.charAt(0).toLowerCase() || typeof Command !== 'function') {
    return {
      problems: [
        `${where}: ${serviceName} has no action "${action}" (Step Functions spells actions in camelCase).`,
      ],
    };
  }
  const commandCtor = Command as new (input: object) => object;
  const schemas = operationSchemas(commandCtor);
  const problems = checkParameterTemplate(parameters ?? {}, schemas.input).map((u) =>
    unknownParameter(where, u),
  );
  const { clients } = env;
  if (!clients) problems.push(`${where}: pass \`clients\` (AwsClients) to run aws-sdk: integrations.`);
  if (problems.length > 0 || !clients) return { problems };

  return {
    handler: async (input) => {
      const converted = toSdkInput(input ?? {}, schemas.input);
      const [first] = converted.unknown;
      if (first) throw new StateError('States.Runtime', unknownParameter(where, first), { terminal: true });
      let output: unknown;
      try {
        output = await service.client(clients, env.region).send(new commandCtor(converted.input as object));
      } catch (error) {
        throw sdkError(serviceName, error);
      }
      return fromSdkOutput(output, schemas.output);
    },
  };
}

/** Runs a handler the way Lambda does: the event and the result cross a JSON boundary. */
async function invokeLocally(
  handler: LambdaHandler,
  ref: string,
  env: TaskEnvironment,
  event: unknown,
): Promise<unknown> {
  try {
    const result = await handler(jsonCopy(event) as never, lambdaContext(functionName(ref), env));
    return jsonCopy(result);
  } catch (error) {
    if (error instanceof Error) throw new StateError(error.name || 'Error', error.message);
    throw new StateError('Error', String(error));
  }
}

/** A Lambda context for one local invocation (15 minutes to run, the Lambda maximum). */
function lambdaContext(name: string, env: TaskEnvironment): Context {
  const deadline = Date.now() + 900_000;
  const callbackStyle = () => {
    throw new Error('Callback-style Lambda handlers are not supported locally; return a promise instead.');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${env.region}:${env.account}:function:${name}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${name}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
}

/** The result shape of `arn:aws:states:::lambda:invoke`, as Step Functions returns it. */
function lambdaInvokeOutput(payload: unknown): Record<string, unknown> {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    Connection: 'keep-alive',
    'Content-Length': String(Buffer.byteLength(JSON.stringify(payload))),
    'Content-Type': 'application/json',
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-RequestId': requestId,
  };
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload,
    SdkHttpMetadata: {
      AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      HttpHeaders: headers,
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

/**
 * Names an SDK failure as Step Functions does: `<Service>.<ExceptionName>`, always ending in
 * `Exception` (`S3.NoSuchKey` → `S3.NoSuchKeyException`); an error the service model does not
 * define (all of EC2's, for one) becomes `<Service>.<Service>Exception`. The cause carries the
 * message and `(Service: …, Status Code: …, Request ID: …)`.
 */
export function sdkError(serviceName: string, error: unknown): StateError {
  const service = SDK_SERVICES[serviceName];
  if (service && isServiceError(error)) {
    const modeledClass = service.module[error.name];
    const modeled =
      typeof modeledClass === 'function' && error instanceof (modeledClass as abstract new () => unknown);
    const base = `${service.errorName}.${modeled ? error.name : service.errorName}`;
    const name = base.endsWith('Exception') ? base : `${base}Exception`;
    const meta = error.$metadata;
    const details = [
      `Service: ${service.errorName}`,
      `Status Code: ${meta.httpStatusCode ?? 'unknown'}`,
      `Request ID: ${meta.requestId ?? 'null'}`,
      ...(meta.extendedRequestId ? [`Extended Request ID: ${meta.extendedRequestId}`] : []),
    ];
    return new StateError(name, `${error.message} (${details.join(', ')})`);
  }
  const e = error instanceof Error ? error : new Error(String(error));
  return new StateError('States.TaskFailed', `${e.name}: ${e.message}`);
}

interface ServiceErrorLike extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { httpStatusCode?: number; requestId?: string; extendedRequestId?: string };
}

function isServiceError(error: unknown): error is ServiceErrorLike {
  return (
    error instanceof Error &&
    isRecord((error as Partial<ServiceErrorLike>).$metadata) &&
    ((error as Partial<ServiceErrorLike>).$fault === 'client' ||
      (error as Partial<ServiceErrorLike>).$fault === 'server')
  );
}

function findLambda(
  ref: string,
  lambdas: Readonly<Record<string, LambdaHandler>>,
): LambdaHandler | undefined {
  return lambdas[functionName(ref)] ?? lambdas[ref];
}

/** The function name in a Lambda `FunctionName`: a name, `name:qualifier`, a partial or a full ARN. */
export function functionName(ref: string): string {
  return FUNCTION_NAME.exec(ref)?.[1] ?? ref;
}

function missingLambda(
  where: string,
  name: string,
  lambdas: Readonly<Record<string, LambdaHandler>>,
): string {
  const known = Object.keys(lambdas);
  return `${where}: no local handler for Lambda function "${name}"; pass lambdas: { ${name}: handler } (given: ${known.join(', ') || 'none'}).`;
}

function unknownParameter(where: string, u: UnknownParameter): string {
  return `${where}: ${u.path} has no parameter "${u.name}" (expected one of: ${u.expected.join(', ') || 'none'}).`;
}

function jsonCopy(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}
