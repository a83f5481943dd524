import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { renderDefinition } from '../../../src/emulator/step-functions/engine';

/** An IAM policy statement as it stands in a synthesised template. */
export type Statement = {
  Sid?: string;
  Effect?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Statements of every policy of the role whose Lambda has LIFEBOAT_FUNCTION=`name`, by Sid. */
export function statementsOf(template: Template, name: string): Record<string, Statement> {
  const resources = (template.toJSON() as { Resources: Resources }).Resources;
  const fn = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables.LIFEBOAT_FUNCTION ===
        name,
  );
  if (!fn) throw new Error(`no Lambda with LIFEBOAT_FUNCTION=${name}`);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const statements: Statement[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    if (!(r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === roleId)) continue;
    statements.push(...(r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }
  if (statements.length === 0) throw new Error(`no policy for the role of ${name}`);
  return Object.fromEntries(statements.map((s) => [s.Sid ?? `(no sid: ${JSON.stringify(s.Action)})`, s]));
}

/** The Amazon States Language of `stateMachine` in `template`, rendered for its stack's region and account. */
export function definitionOf(template: Template, stateMachine: sfn.StateMachine): Record<string, unknown> {
  const stack = Stack.of(stateMachine);
  const id = stack.getLogicalId(stateMachine.node.defaultChild as CfnElement);
  return renderDefinition(template.toJSON(), id, { region: stack.region, account: stack.account }).definition;
}

/**
 * The template has the EventBridge rule that sends the failed, timed-out and aborted executions of
 * the state machine `machineId` to the queue `queueId` (logical ids).
 */
export function expectFailedExecutionsRule(template: Template, machineId: string, queueId: string): void {
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: {
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machineId }] },
    },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })],
  });
}
