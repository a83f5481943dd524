import { type App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { WorkflowSpec } from '../../src/cli/runners/local-workflow';
import { parseConfig } from '../../src/config/schema';

export const ECHO_CONFIG = parseConfig({
  account: '123456789012',
  primaryRegion: 'us-east-1',
  drRegion: 'us-west-2',
});

/**
 * A workflow of one state machine calling one Lambda that returns its input (a synth of well
 * under a second), named `workflow`; its Lambda's LIFEBOAT_FUNCTION is `handler` (none when
 * undefined), so the runner's handler lookup can be made to fail.
 */
export function echoWorkflow(workflow: string, handler: string | undefined): WorkflowSpec {
  return {
    name: workflow,
    config: ECHO_CONFIG,
    region: 'us-east-1',
    build: (app: App) => {
      const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
      const fn = new lambda.Function(stack, 'Echo', {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async (e) => e;'),
        ...(handler ? { environment: { LIFEBOAT_FUNCTION: handler } } : {}),
      });
      const stateMachine = new sfn.StateMachine(stack, 'Machine', {
        definitionBody: sfn.DefinitionBody.fromChainable(
          new tasks.LambdaInvoke(stack, 'Call', { lambdaFunction: fn, payloadResponseOnly: true }),
        ),
      });
      return { stack, stateMachine };
    },
    handlerNames: ['echo'],
  };
}
