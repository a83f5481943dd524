import { canonicalJson } from './checksum';
import type { Manifest, ManifestSignature } from './manifest';

/**
 * Manifest signatures. The backup's commit signs each manifest with the catalog's signing key
 * (KMS HMAC_SHA_256, DR region) before it is written; every reader verifies it. The checksum
 * inside the manifest only detects damage (anyone can recompute a SHA-256); the signature proves
 * the manifest was written by a principal allowed to use this deployment's signing key, which
 * only the backup's commit role is.
 *
 * What is signed: the canonical JSON of the manifest without its `signature` member, so the id,
 * status, times and every record are covered, and a manifest moved to another key, re-sealed
 * with another checksum or given another status no longer verifies.
 */
/** Makes and checks MACs with the catalog's signing key (an adapter: KMS GenerateMac / VerifyMac). */
export interface ManifestSigner {
  /** The key used, as configured (alias or ARN), for messages. */
  readonly keyId: string;
  sign(payload: string): Promise<ManifestSignature>;
  /** True when `signature` is a valid MAC of `payload` under the configured key. */
  verify(payload: string, signature: ManifestSignature): Promise<boolean>;
}

/** The bytes a signature covers: the canonical manifest without `signature`. */
export function signingPayload(manifest: Manifest): string {
  const { signature: _signature, ...signed } = manifest;
  return canonicalJson(signed);
}
