import { createHash, randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import * as ebs from '@aws-sdk/client-ebs';
import * as efs from '@aws-sdk/client-efs';
import * as s3 from '@aws-sdk/client-s3';

/**
 * A fault-injecting HTTP proxy on loopback, in front of the emulator (or any AWS-compatible
 * endpoint). Point `AwsClients` at `endpoint`: each request is named (`ECS.DescribeServices`,
 * `EC2.DescribeSubnets`, `S3.PutObject`, …), matched against the rules, and then either
 * answered with an AWS-shaped error (throttling, a server error, or one the rule names), cut off,
 * delayed or slowed, or forwarded unchanged.
 *
 * Forwarding keeps the method, path, headers (Host and Authorization included) and body
 * byte for byte: the SDK signs for the proxy's host:port and the proxy passes that Host on,
 * so a signature stays valid. Request bodies are read whole before forwarding (the query
 * protocols name the operation in the body, and fault decisions are keyed on the content);
 * responses stream through unless a slow body or a dropped response needs them whole.
 *
 * Decisions are deterministic: each is drawn from a PRNG seeded with (seed, operation,
 * request content, how many times this same request was seen before). The same seed and the
 * same requests give the same faults, in whatever order concurrent requests arrive, and an
 * SDK retry (same content) gets the next draw for that request.
 */

/** Where a dropped connection is cut. */
export type DropPhase =
  /** Before forwarding: the service never sees the request. */
  | 'request'
  /** After the service answered, before any byte reaches the client: the call took effect. */
  | 'response'
  /** After the headers and about half the body (a `response` drop when there is no body). */
  | 'mid-body';

export const DROP_PHASES: readonly DropPhase[] = ['request', 'response', 'mid-body'];

export interface FaultRule {
  /**
   * The operations this rule governs: a glob over `Service.Operation` (`*` any run of
   * characters, `?` one), e.g. `'*'`, `'ECS.*'`, `'S3.PutObject'`, or a RegExp tested against it.
   * The first rule that matches a request decides it; unmatched requests are forwarded as they are.
   */
  readonly match: string | RegExp;
  /**
   * Only requests whose body (as text) matches this govern the rule: tells apart calls of one
   * operation made by different steps, e.g. the restore report's PutObject (`/"reportVersion"/`)
   * from every other. @default - any body
   */
  readonly bodyMatch?: RegExp;
  /** Probability (0–1) of answering with the protocol's throttling error. @default 0 */
  readonly throttle?: number;
  /** Probability (0–1) of answering 500 or 503 (even odds) with the protocol's error shape. @default 0 */
  readonly serverError?: number;
  /** Probability (0–1) of destroying the connection, at one of `dropPhases` (even odds). @default 0 */
  readonly drop?: number;
  /** Where drops cut the connection. @default - all of `DROP_PHASES` */
  readonly dropPhases?: readonly DropPhase[];
  /**
   * An error of the service's own to answer with, in the protocol's shape, for errors the
   * emulator never gives (ECS's "Too many concurrent attempts" ClientException, an
   * AccessDenied…). Counted as `aws-error`; exclusive with throttles, server errors and drops.
   * @default - none
   */
  readonly awsError?: AwsErrorAnswer;
  /** Added delay before each matching request is handled, uniform in [min, max] ms. @default - none */
  readonly latencyMs?: readonly [number, number];
  /** Response bodies trickle out at this rate (bytes per second). @default - full speed */
  readonly slowBodyBytesPerSec?: number;
  /**
   * Throttles, server errors, named errors and drops this rule injects at most, in total (which
   * requests get them then depends on arrival order when requests run concurrently).
   * @default - no limit
   */
  readonly maxFaults?: number;
  /**
   * Faults at most per request (same operation and content): with 1, each distinct request
   * fails once and the SDK's retry goes through. @default - no limit
   */
  readonly maxFaultsPerRequest?: number;
}

/** An AWS error the proxy answers with: the SDK raises it as the service's own. */
export interface AwsErrorAnswer {
  /** The error code, e.g. `ClientException` (JSON `__type`, XML `<Code>`, REST `x-amzn-errortype`). */
  readonly code: string;
  readonly message: string;
  /** HTTP status of the answer, 400–599 (the query protocol's error Type is Sender below 500). */
  readonly httpStatus: number;
  /** Probability (0–1) of answering with it. @default 1 */
  readonly probability?: number;
}

export interface FaultProxyOptions {
  /** Where requests are forwarded, e.g. the emulator's endpoint (`http://127.0.0.1:port`). */
  readonly target: string;
  /** Seed of the fault decisions (an integer). */
  readonly seed: number;
  /** @default - none: every request is forwarded unchanged */
  readonly rules?: readonly FaultRule[];
}

/** What the proxy did to a request, as counted in `FaultProxyStats.faults`. */
export type FaultKind =
  | 'throttle'
  | 'server-error'
  | 'aws-error'
  | 'drop-request'
  | 'drop-response'
  | 'drop-mid-body'
  | 'latency'
  | 'slow-body';

const FAILING_KINDS: readonly FaultKind[] = [
  'throttle',
  'server-error',
  'aws-error',
  'drop-request',
  'drop-response',
  'drop-mid-body',
];

export interface InjectedFault {
  readonly operation: string;
  /** A fault that fails the attempt (latency and slow bodies are only counted). */
  readonly kind: FaultKind;
  /** The error code and HTTP status sent, or the drop phase. */
  readonly detail: string;
}

export interface FaultProxyStats {
  /** Requests received (every SDK attempt, retries included), by `Service.Operation`. */
  readonly calls: Record<string, number>;
  readonly totalCalls: number;
  /** Requests affected, by what was done to them. */
  readonly faults: Record<FaultKind, number>;
  /**
   * Attempts failed by the proxy (throttles, server errors, named errors, drops): each costs the
   * client a retry.
   */
  readonly failedAttempts: number;
  /** The failing faults in the order they were injected. */
  readonly injected: readonly InjectedFault[];
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use as `AwsTarget.endpoint`. */
  readonly endpoint: string;
  stats(): FaultProxyStats;
  /** Replaces the rules (validated as in `startFaultProxy`); counts carry on. */
  setRules(rules: readonly FaultRule[]): void;
  /** Clears the counts and the per-request history, so the same requests meet the same faults again. */
  reset(): void;
  /** Closes the listener and every open connection. Safe to call twice. */
  stop(): Promise<void>;
}

/** The proxy was configured wrongly; the message names the setting. */
export class FaultProxyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultProxyConfigError';
  }
}

/** Starts the proxy on a free loopback port. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = parseTarget(options.target);
  if (!Number.isSafeInteger(options.seed)) {
    throw new FaultProxyConfigError(`seed must be an integer (got ${options.seed}).`);
  }
  let rules = validateRules(options.rules ?? []);
  const state = new ProxyState(options.seed);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = `fault proxy could not forward to ${options.target}: ${(error as Error).message}`;
      res.writeHead(502, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(message) });
      res.end(message);
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const call = describeRequest(req, body);
    const rule = rules.find(
      (r) =>
        matches(r.match, call.operation) &&
        (r.bodyMatch === undefined || r.bodyMatch.test(body.toString('utf8'))),
    );
    const decision = state.decide(call, rule);
    if (decision.delayMs > 0) await sleep(decision.delayMs);

    switch (decision.fault) {
      case 'throttle':
      case 'server-error': {
        const error = errorResponse(call, decision.fault, decision.status);
        state.inject(call.operation, decision.fault, `${error.code} ${error.status}`);
        sendError(req, res, error);
        return;
      }
      case 'aws-error': {
        const answer = rule?.awsError as AwsErrorAnswer;
        const error = shapedError(call, answer.code, answer.message, answer.httpStatus);
        state.inject(call.operation, 'aws-error', `${error.code} ${error.status}`);
        sendError(req, res, error);
        return;
      }
      case 'drop-request':
        state.inject(call.operation, 'drop-request', 'request');
        res.destroy();
        return;
    }

    const upstream = await forward(target, agent, req, body);
    const cut = decision.fault === 'drop-response' || decision.fault === 'drop-mid-body';
    if (!cut && decision.slowBodyBytesPerSec === undefined) {
      res.writeHead(upstream.statusCode ?? 502, endToEndHeaders(upstream.rawHeaders));
      // An upstream that fails mid-body cuts the client off too (pipeline destroys both ends).
      pipeline(upstream, res, () => {});
      return;
    }
    const payload = await readAll(upstream);
    if (decision.fault === 'drop-mid-body' && payload.length >= 2 && req.method !== 'HEAD') {
      state.inject(call.operation, 'drop-mid-body', 'mid-body');
      res.writeHead(upstream.statusCode ?? 502, endToEndHeaders(upstream.rawHeaders));
      res.write(payload.subarray(0, Math.floor(payload.length / 2)), () => res.destroy());
      return;
    }
    if (cut) {
      state.inject(call.operation, 'drop-response', 'response');
      res.destroy();
      return;
    }
    state.count('slow-body');
    res.writeHead(upstream.statusCode ?? 502, endToEndHeaders(upstream.rawHeaders));
    await trickle(res, payload, decision.slowBodyBytesPerSec ?? payload.length);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => state.snapshot(),
    setRules(next) {
      rules = validateRules(next);
    },
    reset: () => state.reset(),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      });
      return stopped;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Decisions and counts

interface Decision {
  readonly fault: FaultKind | undefined;
  /** HTTP status of a server error. */
  readonly status: 500 | 503;
  readonly delayMs: number;
  readonly slowBodyBytesPerSec: number | undefined;
}

class ProxyState {
  private calls = new Map<string, number>();
  private faults = emptyFaultCounts();
  private injected: InjectedFault[] = [];
  /** Times each distinct request (operation + content) was seen, and faults it was given. */
  private seen = new Map<string, number>();
  private faultsPerRequest = new Map<string, number>();
  private faultsPerRule = new WeakMap<FaultRule, number>();

  constructor(private readonly seed: number) {}

  decide(call: DescribedRequest, rule: FaultRule | undefined): Decision {
    this.calls.set(call.operation, (this.calls.get(call.operation) ?? 0) + 1);
    const occurrence = this.seen.get(call.contentKey) ?? 0;
    this.seen.set(call.contentKey, occurrence + 1);
    const none: Decision = { fault: undefined, status: 500, delayMs: 0, slowBodyBytesPerSec: undefined };
    if (!rule) return none;

    // A fixed number of draws per request, so one rule setting never shifts another's outcome.
    const random = prng(seedFor(this.seed, call.contentKey, occurrence));
    const which = random();
    const detail = random();
    const latency = random();

    let delayMs = 0;
    if (rule.latencyMs) {
      const [min, max] = rule.latencyMs;
      delayMs = Math.round(min + latency * (max - min));
      if (delayMs > 0) this.count('latency');
    }
    const decision = { ...none, delayMs, slowBodyBytesPerSec: rule.slowBodyBytesPerSec };

    const throttle = rule.throttle ?? 0;
    const serverError = rule.serverError ?? 0;
    const drop = rule.drop ?? 0;
    const awsError = rule.awsError ? (rule.awsError.probability ?? 1) : 0;
    let fault: FaultKind | undefined;
    let status: 500 | 503 = 500;
    if (which < throttle) fault = 'throttle';
    else if (which < throttle + serverError) {
      fault = 'server-error';
      status = detail < 0.5 ? 500 : 503;
    } else if (which < throttle + serverError + drop) {
      const phases = rule.dropPhases ?? DROP_PHASES;
      const phase = phases[Math.min(phases.length - 1, Math.floor(detail * phases.length))] ?? 'request';
      fault = `drop-${phase}`;
    } else if (which < throttle + serverError + drop + awsError) fault = 'aws-error';
    if (!fault) return decision;

    const byRule = this.faultsPerRule.get(rule) ?? 0;
    const byRequest = this.faultsPerRequest.get(call.contentKey) ?? 0;
    if (byRule >= (rule.maxFaults ?? Number.POSITIVE_INFINITY)) return decision;
    if (byRequest >= (rule.maxFaultsPerRequest ?? Number.POSITIVE_INFINITY)) return decision;
    this.faultsPerRule.set(rule, byRule + 1);
    this.faultsPerRequest.set(call.contentKey, byRequest + 1);
    return { ...decision, fault, status };
  }

  inject(operation: string, kind: FaultKind, detail: string): void {
    this.count(kind);
    this.injected.push({ operation, kind, detail });
  }

  count(kind: FaultKind): void {
    this.faults[kind] += 1;
  }

  snapshot(): FaultProxyStats {
    const calls = Object.fromEntries([...this.calls.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    let totalCalls = 0;
    for (const n of this.calls.values()) totalCalls += n;
    return {
      calls,
      totalCalls,
      faults: { ...this.faults },
      failedAttempts: FAILING_KINDS.reduce((n, kind) => n + this.faults[kind], 0),
      injected: [...this.injected],
    };
  }

  reset(): void {
    this.calls = new Map();
    this.faults = emptyFaultCounts();
    this.injected = [];
    this.seen = new Map();
    this.faultsPerRequest = new Map();
    this.faultsPerRule = new WeakMap();
  }
}

function emptyFaultCounts(): Record<FaultKind, number> {
  return {
    throttle: 0,
    'server-error': 0,
    'aws-error': 0,
    'drop-request': 0,
    'drop-response': 0,
    'drop-mid-body': 0,
    latency: 0,
    'slow-body': 0,
  };
}

function seedFor(seed: number, contentKey: string, occurrence: number): number {
  return createHash('sha256').update(`${seed}\n${occurrence}\n${contentKey}`).digest().readUInt32BE(0);
}

/** mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function matches(pattern: string | RegExp, operation: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(operation);
  }
  const source = pattern
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(operation);
}

function validateRules(rules: readonly FaultRule[]): readonly FaultRule[] {
  rules.forEach((rule, i) => {
    const where = `rules[${i}] (${String(rule.match)})`;
    const probability = (name: 'throttle' | 'serverError' | 'drop') => {
      const p = rule[name] ?? 0;
      if (!(p >= 0 && p <= 1)) {
        throw new FaultProxyConfigError(`${where}.${name} must be a probability from 0 to 1 (got ${p}).`);
      }
      return p;
    };
    const answer = rule.awsError;
    if (answer) {
      if (!/^[A-Za-z][A-Za-z0-9_.:-]*$/.test(answer.code)) {
        throw new FaultProxyConfigError(
          `${where}.awsError.code must be an AWS error code such as ClientException (got "${answer.code}").`,
        );
      }
      if (!(Number.isInteger(answer.httpStatus) && answer.httpStatus >= 400 && answer.httpStatus <= 599)) {
        throw new FaultProxyConfigError(
          `${where}.awsError.httpStatus must be an error status from 400 to 599 (got ${answer.httpStatus}).`,
        );
      }
      const p = answer.probability ?? 1;
      if (!(p >= 0 && p <= 1)) {
        throw new FaultProxyConfigError(
          `${where}.awsError.probability must be a probability from 0 to 1 (got ${p}).`,
        );
      }
    }
    const total =
      probability('throttle') +
      probability('serverError') +
      probability('drop') +
      (answer ? (answer.probability ?? 1) : 0);
    if (total > 1 + 1e-9) {
      throw new FaultProxyConfigError(
        `${where}: throttle + serverError + drop + awsError.probability is ${total}; they are exclusive outcomes of one request, so their sum must be at most 1.`,
      );
    }
    if (rule.latencyMs) {
      const [min, max] = rule.latencyMs;
      if (!(min >= 0 && max >= min)) {
        throw new FaultProxyConfigError(
          `${where}.latencyMs must be [min, max] with 0 <= min <= max (got [${min}, ${max}]).`,
        );
      }
    }
    if (rule.slowBodyBytesPerSec !== undefined && !(rule.slowBodyBytesPerSec > 0)) {
      throw new FaultProxyConfigError(
        `${where}.slowBodyBytesPerSec must be a positive rate (got ${rule.slowBodyBytesPerSec}).`,
      );
    }
    for (const name of ['maxFaults', 'maxFaultsPerRequest'] as const) {
      const value = rule[name];
      if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
        throw new FaultProxyConfigError(`${where}.${name} must be a whole number (got ${value}).`);
      }
    }
    if (rule.dropPhases) {
      const unknown = rule.dropPhases.filter((p) => !DROP_PHASES.includes(p));
      if (rule.dropPhases.length === 0 || unknown.length > 0) {
        throw new FaultProxyConfigError(
          `${where}.dropPhases must list one or more of ${DROP_PHASES.join(', ')} (got [${rule.dropPhases.join(', ')}]).`,
        );
      }
    }
  });
  return [...rules];
}

function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new FaultProxyConfigError(
      `target must be an http:// URL such as the emulator's endpoint (got "${target}").`,
    );
  }
  if (url.protocol !== 'http:') {
    throw new FaultProxyConfigError(
      `target must be an http:// URL (got "${target}"); the proxy does not speak TLS.`,
    );
  }
  return url;
}

// ---------------------------------------------------------------------------------------------
// Naming the operation of a request

type Protocol = 'json' | 'ec2' | 'query' | 'rest-xml' | 'rest-json';

interface DescribedRequest {
  /** `Service.Operation`, with the service named as `AwsClients` names it (`ECS`, `CloudWatchLogs`, …). */
  readonly operation: string;
  readonly protocol: Protocol;
  /** Identifies the same request across SDK retries: operation, method, URL and body. */
  readonly contentKey: string;
  /** The request's content type (JSON errors answer in the same JSON version). */
  readonly contentType: string | undefined;
}

/** SigV4 signing names of the clients `AwsClients` builds, to the names its call accounting uses. */
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  cloudformation: 'CloudFormation',
  ebs: 'EBS',
  ec2: 'EC2',
  ecr: 'ECR',
  ecs: 'ECS',
  elasticfilesystem: 'EFS',
  kms: 'KMS',
  logs: 'CloudWatchLogs',
  s3: 'S3',
  secretsmanager: 'SecretsManager',
  sns: 'SNS',
  ssm: 'SSM',
  states: 'SFN',
  sts: 'STS',
};

interface Route {
  readonly name: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly query: readonly (readonly [string, string | undefined])[];
}

/** REST operations by signing name, read from the HTTP bindings the SDK clients serialise with. */
const REST_ROUTES: Readonly<Record<string, readonly Route[]>> = {
  s3: routesOf(s3),
  ebs: routesOf(ebs),
  elasticfilesystem: routesOf(efs),
};

function describeRequest(req: IncomingMessage, body: Buffer): DescribedRequest {
  const url = new URL(req.url ?? '/', 'http://proxy.invalid');
  const method = req.method ?? 'GET';
  const signingName = signingNameOf(req.headers, url);
  const service = signingName ? (SERVICE_NAMES[signingName] ?? signingName) : 'Unsigned';
  const target = header(req.headers, 'x-amz-target');

  let protocol: Protocol;
  let name: string | undefined;
  const action = actionOf(req.headers, url, body);
  if (target) {
    protocol = 'json';
    name = target.slice(target.lastIndexOf('.') + 1);
  } else if (action) {
    protocol = signingName === 'ec2' ? 'ec2' : 'query';
    name = action;
  } else {
    protocol = signingName === 's3' ? 'rest-xml' : 'rest-json';
    const routes = signingName ? REST_ROUTES[signingName] : undefined;
    if (routes) {
      // Path-style S3 puts the bucket first; the SDK's bindings are relative to it.
      const segments = url.pathname.split('/').filter((s) => s !== '');
      name = matchRoute(
        routes,
        method,
        signingName === 's3' ? segments.slice(1) : segments,
        url.searchParams,
      );
    }
  }
  const operation = `${service}.${name ?? 'Unknown'}`;
  const digest = createHash('sha256').update(body).digest('hex');
  return {
    operation,
    protocol,
    contentKey: `${operation} ${method} ${req.url ?? '/'} ${digest}`,
    contentType: header(req.headers, 'content-type'),
  };
}

function signingNameOf(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const credential =
    /Credential=([^,\s]+)/.exec(header(headers, 'authorization') ?? '')?.[1] ??
    url.searchParams.get('X-Amz-Credential') ??
    undefined;
  // <access key>/<date>/<region>/<service>/aws4_request
  return credential?.split('/')[3];
}

function actionOf(headers: IncomingHttpHeaders, url: URL, body: Buffer): string | undefined {
  const fromUrl = url.searchParams.get('Action');
  if (fromUrl) return fromUrl;
  if (!(header(headers, 'content-type') ?? '').includes('application/x-www-form-urlencoded'))
    return undefined;
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function routesOf(module: Record<string, unknown>): Route[] {
  const routes: Route[] = [];
  for (const value of Object.values(module)) {
    // Operation schemas: [9, namespace, name, traits, input, output] with traits.http = [method, uri, code].
    if (!Array.isArray(value) || value[0] !== 9 || typeof value[2] !== 'string') continue;
    const http = (value[3] as { http?: unknown } | undefined)?.http;
    if (!Array.isArray(http) || typeof http[0] !== 'string' || typeof http[1] !== 'string') continue;
    const [path = '', query = ''] = http[1].split('?');
    routes.push({
      name: value[2],
      method: http[0],
      segments: path.split('/').filter((s) => s !== ''),
      query: query
        .split('&')
        .filter((q) => q !== '')
        .map((q) => {
          const [k = '', v] = q.split('=');
          return [k, v] as const;
        }),
    });
  }
  return routes;
}

/** The most specific route (most literal query parameters, then path segments) that fits. */
function matchRoute(
  routes: readonly Route[],
  method: string,
  segments: readonly string[],
  query: URLSearchParams,
): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const literals = pathLiterals(route.segments, segments);
    if (literals === undefined) continue;
    if (!route.query.every(([k, v]) => query.has(k) && (v === undefined || query.get(k) === v))) continue;
    const score = route.query.length * 100 + literals;
    if (!best || score > best.score) best = { name: route.name, score };
  }
  return best?.name;
}

/** Literal segments matched, or undefined when the path does not fit the pattern. */
function pathLiterals(pattern: readonly string[], segments: readonly string[]): number | undefined {
  let literals = 0;
  for (let i = 0; i < pattern.length; i += 1) {
    const part = pattern[i] ?? '';
    if (part.endsWith('+}')) return segments.length > i ? literals : undefined;
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (part.startsWith('{')) continue;
    if (part !== segment) return undefined;
    literals += 1;
  }
  return segments.length === pattern.length ? literals : undefined;
}

// ---------------------------------------------------------------------------------------------
// AWS-shaped error responses

interface ErrorResponse {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The throttling or server error of the request's protocol, with the codes and statuses its services send. */
function errorResponse(
  call: DescribedRequest,
  fault: 'throttle' | 'server-error',
  serverStatus: 500 | 503,
): ErrorResponse {
  const throttle = fault === 'throttle';
  const message = throttle
    ? 'Rate exceeded (injected by the fault proxy)'
    : 'We encountered an internal error. Please try again. (injected by the fault proxy)';
  const [code, status]: [string, number] = (() => {
    switch (call.protocol) {
      case 'json':
        return throttle
          ? ['ThrottlingException', 400]
          : [serverStatus === 500 ? 'InternalFailure' : 'ServiceUnavailable', serverStatus];
      case 'ec2':
        return throttle
          ? ['RequestLimitExceeded', 503]
          : [serverStatus === 500 ? 'InternalError' : 'Unavailable', serverStatus];
      case 'query':
        return throttle
          ? ['Throttling', 400]
          : [serverStatus === 500 ? 'InternalFailure' : 'ServiceUnavailable', serverStatus];
      case 'rest-xml':
        return throttle
          ? ['SlowDown', 503]
          : [serverStatus === 500 ? 'InternalError' : 'ServiceUnavailable', serverStatus];
      case 'rest-json': {
        // EBS direct APIs throttle with 400 RequestThrottledException; EFS and most REST-JSON APIs with 429.
        const ebs = call.operation.startsWith('EBS.');
        if (throttle) return ebs ? ['RequestThrottledException', 400] : ['ThrottlingException', 429];
        return [
          serverStatus === 500 ? 'InternalServerException' : 'ServiceUnavailableException',
          serverStatus,
        ];
      }
    }
  })();
  return shapedError(call, code, message, status);
}

/** An error answer in the request's protocol: JSON `__type`, EC2/query/S3 XML, REST-JSON `x-amzn-errortype`. */
function shapedError(call: DescribedRequest, code: string, message: string, status: number): ErrorResponse {
  const requestId = randomUUID();
  const text = escapeXml(message);
  switch (call.protocol) {
    case 'json':
      return {
        status,
        code,
        headers: {
          'content-type': call.contentType?.startsWith('application/x-amz-json')
            ? call.contentType
            : 'application/x-amz-json-1.1',
          'x-amzn-requestid': requestId,
        },
        body: JSON.stringify({ __type: code, message }),
      };
    case 'ec2':
      return {
        status,
        code,
        headers: { 'content-type': 'text/xml;charset=UTF-8' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Response><Errors><Error><Code>${code}</Code><Message>${text}</Message></Error></Errors>` +
          `<RequestID>${requestId}</RequestID></Response>`,
      };
    case 'query':
      return {
        status,
        code,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body:
          `<ErrorResponse><Error><Type>${status < 500 ? 'Sender' : 'Receiver'}</Type><Code>${code}</Code>` +
          `<Message>${text}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 'rest-xml':
      return {
        status,
        code,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body:
          '<?xml version="1.0" encoding="UTF-8"?>\n' +
          `<Error><Code>${code}</Code><Message>${text}</Message><RequestId>${requestId}</RequestId>` +
          `<HostId>${requestId}</HostId></Error>`,
      };
    case 'rest-json':
      return {
        status,
        code,
        headers: {
          'content-type': 'application/json',
          'x-amzn-errortype': code,
          'x-amzn-requestid': requestId,
        },
        body: JSON.stringify({ message }),
      };
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: ErrorResponse): void {
  res.writeHead(error.status, {
    ...error.headers,
    'content-length': String(Buffer.byteLength(error.body)),
    date: new Date().toUTCString(),
  });
  res.end(req.method === 'HEAD' ? undefined : error.body);
}

// ---------------------------------------------------------------------------------------------
// Forwarding

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/** Raw header pairs without the hop-by-hop ones, names and order kept. */
function endToEndHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) out.push(name, raw[i + 1] ?? '');
  }
  return out;
}

function forward(target: URL, agent: Agent, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  const raw = endToEndHeaders(req.rawHeaders);
  const headers: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() !== 'content-length') headers.push(raw[i] ?? '', raw[i + 1] ?? '');
  }
  // The body was read whole, so it goes with its length (chunked framing is hop-by-hop).
  const framed =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (framed || body.length > 0) headers.push('content-length', String(body.length));
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      resolve,
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const TRICKLE_TICK_MS = 20;

async function trickle(res: ServerResponse, payload: Buffer, bytesPerSec: number): Promise<void> {
  const perTick = Math.max(1, Math.ceil((bytesPerSec * TRICKLE_TICK_MS) / 1000));
  for (let offset = 0; offset < payload.length; offset += perTick) {
    if (res.destroyed) return;
    res.write(payload.subarray(offset, offset + perTick));
    await sleep(TRICKLE_TICK_MS);
  }
  res.end();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
