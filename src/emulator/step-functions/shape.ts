import { NormalizedSchema } from '@smithy/core/schema';
import { isRecord } from './render';

/**
 * Converting between Step Functions `aws-sdk:` payloads and AWS SDK v3 shapes.
 *
 * Step Functions names every API member in PascalCase (`Clusters`, `ClusterArn`), whatever the
 * service model says (ECS members are `clusters`, `clusterArn`; S3's are already `Bucket`). The
 * rule, driven by the operation's Smithy schema that ships with each SDK v3 client:
 * - structure (and union) member names are converted: Step Functions key = member name with its
 *   first letter upper-cased;
 * - map keys are data and are never converted (tags given as maps, `dockerLabels`,
 *   log `options` such as `awslogs-group`, DynamoDB attribute names);
 * - documents (free-form JSON) are passed through untouched;
 * - timestamps go out as ISO 8601 strings and come in as ISO strings or epoch seconds;
 *   non-streaming blobs go out base64-encoded; a streaming body (S3 GetObject `Body`) goes out
 *   as its UTF-8 text, as Step Functions returns it.
 */

/** The Step Functions name of an API member: its first letter upper-cased. */
export function sfnMemberName(member: string): string {
  return member.charAt(0).toUpperCase() + member.slice(1);
}

/** An SDK v3 command class, e.g. `DescribeClustersCommand`. */
export type CommandClass = new (input: never) => object;

/** The input and output schemas of an SDK v3 command class, from its operation schema. */
export function operationSchemas(commandCtor: CommandClass): {
  input: NormalizedSchema;
  output: NormalizedSchema;
} {
  const command = new (commandCtor as unknown as new (input: object) => { schema?: unknown })({});
  const schema = command.schema;
  if (!Array.isArray(schema) || schema[0] !== 9) {
    throw new Error(`${commandCtor.name} carries no operation schema; the AWS SDK v3 client is too old.`);
  }
  return { input: NormalizedSchema.of(schema[4]), output: NormalizedSchema.of(schema[5]) };
}

/** A parameter name the API does not have. */
export interface UnknownParameter {
  readonly path: string;
  readonly name: string;
  readonly expected: readonly string[];
}

/**
 * Converts Step Functions parameters to an SDK v3 command input. Returns the input and the
 * parameter names that are not members of the API (Step Functions rejects those).
 */
export function toSdkInput(
  value: unknown,
  schema: NormalizedSchema,
): { input: unknown; unknown: UnknownParameter[] } {
  const unknown: UnknownParameter[] = [];
  const input = convertIn(value, schema, '$', unknown);
  return { input, unknown };
}

function convertIn(
  value: unknown,
  schema: NormalizedSchema,
  path: string,
  unknown: UnknownParameter[],
): unknown {
  if (value === null || value === undefined) return value;
  if (schema.isDocumentSchema()) return value;
  if (schema.isStructSchema() && isRecord(value)) {
    const members = memberIndex(schema);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const member = members.get(key);
      if (!member) {
        unknown.push({ path, name: key, expected: [...members.keys()] });
        continue;
      }
      out[member.name] = convertIn(v, member.schema, `${path}.${key}`, unknown);
    }
    return out;
  }
  if (schema.isListSchema() && Array.isArray(value)) {
    const item = schema.getValueSchema();
    return value.map((v, i) => convertIn(v, item, `${path}[${i}]`, unknown));
  }
  if (schema.isMapSchema() && isRecord(value)) {
    const item = schema.getValueSchema();
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, convertIn(v, item, `${path}.${k}`, unknown)]),
    );
  }
  if (schema.isTimestampSchema()) {
    if (typeof value === 'string') return new Date(value);
    if (typeof value === 'number') return new Date(value * 1000);
  }
  return value;
}

/**
 * Checks a state's `Parameters` template against the API: every literal key must be a member
 * (keys ending in `.$` are checked without their suffix; their values are paths, not payload).
 */
export function checkParameterTemplate(template: unknown, schema: NormalizedSchema): UnknownParameter[] {
  const unknown: UnknownParameter[] = [];
  checkTemplate(template, schema, '$', unknown);
  return unknown;
}

function checkTemplate(
  template: unknown,
  schema: NormalizedSchema,
  path: string,
  unknown: UnknownParameter[],
): void {
  if (schema.isDocumentSchema()) return;
  if (schema.isStructSchema() && isRecord(template)) {
    const members = memberIndex(schema);
    for (const [rawKey, v] of Object.entries(template)) {
      const dynamic = rawKey.endsWith('.$');
      const key = dynamic ? rawKey.slice(0, -2) : rawKey;
      const member = members.get(key);
      if (!member) unknown.push({ path, name: key, expected: [...members.keys()] });
      else if (!dynamic) checkTemplate(v, member.schema, `${path}.${key}`, unknown);
    }
  } else if (schema.isListSchema() && Array.isArray(template)) {
    const item = schema.getValueSchema();
    template.forEach((v, i) => {
      checkTemplate(v, item, `${path}[${i}]`, unknown);
    });
  } else if (schema.isMapSchema() && isRecord(template)) {
    const item = schema.getValueSchema();
    for (const [k, v] of Object.entries(template)) {
      if (!k.endsWith('.$')) checkTemplate(v, item, `${path}.${k}`, unknown);
    }
  }
}

/** Converts an SDK v3 command output to the JSON Step Functions returns. */
export async function fromSdkOutput(value: unknown, schema: NormalizedSchema | undefined): Promise<unknown> {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (hasTextTransform(value)) return value.transformToString('utf-8');
  if (schema?.isDocumentSchema()) return value;
  if (Array.isArray(value)) {
    const item = schema?.isListSchema() ? schema.getValueSchema() : undefined;
    return Promise.all(value.map((v) => fromSdkOutput(v, item)));
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  if (schema?.isMapSchema()) {
    const item = schema.getValueSchema();
    for (const [k, v] of Object.entries(value)) out[k] = await fromSdkOutput(v, item);
    return out;
  }
  const members = schema?.isStructSchema() ? schema.getMemberSchemas() : {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$metadata' || v === undefined) continue;
    out[sfnMemberName(k)] = await fromSdkOutput(v, members[k]);
  }
  return out;
}

function memberIndex(schema: NormalizedSchema): Map<string, { name: string; schema: NormalizedSchema }> {
  const index = new Map<string, { name: string; schema: NormalizedSchema }>();
  for (const [name, member] of schema.structIterator())
    index.set(sfnMemberName(name), { name, schema: member });
  return index;
}

function hasTextTransform(
  value: unknown,
): value is { transformToString(encoding?: string): Promise<string> } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { transformToString?: unknown }).transformToString === 'function'
  );
}
