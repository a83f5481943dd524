import { type Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { LifeboatConfig } from '../../src/config/schema';
import { explicitEnv, InfrastructureError } from '../errors';
import { lambdaEntry } from './lambda-defaults';

/**
 * What the backup and restore workflows build the same way: one Lambda per step with its own
 * log group and role, and a Standard state machine with logs and tracing.
 */

/**
 * The literal account and region of the `workflow` construct's stack, which must be the
 * configured account in its `side` region: the workflow's permissions are literal ARNs of them.
 */
export function workflowEnv(
  scope: Construct,
  workflow: 'backup' | 'restore',
  config: LifeboatConfig,
  side: 'primary' | 'DR',
): { region: string; account: string } {
  const { region, account } = explicitEnv(
    scope,
    `the ${workflow} workflow`,
    'its permissions are literal ARNs of that account and region',
  );
  const expected = side === 'primary' ? config.primaryRegion : config.drRegion;
  if (region !== expected || account !== config.account) {
    throw new InfrastructureError(
      `the ${workflow} workflow must deploy to the ${side} region ${expected} of account ${config.account} (the stack is ${account}/${region})`,
      scope.node.path,
    );
  }
  return { region, account };
}

/** Lambda limits the environment of a function to 4 KB in total (keys and values). */
const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;

export interface WorkflowFunctionProps {
  /** The step, e.g. `capture`: ids `<Step>Logs`, `<Step>Role`, `<Step>Function`. */
  readonly step: string;
  /** The handler module `lambda/<moduleName>.ts`. */
  readonly moduleName: string;
  readonly description: string;
  readonly roleDescription: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  /** Grants the function's role everything it calls besides writing its own logs (see `lib/grants`). */
  readonly grant: (role: iam.Role) => void;
  readonly logRetention: logs.RetentionDays;
}

export interface WorkflowFunction {
  readonly fn: lambdaNodejs.NodejsFunction;
  readonly role: iam.Role;
}

/** A step's Lambda: bundled `lambda/<moduleName>.ts`, its own log group, a role with only `statements`. */
export function workflowFunction(scope: Construct, props: WorkflowFunctionProps): WorkflowFunction {
  const id = `${props.step.charAt(0).toUpperCase()}${props.step.slice(1)}`;
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: props.logRetention });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  props.grant(role);
  checkEnvironmentSize(scope, props.moduleName, props.environment);
  const fn = new lambdaNodejs.NodejsFunction(scope, `${id}Function`, {
    description: props.description,
    ...lambdaEntry(props.moduleName),
    memorySize: props.memorySize,
    timeout: props.timeout,
    role,
    logGroup,
    environment: props.environment,
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-L1',
    reason:
      'Node.js 22 is pinned on purpose: the bundle is built for it (esbuild target node22) and the test suite runs the handlers on Node.js 20/22; move to a newer runtime deliberately.',
  });
  return { fn, role };
}

function checkEnvironmentSize(
  scope: Construct,
  moduleName: string,
  environment: Record<string, string>,
): void {
  const bytes = Object.entries(environment).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES) {
    throw new InfrastructureError(
      `the ${moduleName} function's environment is ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}-byte limit; ` +
        'LIFEBOAT_CONFIG carries the whole configuration: shorten lifeboat.mappings or lifeboat.selection',
      scope.node.path,
    );
  }
}

/** What `workflowFunctions` asks of each step besides its `step` (role) and `moduleName`. */
export type WorkflowStepProps = Omit<WorkflowFunctionProps, 'step' | 'moduleName'>;

/**
 * One `workflowFunction` per role of `modules` (role → handler module), in their order; each role
 * acknowledges the IAM5 findings of `wildcardReasons` (see `acknowledgeWildcards`).
 */
export function workflowFunctions<R extends string>(
  scope: Construct,
  modules: Readonly<Record<R, string>>,
  stepProps: (role: R, moduleName: string) => WorkflowStepProps,
  wildcardReasons: Readonly<Record<string, string>>,
): { functions: Record<R, lambdaNodejs.NodejsFunction>; roles: Record<R, iam.Role> } {
  const functions = {} as Record<R, lambdaNodejs.NodejsFunction>;
  const roles = {} as Record<R, iam.Role>;
  for (const role of Object.keys(modules) as R[]) {
    const moduleName = modules[role];
    const built = workflowFunction(scope, { step: role, moduleName, ...stepProps(role, moduleName) });
    acknowledgeWildcards(built.role, wildcardReasons);
    functions[role] = built.fn;
    roles[role] = built.role;
  }
  return { functions, roles };
}

/** Acknowledges the cdk-nag IAM5 finding of each literal wildcard resource ARN with its reason. */
export function acknowledgeWildcards(scope: Construct, reasons: Readonly<Record<string, string>>): void {
  for (const [finding, reason] of Object.entries(reasons)) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
  }
}

export interface WorkflowStateMachineProps {
  /** @default - generated by CloudFormation */
  readonly stateMachineName?: string;
  readonly comment: string;
  readonly definition: sfn.IChainable;
  /** @default - none (Standard workflows stop after a year) */
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
  /** The functions its tasks invoke (for the reasoned IAM5 acknowledgements). */
  readonly functions: readonly lambda.IFunction[];
  /** `backup` or `restore`, in the acknowledgement reasons. */
  readonly workflow: string;
}

/** A Standard state machine (ids `StateMachineLogs`, `StateMachine`) that logs every event with its data and traces with X-Ray. */
export function workflowStateMachine(
  scope: Construct,
  props: WorkflowStateMachineProps,
): { stateMachine: sfn.StateMachine; logGroup: logs.LogGroup } {
  const logGroup = new logs.LogGroup(scope, 'StateMachineLogs', { retention: props.logRetention });
  const stateMachine = new sfn.StateMachine(scope, 'StateMachine', {
    ...(props.stateMachineName ? { stateMachineName: props.stateMachineName } : {}),
    stateMachineType: sfn.StateMachineType.STANDARD,
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.definition),
    ...(props.timeout ? { timeout: props.timeout } : {}),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  const machineRole = stateMachine.role;
  Validations.of(machineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Action::xray:*]',
    reason:
      'Step Functions X-Ray tracing needs xray:PutTraceSegments and related actions, which have no resource scope.',
  });
  Validations.of(machineRole).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray trace delivery and CloudWatch Logs delivery for Step Functions support no resource-level permissions.',
  });
  for (const fn of props.functions) {
    const logicalId = Stack.of(scope).getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(machineRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
      reason: `The state machine invokes each ${props.workflow} function and its versions (ARN:*); nothing else.`,
    });
  }
  return { stateMachine, logGroup };
}
