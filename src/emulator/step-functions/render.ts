import { TemplateRenderError } from './errors';

/** One resource of a synthesised CloudFormation template (only the parts the renderer reads). */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
}

/**
 * A synthesised CloudFormation template as JSON, e.g. `Template.fromStack(stack).toJSON()` or
 * the `*.template.json` file of `cdk synth`.
 */
export interface CfnTemplateJson {
  readonly Resources?: Readonly<Record<string, CfnResourceJson>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
}

/** Where the rendered state machine is pretended to be deployed. */
export interface RenderEnvironment {
  readonly region: string;
  readonly account: string;
  /** @default 'aws' */
  readonly partition?: string;
}

export interface RenderOptions {
  /**
   * Values for references the renderer cannot derive, by logical id (or pseudo parameter name,
   * e.g. `AWS::StackName`): `{ Ref: 'value', Arn: 'value', … }`. They take precedence over the
   * built-in values.
   * @default - only the built-in values (see `renderDefinition`)
   */
  readonly resources?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A Lambda function the definition refers to, with what a local runner needs to wire it. */
export interface LambdaFunctionInfo {
  readonly logicalId: string;
  /** The ARN used in the rendered definition: `arn:<partition>:lambda:<region>:<account>:function:<logicalId>`. */
  readonly arn: string;
  /** The function's `Handler` property, e.g. `index.handler`. */
  readonly handler?: string;
  /** The function's `Runtime` property, e.g. `nodejs22.x`. */
  readonly runtime?: string;
  /** The CDK asset directory of the function's code (`aws:asset:path` metadata), when it has one. */
  readonly assetPath?: string;
}

export interface RenderedDefinition {
  /** The ASL definition as an object, every intrinsic and substitution resolved. */
  readonly definition: Record<string, unknown>;
  /** The same definition as the JSON string Step Functions would store. */
  readonly definitionString: string;
  /** `StateMachineName` when the template sets one, otherwise the logical id. */
  readonly stateMachineName: string;
  /** Lambda functions referenced by the definition, by logical id. */
  readonly functions: Readonly<Record<string, LambdaFunctionInfo>>;
}

const PSEUDO_PARAMETERS = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix'] as const;
const SUPPORTED_FUNCTIONS = 'Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::FindInMap';

/**
 * Resolves the definition of the `AWS::StepFunctions::StateMachine` resource `stateMachineLogicalId`
 * in a synthesised template into plain ASL, as CloudFormation would when deploying it to `env`.
 *
 * Supported intrinsics: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`,
 * `Fn::FindInMap`; pseudo parameters `AWS::Region`, `AWS::AccountId`, `AWS::Partition`,
 * `AWS::URLSuffix`; template parameters with a `Default`; and `DefinitionSubstitutions`. Built-in
 * values for references: a Lambda function is named by its logical id (`Ref` → the logical id,
 * `Arn` → `arn:<partition>:lambda:<region>:<account>:function:<logicalId>`, whatever its
 * `FunctionName`), so a local runner can map it to a handler; SNS topics, S3 buckets, log groups,
 * KMS aliases and state machines use their name property (or their logical id). Anything else
 * throws a `TemplateRenderError` that names the reference; supply it through `options.resources`.
 */
export function renderDefinition(
  template: CfnTemplateJson,
  stateMachineLogicalId: string,
  env: RenderEnvironment,
  options: RenderOptions = {},
): RenderedDefinition {
  const resources = template.Resources ?? {};
  const resource = resources[stateMachineLogicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') {
    const candidates = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
      .map(([id]) => id);
    throw new TemplateRenderError(
      `no AWS::StepFunctions::StateMachine with this logical id; the template has: ${candidates.join(', ') || 'none'}. ` +
        'Find the id with `stack.getLogicalId(stateMachine.node.defaultChild as CfnElement)`.',
      stateMachineLogicalId,
    );
  }
  const resolver = new Resolver(template, env, options.resources ?? {});
  const props = resource.Properties ?? {};
  const where = `${stateMachineLogicalId}.Properties`;
  const substitutions = resolveSubstitutions(
    resolver,
    props.DefinitionSubstitutions,
    `${where}.DefinitionSubstitutions`,
  );

  let definition: Record<string, unknown>;
  if (props.DefinitionString !== undefined) {
    const raw = resolver.resolveString(props.DefinitionString, `${where}.DefinitionString`);
    const text = substitute(raw, substitutions);
    definition = parseDefinition(text, `${where}.DefinitionString`);
  } else if (isRecord(props.Definition)) {
    const resolved = resolver.resolve(props.Definition, `${where}.Definition`);
    definition = substituteLeaves(resolved, substitutions) as Record<string, unknown>;
  } else if (props.DefinitionS3Location !== undefined) {
    throw new TemplateRenderError(
      'the definition is in S3 (DefinitionS3Location), which a local run cannot read; use DefinitionBody.fromChainable or fromString.',
      `${where}.DefinitionS3Location`,
    );
  } else {
    throw new TemplateRenderError('the state machine has no DefinitionString or Definition.', where);
  }

  const name =
    props.StateMachineName === undefined ? undefined : resolver.resolve(props.StateMachineName, where);
  const functions: Record<string, LambdaFunctionInfo> = {};
  for (const logicalId of [...resolver.referencedFunctions].sort()) {
    const fn = resources[logicalId] as CfnResourceJson;
    const fnProps = fn.Properties ?? {};
    functions[logicalId] = {
      logicalId,
      arn: resolver.lambdaArn(logicalId),
      ...optionalString('handler', fnProps.Handler),
      ...optionalString('runtime', fnProps.Runtime),
      ...optionalString('assetPath', fn.Metadata?.['aws:asset:path']),
    };
  }
  return {
    definition,
    definitionString: JSON.stringify(definition),
    stateMachineName: typeof name === 'string' ? name : stateMachineLogicalId,
    functions,
  };
}

class Resolver {
  readonly referencedFunctions = new Set<string>();
  private readonly partition: string;
  private readonly resolving = new Set<string>();

  constructor(
    private readonly template: CfnTemplateJson,
    private readonly env: RenderEnvironment,
    private readonly overrides: Readonly<Record<string, Readonly<Record<string, string>>>>,
  ) {
    this.partition = env.partition ?? 'aws';
  }

  resolve(value: unknown, location: string): unknown {
    if (Array.isArray(value)) return value.map((item, i) => this.resolve(item, `${location}[${i}]`));
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    const [only] = keys;
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only], `${location}.${only}`);
    }
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k], `${location}.${k}`)]));
  }

  resolveString(value: unknown, location: string): string {
    const resolved = this.resolve(value, location);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new TemplateRenderError(
      `expected a string but it resolves to ${JSON.stringify(resolved)}.`,
      location,
    );
  }

  lambdaArn(logicalId: string): string {
    return `arn:${this.partition}:lambda:${this.env.region}:${this.env.account}:function:${logicalId}`;
  }

  private intrinsic(fn: string, arg: unknown, location: string): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(this.literalString(arg, location), location);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = this.getAttArgs(arg, location);
        return this.attribute(logicalId, attribute, location);
      }
      case 'Fn::Join': {
        const [separator, parts] = this.pair(arg, location);
        const list = this.resolve(parts, location);
        if (!Array.isArray(list)) throw new TemplateRenderError('Fn::Join needs a list to join.', location);
        return list.map((part, i) => this.resolveString(part, `${location}[${i}]`)).join(String(separator));
      }
      case 'Fn::Sub':
        return this.sub(arg, location);
      case 'Fn::Select': {
        const [index, list] = this.pair(arg, location);
        const items = this.resolve(list, location);
        const i = Number(this.resolve(index, location));
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
          throw new TemplateRenderError(`Fn::Select index ${String(index)} is out of range.`, location);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [separator, source] = this.pair(arg, location);
        return this.resolveString(source, location).split(String(separator));
      }
      case 'Fn::FindInMap': {
        if (!Array.isArray(arg) || arg.length !== 3) {
          throw new TemplateRenderError('Fn::FindInMap needs [map, topKey, secondKey].', location);
        }
        const [map, top, second] = arg.map((a, i) => this.resolveString(a, `${location}[${i}]`));
        const value = this.template.Mappings?.[map as string]?.[top as string]?.[second as string];
        if (value === undefined) {
          throw new TemplateRenderError(`Mappings.${map}.${top}.${second} does not exist.`, location);
        }
        return value;
      }
      default:
        throw new TemplateRenderError(
          `${fn} is not supported by the local renderer (supported: ${SUPPORTED_FUNCTIONS}); keep the definition free of it or resolve it at synth time.`,
          location,
        );
    }
  }

  private ref(target: string, location: string): string {
    const override = this.overrides[target]?.Ref;
    if (override !== undefined) return override;
    switch (target) {
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::AccountId':
        return this.env.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    }
    const parameter = this.template.Parameters?.[target];
    if (parameter) {
      if (parameter.Default === undefined) {
        throw new TemplateRenderError(
          `template parameter ${target} has no Default; pass options.resources['${target}'] = { Ref: '<value>' }.`,
          location,
        );
      }
      return String(parameter.Default);
    }
    return this.attribute(target, 'Ref', location);
  }

  private attribute(logicalId: string, attribute: string, location: string): string {
    const override = this.overrides[logicalId]?.[attribute];
    if (override !== undefined) return override;
    const resource = this.template.Resources?.[logicalId];
    if (!resource) {
      const pseudo = logicalId.startsWith('AWS::')
        ? ` (supported pseudo parameters: ${PSEUDO_PARAMETERS.join(', ')})`
        : '';
      throw new TemplateRenderError(
        `${attribute === 'Ref' ? 'Ref' : `Fn::GetAtt ${attribute}`} points at ${logicalId}, which is not in the template${pseudo}; ` +
          `pass options.resources['${logicalId}'] = { ${attribute}: '<value>' }.`,
        location,
      );
    }
    if (this.resolving.has(logicalId)) {
      throw new TemplateRenderError(`${logicalId} refers to itself through its properties.`, location);
    }
    this.resolving.add(logicalId);
    try {
      const value = this.builtInAttribute(logicalId, resource, attribute, location);
      if (value === undefined) {
        throw new TemplateRenderError(
          `no local value for ${attribute === 'Ref' ? 'Ref' : `Fn::GetAtt ${attribute}`} of ${logicalId} (${resource.Type}); ` +
            `pass options.resources['${logicalId}'] = { ${attribute}: '<value>' }.`,
          location,
        );
      }
      return value;
    } finally {
      this.resolving.delete(logicalId);
    }
  }

  private builtInAttribute(
    logicalId: string,
    resource: CfnResourceJson,
    attribute: string,
    location: string,
  ): string | undefined {
    const { region, account } = this.env;
    const p = this.partition;
    const nameOr = (property: string, fallback: string): string => {
      const value = resource.Properties?.[property];
      return value === undefined
        ? fallback
        : this.resolveString(value, `${location}(${logicalId}.${property})`);
    };
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        this.referencedFunctions.add(logicalId);
        return { Ref: logicalId, Arn: this.lambdaArn(logicalId) }[attribute];
      }
      case 'AWS::SNS::Topic': {
        const name = nameOr('TopicName', logicalId);
        const arn = `arn:${p}:sns:${region}:${account}:${name}`;
        return { Ref: arn, TopicArn: arn, TopicName: name }[attribute];
      }
      case 'AWS::S3::Bucket': {
        const name = nameOr('BucketName', logicalId.toLowerCase());
        return { Ref: name, Arn: `arn:${p}:s3:::${name}` }[attribute];
      }
      case 'AWS::Logs::LogGroup': {
        const name = nameOr('LogGroupName', logicalId);
        return { Ref: name, Arn: `arn:${p}:logs:${region}:${account}:log-group:${name}:*` }[attribute];
      }
      case 'AWS::KMS::Alias':
        return attribute === 'Ref' ? nameOr('AliasName', `alias/${logicalId}`) : undefined;
      case 'AWS::StepFunctions::StateMachine': {
        const name = nameOr('StateMachineName', logicalId);
        const arn = `arn:${p}:states:${region}:${account}:stateMachine:${name}`;
        return { Ref: arn, Arn: arn, Name: name }[attribute];
      }
      default:
        return undefined;
    }
  }

  private sub(arg: unknown, location: string): string {
    const [text, variables] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
    if (typeof text !== 'string') throw new TemplateRenderError('Fn::Sub needs a string.', location);
    const vars: Record<string, string> = {};
    if (isRecord(variables)) {
      for (const [k, v] of Object.entries(variables)) vars[k] = this.resolveString(v, `${location}.${k}`);
    }
    return text.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
      if (name.startsWith('!')) return `\${${name.slice(1)}}`;
      const variable = vars[name];
      if (variable !== undefined) return variable;
      const dot = name.indexOf('.');
      return dot > 0
        ? this.attribute(name.slice(0, dot), name.slice(dot + 1), location)
        : this.ref(name, location);
    });
  }

  private getAttArgs(arg: unknown, location: string): [string, string] {
    if (typeof arg === 'string') {
      const dot = arg.indexOf('.');
      if (dot > 0) return [arg.slice(0, dot), arg.slice(dot + 1)];
    }
    if (Array.isArray(arg) && arg.length === 2) {
      return [this.literalString(arg[0], location), this.resolveString(arg[1], location)];
    }
    throw new TemplateRenderError(
      'Fn::GetAtt needs [logicalId, attribute] or "logicalId.attribute".',
      location,
    );
  }

  private pair(arg: unknown, location: string): [unknown, unknown] {
    if (!Array.isArray(arg) || arg.length !== 2) {
      throw new TemplateRenderError('expected a two-element list.', location);
    }
    return [arg[0], arg[1]];
  }

  private literalString(value: unknown, location: string): string {
    if (typeof value !== 'string') throw new TemplateRenderError('expected a literal string.', location);
    return value;
  }
}

function resolveSubstitutions(resolver: Resolver, value: unknown, location: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new TemplateRenderError('DefinitionSubstitutions must be a map.', location);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) out[key] = resolver.resolveString(v, `${location}.${key}`);
  return out;
}

/** Replaces `${key}` for every key in `substitutions`, leaving other `${…}` untouched, as CloudFormation does. */
function substitute(text: string, substitutions: Record<string, string>): string {
  if (Object.keys(substitutions).length === 0) return text;
  return text.replace(/\$\{([^}]+)\}/g, (match, key: string) => substitutions[key] ?? match);
}

function substituteLeaves(value: unknown, substitutions: Record<string, string>): unknown {
  if (typeof value === 'string') return substitute(value, substitutions);
  if (Array.isArray(value)) return value.map((v) => substituteLeaves(v, substitutions));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteLeaves(v, substitutions)]));
  }
  return value;
}

function parseDefinition(text: string, location: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new TemplateRenderError(
      `the resolved definition is not JSON (${(cause as Error).message}); check DefinitionSubstitutions values.`,
      location,
    );
  }
  if (!isRecord(parsed))
    throw new TemplateRenderError('the resolved definition is not a JSON object.', location);
  return parsed;
}

function optionalString<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  return typeof value === 'string' ? ({ [key]: value } as Record<K, string>) : {};
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
