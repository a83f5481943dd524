import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  checkParameterTemplate,
  fromSdkOutput,
  operationSchemas,
  sfnMemberName,
  toSdkInput,
} from '../../../../src/emulator/step-functions/shape';

describe('sfnMemberName', () => {
  it('upper-cases the first letter only', () => {
    expect(sfnMemberName('clusterArn')).toBe('ClusterArn');
    expect(sfnMemberName('Bucket')).toBe('Bucket');
  });
});

describe('toSdkInput', () => {
  it('converts member names to the SDK spelling and leaves map keys alone', () => {
    const { input: schema } = operationSchemas(RegisterTaskDefinitionCommand);

    const result = toSdkInput(
      {
        Family: 'web',
        ContainerDefinitions: [
          {
            Name: 'app',
            Image: 'nginx',
            DockerLabels: { 'com.example.Team': 'dr', lowerCase: 'kept' },
            LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': '/ecs/web' } },
          },
        ],
        Tags: [{ Key: 'lifeboat:backup', Value: 'true' }],
      },
      schema,
    );

    expect(result.unknown).toEqual([]);
    expect(result.input).toEqual({
      family: 'web',
      containerDefinitions: [
        {
          name: 'app',
          image: 'nginx',
          dockerLabels: { 'com.example.Team': 'dr', lowerCase: 'kept' },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } },
        },
      ],
      tags: [{ key: 'lifeboat:backup', value: 'true' }],
    });
  });

  it('keeps PascalCase members of PascalCase models and turns timestamps into Dates', () => {
    const { input: schema } = operationSchemas(PutObjectCommand);

    const { input } = toSdkInput(
      { Bucket: 'b', Key: 'k', Body: 'text', ObjectLockRetainUntilDate: '2030-01-01T00:00:00Z', Expires: 0 },
      schema,
    );

    expect(input).toEqual({
      Bucket: 'b',
      Key: 'k',
      Body: 'text',
      ObjectLockRetainUntilDate: new Date('2030-01-01T00:00:00Z'),
      Expires: new Date(0),
    });
  });

  it('reports names that are not members, with the expected ones', () => {
    const { input: schema } = operationSchemas(DescribeClustersCommand);

    const { unknown } = toSdkInput({ Clusters: ['a'], clusters: ['b'] }, schema);

    expect(unknown).toEqual([{ path: '$', name: 'clusters', expected: ['Clusters', 'Include'] }]);
  });
});

describe('checkParameterTemplate', () => {
  it('accepts literal and path keys that are members, and any key of a map', () => {
    const { input: schema } = operationSchemas(RegisterTaskDefinitionCommand);

    const unknown = checkParameterTemplate(
      {
        'Family.$': '$.family',
        ContainerDefinitions: [{ Name: 'app', DockerLabels: { 'any.label': 'x', 'dynamic.$': '$.label' } }],
      },
      schema,
    );

    expect(unknown).toEqual([]);
  });

  it('finds unknown names at any depth, including path keys', () => {
    const { input: schema } = operationSchemas(RegisterTaskDefinitionCommand);

    const unknown = checkParameterTemplate(
      { 'Familly.$': '$.f', ContainerDefinitions: [{ Nam: 'app' }] },
      schema,
    );

    expect(unknown.map((u) => `${u.path}:${u.name}`)).toEqual(['$:Familly', '$.ContainerDefinitions[0]:Nam']);
  });
});

describe('fromSdkOutput', () => {
  it('PascalCases members, formats timestamps as ISO strings and drops $metadata', async () => {
    const { output: schema } = operationSchemas(DescribeServicesCommand);

    const result = await fromSdkOutput(
      {
        $metadata: { httpStatusCode: 200 },
        services: [
          {
            serviceName: 'web',
            createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
            tags: [{ key: 'team', value: 'dr' }],
            networkConfiguration: { awsvpcConfiguration: { subnets: ['s-1'], assignPublicIp: undefined } },
          },
        ],
        failures: [],
      },
      schema,
    );

    expect(result).toEqual({
      Services: [
        {
          ServiceName: 'web',
          CreatedAt: '2026-01-02T03:04:05.000Z',
          Tags: [{ Key: 'team', Value: 'dr' }],
          NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['s-1'] } },
        },
      ],
      Failures: [],
    });
  });

  it('keeps map keys of outputs as they are', async () => {
    const { output: schema } = operationSchemas(RegisterTaskDefinitionCommand);

    const result = await fromSdkOutput(
      {
        taskDefinition: {
          containerDefinitions: [{ name: 'app', dockerLabels: { 'com.example.team': 'dr' } }],
        },
      },
      schema,
    );

    expect(result).toEqual({
      TaskDefinition: { ContainerDefinitions: [{ Name: 'app', DockerLabels: { 'com.example.team': 'dr' } }] },
    });
  });

  it('base64-encodes blobs and returns a streaming body as text', async () => {
    const encrypted = await fromSdkOutput(
      { CiphertextBlob: new Uint8Array([1, 2, 3]), KeyId: 'k' },
      operationSchemas(EncryptCommand).output,
    );
    const body = { transformToString: async (encoding?: string) => `text in ${encoding}` };
    const object = await fromSdkOutput(
      { Body: body, ContentLength: 4 },
      operationSchemas(GetObjectCommand).output,
    );

    expect(encrypted).toEqual({ CiphertextBlob: 'AQID', KeyId: 'k' });
    expect(object).toEqual({ Body: 'text in utf-8', ContentLength: 4 });
  });
});
