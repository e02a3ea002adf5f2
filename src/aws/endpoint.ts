/**
 * Control-plane endpoint and region resolution.
 *
 * Endpoint overrides come only from configuration (ARCHITECTURE: the local endpoint is reached
 * through config, never a test-only path): `AWS_ENDPOINT_URL_KINESIS_VIDEO` and
 * `AWS_ENDPOINT_URL` (the AWS SDKs' convention), then `CONTROL_PLANE_URI` (what the official
 * kvssink reads), then the public endpoint for the region.
 */
import { KvsError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_REGION = 'us-west-2';

/** Endpoint variables, in precedence order. */
export const ENDPOINT_ENV_VARS = ['AWS_ENDPOINT_URL_KINESIS_VIDEO', 'AWS_ENDPOINT_URL', 'CONTROL_PLANE_URI'] as const;

export interface ResolvedEndpoint {
  /** Origin (+ optional base path), no trailing slash, e.g. `https://kinesisvideo.us-west-2.amazonaws.com`. */
  url: string;
  /** The variable it came from, or `default`. */
  source: (typeof ENDPOINT_ENV_VARS)[number] | 'default';
}

export interface ResolvedRegion {
  region: string;
  source: 'property' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'default';
}

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

/**
 * Validate an endpoint URL from configuration. `http://` is allowed (local endpoints);
 * `https://` is used with full certificate verification (nothing here can turn it off).
 * `what` names the variable or property in the error.
 */
export function validateEndpointUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new KvsError({
      code: 'INVALID_ENDPOINT_URL', retriable: false,
      message: `${what} is not a valid URL ("${raw}"): expected e.g. https://kinesisvideo.us-west-2.amazonaws.com or http://127.0.0.1:4566.`,
    });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new KvsError({
      code: 'INVALID_ENDPOINT_URL', retriable: false,
      message: `${what} must start with https:// or http:// (got "${u.protocol}"): e.g. https://kinesisvideo.us-west-2.amazonaws.com.`,
    });
  }
  if (u.username || u.password) {
    throw new KvsError({
      code: 'INVALID_ENDPOINT_URL', retriable: false,
      message: `${what} must not contain user:password@ credentials; use access-key/secret-key or the AWS credential chain.`,
    });
  }
  if (u.search || u.hash) {
    throw new KvsError({
      code: 'INVALID_ENDPOINT_URL', retriable: false,
      message: `${what} must not contain a query string or fragment ("${raw}").`,
    });
  }
  const path = u.pathname.replace(/\/+$/, '');
  return `${u.protocol}//${u.host}${path}`;
}

/** `https://kinesisvideo.<region>.amazonaws.com`, `.amazonaws.com.cn` for China regions. */
export function defaultControlPlaneUrl(region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://kinesisvideo.${region}.${suffix}`;
}

/**
 * Control-plane endpoint: `AWS_ENDPOINT_URL_KINESIS_VIDEO`, else `AWS_ENDPOINT_URL`, else
 * `CONTROL_PLANE_URI`, else the public endpoint for `region`. Empty variables count as unset.
 * Throws `INVALID_ENDPOINT_URL` naming the variable when the chosen value is unusable.
 */
export function resolveControlPlaneEndpoint(region: string, env: Env = process.env): ResolvedEndpoint {
  for (const name of ENDPOINT_ENV_VARS) {
    const v = envValue(env, name);
    if (v !== undefined) return { url: validateEndpointUrl(v, name), source: name };
  }
  validateRegion(region, 'aws-region');
  return { url: defaultControlPlaneUrl(region), source: 'default' };
}

const REGION_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Regions go into hostnames and the SigV4 scope: lowercase letters, digits and dashes only. */
export function validateRegion(region: string, what: string): string {
  if (!REGION_RE.test(region) || region.length > 32) {
    throw new KvsError({
      code: 'INVALID_REGION', retriable: false,
      message: `${what} "${region}" is not a valid AWS region name (expected e.g. us-west-2).`,
    });
  }
  return region;
}

/**
 * Region: the `aws-region` property when the user set it, else `AWS_REGION`, else
 * `AWS_DEFAULT_REGION`, else `us-west-2`.
 *
 * Deliberate difference from the official element: there `AWS_DEFAULT_REGION` overrides the
 * property even when the user set it (research §1.12, issue #937 "Change region"); here an
 * explicitly set property always wins. The caller says whether the property was set through
 * `isDefault` (true when the property still holds its schema default).
 */
export function resolveRegion(property: { value: string | null | undefined; isDefault: boolean }, env: Env = process.env): ResolvedRegion {
  const prop = property.value?.trim();
  if (!property.isDefault && prop) return { region: validateRegion(prop, 'aws-region'), source: 'property' };
  const r = envValue(env, 'AWS_REGION');
  if (r !== undefined) return { region: validateRegion(r, 'AWS_REGION'), source: 'AWS_REGION' };
  const d = envValue(env, 'AWS_DEFAULT_REGION');
  if (d !== undefined) return { region: validateRegion(d, 'AWS_DEFAULT_REGION'), source: 'AWS_DEFAULT_REGION' };
  return { region: prop ? validateRegion(prop, 'aws-region') : DEFAULT_REGION, source: 'default' };
}
