import { InvalidImageReferenceError } from './errors';

/**
 * Container image references as task definitions name them.
 *
 *   <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag][@sha256:…]   ECR
 *   (also the FIPS `dkr.ecr-fips` and dual-stack `<account>.dkr-ecr.<region>.on.aws` hosts)
 *   [registry/]<repository>[:tag][@sha256:…]                                          anything else
 *
 * A reference with neither tag nor digest means tag `latest`. A name without a registry
 * host (no "." or ":" in its first component, and not `localhost`) is on Docker Hub, and a
 * single-component Docker Hub name is under `library/` (`redis` → docker.io/library/redis).
 */
export type ImageReference =
  | {
      kind: 'ecr';
      registryId: string;
      region: string;
      repositoryName: string;
      tag?: string;
      digest?: string;
    }
  | { kind: 'external'; registry: string; repository: string; tag?: string; digest?: string };

export const DOCKER_HUB_REGISTRY = 'docker.io';

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** ECR repository names (CreateRepository's pattern): lowercase path components. */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** OCI distribution path components. */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const REGISTRY_HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$/;
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const ECR_DUALSTACK_HOST = /^(\d{12})\.dkr-ecr\.([a-z0-9-]+)\.on\.aws$/;

/** Parses an image reference; throws InvalidImageReferenceError when it is not one. */
export function parseImageReference(uri: string): ImageReference {
  const invalid = (problem: string) => new InvalidImageReferenceError(uri, problem);
  const at = uri.indexOf('@');
  const name = at >= 0 ? uri.slice(0, at) : uri;
  const digest = at >= 0 ? uri.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST.test(digest)) {
    throw invalid('the digest must be sha256: followed by 64 lowercase hex digits');
  }
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  const path = tagged ? name.slice(0, colon) : name;
  const tag = tagged ? name.slice(colon + 1) : digest === undefined ? 'latest' : undefined;
  if (tag !== undefined && !TAG.test(tag)) {
    throw invalid('a tag is 1-128 letters, digits, "_", "." or "-", not starting with "." or "-"');
  }
  const slash = path.indexOf('/');
  const first = slash >= 0 ? path.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first.toLowerCase() : DOCKER_HUB_REGISTRY;
  const named = hasRegistry ? path.slice(slash + 1) : path;
  const repository = registry === DOCKER_HUB_REGISTRY && !named.includes('/') ? `library/${named}` : named;
  if (hasRegistry && !REGISTRY_HOST.test(first)) throw invalid(`"${first}" is not a registry host name`);
  const refs = { ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };

  const ecr = ECR_HOST.exec(registry) ?? ECR_DUALSTACK_HOST.exec(registry);
  if (ecr?.[1] && ecr[2]) {
    if (!REGION.test(ecr[2])) throw invalid(`"${ecr[2]}" is not an AWS region`);
    if (!isEcrRepositoryName(repository)) {
      throw invalid('an ECR repository name is 2-256 lowercase letters, digits and "._-/" separated parts');
    }
    return { kind: 'ecr', registryId: ecr[1], region: ecr[2], repositoryName: repository, ...refs };
  }
  if (!REPOSITORY.test(repository)) {
    throw invalid('the repository must be lowercase letters, digits and "._-" separated parts joined by "/"');
  }
  return { kind: 'external', registry, repository, ...refs };
}

/** `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in the China regions). */
export function ecrRegistryHost(registryId: string, region: string): string {
  if (!ACCOUNT.test(registryId)) {
    throw new InvalidImageReferenceError(registryId, 'an ECR registry id is a 12-digit AWS account id');
  }
  if (!REGION.test(region)) throw new InvalidImageReferenceError(region, 'not an AWS region name');
  return `${registryId}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/** The ECR image URI of `repositoryName` in a registry, by digest or by tag. */
export function ecrImageUri(
  registryId: string,
  region: string,
  repositoryName: string,
  ref: { digest: string } | { tag: string },
): string {
  const base = `${ecrRegistryHost(registryId, region)}/${repositoryName}`;
  if (!isEcrRepositoryName(repositoryName)) {
    throw new InvalidImageReferenceError(base, 'not an ECR repository name');
  }
  if ('digest' in ref) {
    if (!DIGEST.test(ref.digest)) throw new InvalidImageReferenceError(`${base}@${ref.digest}`, 'bad digest');
    return `${base}@${ref.digest}`;
  }
  if (!TAG.test(ref.tag)) throw new InvalidImageReferenceError(`${base}:${ref.tag}`, 'bad tag');
  return `${base}:${ref.tag}`;
}

function isEcrRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && ECR_REPOSITORY.test(name);
}
