/**
 * TLS trust: which CA certificates verify the servers kvssink talks to, and what to say when a
 * certificate is refused. Verification itself is never relaxed; this only chooses the roots.
 *
 * KVS (control plane and PutMedia): Node's bundled Mozilla CAs, plus the PEM certificates named
 * by any of these variables (a file, or a directory of PEM files):
 * - `AWS_CA_BUNDLE`          what the AWS CLI and SDKs read;
 * - `SSL_CERT_FILE`          what OpenSSL and curl users set;
 * - `KVSSINK_CA_CERT_PATH`   what the official kvssink reads (v3.6.0);
 * - `NODE_EXTRA_CA_CERTS`    Node applies it itself, but an explicit CA list replaces Node's
 *                            defaults, so it is added again here.
 * They add to the bundled CAs rather than replace them: on a camera without a system CA store the
 * AWS roots are still there, and a private CA (a proxy, a local endpoint) only needs adding.
 *
 * IoT credentials provider: exactly the CA in `ca-path` (as `curl --cacert` in the guide).
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { KvsError } from './errors.js';
import type { Env } from './endpoint.js';

/** The variables that add CA certificates for KVS, in the order they are read. */
export const KVS_CA_ENV_VARS = ['AWS_CA_BUNDLE', 'SSL_CERT_FILE', 'KVSSINK_CA_CERT_PATH', 'NODE_EXTRA_CA_CERTS'] as const;

export interface TlsTrust {
  /** PEM certificates to trust; undefined: Node's defaults. */
  ca?: string[];
  /**
   * The same, as a TLS context to pass as `secureContext` (built once: a context of the
   * system bundle costs tens of ms, too much for every PutMedia connection).
   */
  secureContext?: SecureContext;
  /** Where the roots come from, for messages, e.g. `Node's bundled CAs + AWS_CA_BUNDLE=/etc/ca.pem`. */
  description: string;
  /** How to add a missing CA, for messages. */
  fixHint: string;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;
const KVS_FIX_HINT = 'set AWS_CA_BUNDLE (or SSL_CERT_FILE, NODE_EXTRA_CA_CERTS) to a PEM file holding the CA that issued it';

/**
 * The PEM certificates in a file, or in every regular file of a directory. Throws
 * `CA_CERTIFICATES_UNREADABLE` / `CA_CERTIFICATES_INVALID`, naming `what` (the variable or key).
 */
export function readCaCertificates(path: string, what: string): string[] {
  const unreadable = (err: unknown): KvsError => new KvsError({
    code: 'CA_CERTIFICATES_UNREADABLE', retriable: false,
    message: `${what} ${path} cannot be read (${(err as { code?: string }).code ?? 'error'}): point it at a readable PEM file (or a directory of them) holding the CA certificates to trust.`,
  });
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path).map((name) => join(path, name)).filter((p) => statSync(p).isFile()).sort()
      : [path];
  } catch (err) {
    throw unreadable(err);
  }
  const certs: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw unreadable(err);
    }
    certs.push(...(text.match(PEM_CERTIFICATE) ?? []));
  }
  if (certs.length === 0) {
    throw new KvsError({
      code: 'CA_CERTIFICATES_INVALID', retriable: false,
      message: `${what} ${path} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"): point it at the CA certificates to trust.`,
    });
  }
  return certs;
}

/** The roots that verify KVS endpoints, from the environment (see the module comment). */
export function resolveKvsTrust(env: Env = process.env): TlsTrust {
  const ca = new Set(rootCertificates);
  const named: string[] = [];
  const read = new Set<string>();
  for (const name of KVS_CA_ENV_VARS) {
    const path = env[name]?.trim();
    if (!path) continue;
    named.push(`${name}=${path}`);
    let real = path;
    try {
      real = realpathSync(path);
    } catch {
      // readCaCertificates names the problem
    }
    if (read.has(real)) continue; // often all of them name the system bundle
    read.add(real);
    for (const pem of readCaCertificates(path, name)) ca.add(pem);
  }
  if (named.length === 0) return { description: "Node's bundled CA certificates", fixHint: KVS_FIX_HINT };
  const list = [...ca];
  let secureContext: SecureContext;
  try {
    secureContext = createSecureContext({ ca: list });
  } catch (err) {
    throw new KvsError({
      code: 'CA_CERTIFICATES_INVALID', retriable: false,
      message: `A CA certificate in ${named.join(', ')} cannot be parsed (${(err as Error).message}): these variables must name PEM certificates.`,
    });
  }
  return { ca: list, secureContext, description: `Node's bundled CA certificates + ${named.join(' + ')}`, fixHint: KVS_FIX_HINT };
}

let processKvsTrust: TlsTrust | undefined;

/** resolveKvsTrust(process.env), read once per process (the worker's environment does not change). */
export function kvsTrustFromProcessEnv(): TlsTrust {
  return (processKvsTrust ??= resolveKvsTrust(process.env));
}

/** Our verification of the server's certificate failed (Node's X509 verify codes). */
const SERVER_CERT_CODES = /^(UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME_MISMATCH|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE)/;
/** The server's TLS alert refusing our certificate (OpenSSL's alert reasons, as Node codes them). */
const CLIENT_CERT_ALERTS = /^ERR_SSL_(TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_BAD_CERTIFICATE|TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_CERTIFICATE_UNKNOWN|SSLV3_ALERT_CERTIFICATE_EXPIRED|SSLV3_ALERT_CERTIFICATE_REVOKED|SSLV3_ALERT_UNSUPPORTED_CERTIFICATE|TLSV1_ALERT_ACCESS_DENIED|TLSV1_ALERT_DECRYPT_ERROR)$/;

export type TlsFailureSide = 'server-certificate' | 'client-certificate' | 'other';

/** Which certificate a TLS error code is about. */
export function tlsFailureSide(code: string | undefined): TlsFailureSide {
  if (!code) return 'other';
  if (SERVER_CERT_CODES.test(code)) return 'server-certificate';
  if (CLIENT_CERT_ALERTS.test(code)) return 'client-certificate';
  return 'other';
}

export interface ServerCertificateFailure {
  /** What was being called, e.g. `PutMedia`. */
  operation: string;
  /** The server, e.g. `https://kinesisvideo.us-west-2.amazonaws.com`. */
  target: string;
  /** Node's code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  code: string;
  /** Node's reason text (sanitized by the caller). */
  reason: string;
  trust: TlsTrust;
}

/** The KvsError for a server certificate we could not verify: which one, against what, and the fix. */
export function serverCertificateError(f: ServerCertificateFailure): KvsError {
  const hostname = f.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || f.code === 'HOSTNAME_MISMATCH';
  const expired = f.code === 'CERT_HAS_EXPIRED' || f.code === 'CERT_NOT_YET_VALID';
  const fix = hostname ? 'use the host name the certificate was issued for'
    : expired ? 'check the system clock (NTP), or renew the server certificate'
      : f.trust.fixHint;
  return new KvsError({
    code: 'TLS_ERROR', retriable: false, detail: `${f.code} ${f.reason}`,
    message: `${f.operation} failed: the TLS certificate of ${f.target} could not be verified (${f.code}: ${f.reason}) against ${f.trust.description}: ${fix}. Verification is never disabled.`,
  });
}
