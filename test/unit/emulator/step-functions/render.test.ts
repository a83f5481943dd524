// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation ${…} placeholders are what these tests feed the renderer.
import { describe, expect, it } from 'vitest';
import { TemplateRenderError } from '../../../../src/emulator/step-functions/errors';
import { type CfnTemplateJson, renderDefinition } from '../../../../src/emulator/step-functions/render';

const ENV = { region: 'eu-west-1', account: '111122223333' };

function machineTemplate(
  properties: Record<string, unknown>,
  resources: CfnTemplateJson['Resources'] = {},
  extra: Omit<CfnTemplateJson, 'Resources'> = {},
): CfnTemplateJson {
  return {
    ...extra,
    Resources: { ...resources, SM: { Type: 'AWS::StepFunctions::StateMachine', Properties: properties } },
  };
}

/** A DefinitionString the way CDK writes it: JSON text joined around intrinsics. */
function joined(...parts: unknown[]): { 'Fn::Join': [string, unknown[]] } {
  return { 'Fn::Join': ['', parts] };
}

const FUNCTION = {
  Type: 'AWS::Lambda::Function',
  Properties: { Handler: 'index.handler', Runtime: 'nodejs22.x', FunctionName: 'ignored-name' },
  Metadata: { 'aws:asset:path': 'asset.abc123' },
};

describe('renderDefinition', () => {
  it('resolves a CDK-style Fn::Join definition with Lambda ARNs named by logical id', () => {
    const template = machineTemplate(
      {
        DefinitionString: joined(
          '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:',
          { Ref: 'AWS::Partition' },
          ':states:::lambda:invoke","Parameters":{"FunctionName":"',
          { 'Fn::GetAtt': ['PlanFn', 'Arn'] },
          '","Payload.$":"$"},"Next":"B"},"B":{"Type":"Task","Resource":"',
          { 'Fn::GetAtt': 'PlanFn.Arn' },
          '","End":true}}}',
        ),
      },
      { PlanFn: FUNCTION },
    );

    const rendered = renderDefinition(template, 'SM', ENV);

    const arn = 'arn:aws:lambda:eu-west-1:111122223333:function:PlanFn';
    expect(rendered.definition).toEqual({
      StartAt: 'A',
      States: {
        A: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: arn, 'Payload.$': '$' },
          Next: 'B',
        },
        B: { Type: 'Task', Resource: arn, End: true },
      },
    });
    expect(rendered.functions).toEqual({
      PlanFn: {
        logicalId: 'PlanFn',
        arn,
        handler: 'index.handler',
        runtime: 'nodejs22.x',
        assetPath: 'asset.abc123',
      },
    });
    expect(JSON.parse(rendered.definitionString)).toEqual(rendered.definition);
    expect(rendered.stateMachineName).toBe('SM');
  });

  it('resolves pseudo parameters, Fn::Sub, Fn::Select, Fn::Split, Fn::FindInMap and parameter defaults', () => {
    const template = machineTemplate(
      {
        StateMachineName: 'restore',
        DefinitionString: joined(
          '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"sub":"',
          { 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}/${AWS::URLSuffix}/${!Literal}/${Fn.Arn}' },
          '","vars":"',
          { 'Fn::Sub': ['${A}-${B}', { A: 'x', B: { Ref: 'Stage' } }] },
          '","select":"',
          { 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] },
          '","map":"',
          { 'Fn::FindInMap': ['Sizes', { Ref: 'AWS::Region' }, 'small'] },
          '"},"End":true}}}',
        ),
      },
      { Fn: FUNCTION },
      { Parameters: { Stage: { Default: 'drill' } }, Mappings: { Sizes: { 'eu-west-1': { small: '256' } } } },
    );

    const { definition, stateMachineName } = renderDefinition(template, 'SM', {
      ...ENV,
      partition: 'aws-cn',
    });

    expect((definition.States as Record<string, { Result: unknown }>).P.Result).toEqual({
      sub: 'eu-west-1/111122223333/amazonaws.com.cn/${Literal}/arn:aws-cn:lambda:eu-west-1:111122223333:function:Fn',
      vars: 'x-drill',
      select: 'b',
      map: '256',
    });
    expect(stateMachineName).toBe('restore');
  });

  it('applies DefinitionSubstitutions, resolving intrinsics in their values', () => {
    const template = machineTemplate(
      {
        DefinitionString:
          '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"${Fn}","Parameters":{"Left":"${Unknown}"},"End":true}}}',
        DefinitionSubstitutions: { Fn: { 'Fn::GetAtt': ['Worker', 'Arn'] } },
      },
      { Worker: FUNCTION },
    );

    const { definition, functions } = renderDefinition(template, 'SM', ENV);

    const task = (definition.States as Record<string, Record<string, unknown>>).T;
    expect(task?.Resource).toBe('arn:aws:lambda:eu-west-1:111122223333:function:Worker');
    expect(task?.Parameters).toEqual({ Left: '${Unknown}' });
    expect(Object.keys(functions)).toEqual(['Worker']);
  });

  it('resolves a Definition object and substitutes inside its strings', () => {
    const template = machineTemplate({
      Definition: {
        StartAt: 'P',
        States: {
          P: { Type: 'Pass', Result: { region: { Ref: 'AWS::Region' }, who: 'hi ${Name}' }, End: true },
        },
      },
      DefinitionSubstitutions: { Name: 'there "you"' },
    });

    const { definition } = renderDefinition(template, 'SM', ENV);

    expect((definition.States as Record<string, { Result: unknown }>).P.Result).toEqual({
      region: 'eu-west-1',
      who: 'hi there "you"',
    });
  });

  it.each([
    ['AWS::SNS::Topic', { TopicName: 'reports' }, 'Ref', 'arn:aws:sns:eu-west-1:111122223333:reports'],
    ['AWS::SNS::Topic', {}, 'TopicName', 'Res'],
    [
      'AWS::S3::Bucket',
      { BucketName: { 'Fn::Join': ['-', ['catalog', { Ref: 'AWS::AccountId' }]] } },
      'Ref',
      'catalog-111122223333',
    ],
    ['AWS::S3::Bucket', {}, 'Arn', 'arn:aws:s3:::res'],
    [
      'AWS::Logs::LogGroup',
      { LogGroupName: '/lifeboat' },
      'Arn',
      'arn:aws:logs:eu-west-1:111122223333:log-group:/lifeboat:*',
    ],
    ['AWS::KMS::Alias', { AliasName: 'alias/lifeboat-catalog' }, 'Ref', 'alias/lifeboat-catalog'],
    ['AWS::StepFunctions::StateMachine', {}, 'Arn', 'arn:aws:states:eu-west-1:111122223333:stateMachine:Res'],
  ])('gives %s a built-in %s… value (%s)', (type, properties, attribute, expected) => {
    const ref = attribute === 'Ref' ? { Ref: 'Res' } : { 'Fn::GetAtt': ['Res', attribute] };
    const template = machineTemplate(
      {
        DefinitionString: joined(
          '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"',
          ref,
          '","End":true}}}',
        ),
      },
      { Res: { Type: type, Properties: properties } },
    );

    const { definition } = renderDefinition(template, 'SM', ENV);

    expect((definition.States as Record<string, { Result: unknown }>).P.Result).toBe(expected);
  });

  it('takes values from options.resources before the built-in ones', () => {
    const template = machineTemplate(
      {
        DefinitionString: joined(
          '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":["',
          { 'Fn::GetAtt': ['Key', 'Arn'] },
          '","',
          { Ref: 'Topic' },
          '","',
          { Ref: 'AWS::StackName' },
          '"],"End":true}}}',
        ),
      },
      { Key: { Type: 'AWS::KMS::Key' }, Topic: { Type: 'AWS::SNS::Topic' } },
    );

    const { definition } = renderDefinition(template, 'SM', ENV, {
      resources: {
        Key: { Arn: 'arn:aws:kms:eu-west-1:111122223333:key/abc' },
        Topic: { Ref: 'arn:aws:sns:eu-west-1:111122223333:real' },
        'AWS::StackName': { Ref: 'RecoveryStack' },
      },
    });

    expect((definition.States as Record<string, { Result: unknown }>).P.Result).toEqual([
      'arn:aws:kms:eu-west-1:111122223333:key/abc',
      'arn:aws:sns:eu-west-1:111122223333:real',
      'RecoveryStack',
    ]);
  });

  it.each([
    [{ 'Fn::If': ['Cond', 'a', 'b'] }, /Fn::If is not supported by the local renderer/],
    [
      { 'Fn::GetAtt': ['Key', 'Arn'] },
      /no local value for Fn::GetAtt Arn of Key \(AWS::KMS::Key\); pass options\.resources\['Key'\]/,
    ],
    [
      { Ref: 'Nowhere' },
      /Ref points at Nowhere, which is not in the template; pass options\.resources\['Nowhere'\]/,
    ],
    [{ Ref: 'AWS::StackName' }, /supported pseudo parameters: AWS::Region/],
    [{ Ref: 'NoDefault' }, /template parameter NoDefault has no Default/],
    [{ Ref: 'Loop' }, /Loop refers to itself/],
    [{ 'Fn::FindInMap': ['Missing', 'a', 'b'] }, /Mappings\.Missing\.a\.b does not exist/],
  ])('fails with a TemplateRenderError naming the fix for %j', (intrinsic, message) => {
    const template = machineTemplate(
      {
        DefinitionString: joined(
          '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"',
          intrinsic,
          '","End":true}}}',
        ),
      },
      {
        Key: { Type: 'AWS::KMS::Key' },
        Loop: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { Ref: 'Loop' } } },
      },
      { Parameters: { NoDefault: {} } },
    );

    expect(() => renderDefinition(template, 'SM', ENV)).toThrow(TemplateRenderError);
    expect(() => renderDefinition(template, 'SM', ENV)).toThrow(message);
  });

  it('fails when the logical id is not a state machine, listing the ones there are', () => {
    const template = machineTemplate({ DefinitionString: '{}' }, { Fn: FUNCTION });

    expect(() => renderDefinition(template, 'Fn', ENV)).toThrow(/the template has: SM/);
  });

  it('fails when the definition is in S3 or not JSON after substitution', () => {
    expect(() =>
      renderDefinition(machineTemplate({ DefinitionS3Location: { Bucket: 'b', Key: 'k' } }), 'SM', ENV),
    ).toThrow(/DefinitionS3Location/);
    expect(() =>
      renderDefinition(
        machineTemplate({
          DefinitionString: '{"StartAt":${X}}',
          DefinitionSubstitutions: { X: '"unterminated' },
        }),
        'SM',
        ENV,
      ),
    ).toThrow(/the resolved definition is not JSON/);
  });
});
