import { createHash } from 'node:crypto';
import { ChecksumMismatchError, ManifestError } from './errors';
import { type Manifest, type ManifestBody, manifestBodySchema, manifestSchema } from './manifest';

/**
 * Canonical JSON: object keys sorted by code point, no insignificant whitespace, and the
 * value model of JSON.stringify (`toJSON` honoured, so a Date is its ISO string; `undefined`,
 * functions and symbols dropped from objects and `null` in arrays). Two manifests with the
 * same content always serialise to the same bytes, and a value hashes the same before it
 * is written and after it is read back.
 */
export function canonicalJson(value: unknown): string {
  const json = toJsonValue(value);
  if (json === undefined) {
    throw new ManifestError(`cannot serialise a ${typeof value} as JSON`);
  }
  return canonicalText(json);
}

function toJsonValue(value: unknown): unknown {
  const v =
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
      ? (value as { toJSON: () => unknown }).toJSON()
      : value;
  return v === undefined || typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
}

function canonicalText(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new ManifestError(`cannot serialise non-finite number ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value
      .map((item) => {
        const v = toJsonValue(item);
        return v === undefined ? 'null' : canonicalText(v);
      })
      .join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, item]) => [k, toJsonValue(item)] as const)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalText(v)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 over the canonical form of the manifest without its `checksum` member. */
export function manifestChecksum(body: ManifestBody): string {
  return sha256Hex(canonicalJson(body));
}

/** Validates a manifest body and seals it with its checksum (unsigned: the catalog store signs at commit). */
export function sealManifest(body: ManifestBody): Manifest {
  const parsed = manifestBodySchema.parse(body);
  return { ...parsed, checksum: { algorithm: 'SHA-256', value: manifestChecksum(parsed) } };
}

/**
 * Parses manifest text read from the catalog, checks its schema and verifies its checksum.
 * Throws ManifestError (unreadable, wrong schema) or ChecksumMismatchError (altered content).
 */
export function openManifest(text: string, expectedId?: string): Manifest {
  const label = expectedId ?? 'unknown';
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(
      `Recovery point ${label} is not valid JSON (truncated or corrupted); restore from another recovery point.`,
      expectedId,
      { cause },
    );
  }
  const version = (raw as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (raw !== null && typeof raw === 'object' && version !== undefined && version !== 1) {
    throw new ManifestError(
      `Recovery point ${label} has schema version ${String(version)}; this Lifeboat reads version 1. Upgrade Lifeboat to read it.`,
      expectedId,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(
      `Recovery point ${label} does not match the manifest schema (${issue?.path.join('.') || '(root)'}: ${issue?.message}); it may be damaged: restore from another recovery point.`,
      expectedId,
    );
  }
  const manifest = parsed.data;
  if (expectedId !== undefined && manifest.id !== expectedId) {
    throw new ManifestError(
      `Catalog object for ${expectedId} holds recovery point ${manifest.id}; the catalog was altered.`,
      expectedId,
    );
  }
  const { checksum, signature: _signature, ...body } = manifest;
  const actual = manifestChecksum(body);
  if (actual !== checksum.value) throw new ChecksumMismatchError(manifest.id, checksum.value, actual);
  return manifest;
}
