import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCaCertificates, resolveKvsTrust, serverCertificateError, tlsFailureSide } from '../../../src/aws/tls-trust.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'tls', 'localhost-cert.pem');

describe('resolveKvsTrust', () => {
  it("keeps Node's defaults when no variable is set", () => {
    const t = resolveKvsTrust({});
    expect(t.ca).toBeUndefined();
    expect(t.secureContext).toBeUndefined();
    expect(t.description).toBe("Node's bundled CA certificates");
  });

  it('adds the certificates of every variable to the bundled ones, reading one file once', () => {
    const t = resolveKvsTrust({ AWS_CA_BUNDLE: FIXTURE, SSL_CERT_FILE: FIXTURE, NODE_EXTRA_CA_CERTS: FIXTURE });
    expect(t.ca).toHaveLength(rootCertificates.length + 1);
    expect(t.secureContext).toBeDefined();
    expect(t.description).toBe(`Node's bundled CA certificates + AWS_CA_BUNDLE=${FIXTURE} + SSL_CERT_FILE=${FIXTURE} + NODE_EXTRA_CA_CERTS=${FIXTURE}`);
  });

  it('reads a directory of PEM files (KVSSINK_CA_CERT_PATH, as the official element)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvssink-ca-'));
    writeFileSync(join(dir, 'a.pem'), readFileSync(FIXTURE));
    expect(readCaCertificates(dir, 'KVSSINK_CA_CERT_PATH')).toHaveLength(1);
  });

  it('names the variable and the path of a missing or certificate-less file', () => {
    expect(() => resolveKvsTrust({ AWS_CA_BUNDLE: '/nonexistent/ca.pem' }))
      .toThrow('AWS_CA_BUNDLE /nonexistent/ca.pem cannot be read (ENOENT)');
    const empty = join(mkdtempSync(join(tmpdir(), 'kvssink-ca-')), 'empty.pem');
    writeFileSync(empty, 'nothing here');
    expect(() => resolveKvsTrust({ SSL_CERT_FILE: empty })).toThrow(`SSL_CERT_FILE ${empty} holds no PEM certificate`);
  });
});

describe('TLS failures', () => {
  it('tells our refusal of the server certificate from the server refusing ours', () => {
    expect(tlsFailureSide('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe('server-certificate');
    expect(tlsFailureSide('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('server-certificate');
    expect(tlsFailureSide('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('client-certificate');
    expect(tlsFailureSide('ECONNRESET')).toBe('other');
  });

  it('says which certificate failed, against which roots, and how to fix it', () => {
    const e = serverCertificateError({ operation: 'DescribeStream', target: 'https://kinesisvideo.us-west-2.amazonaws.com',
      code: 'SELF_SIGNED_CERT_IN_CHAIN', reason: 'self-signed certificate in certificate chain', trust: resolveKvsTrust({}) });
    expect(e).toMatchObject({ code: 'TLS_ERROR', retriable: false });
    expect(e.message).toBe("DescribeStream failed: the TLS certificate of https://kinesisvideo.us-west-2.amazonaws.com could not be verified (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain) against Node's bundled CA certificates: set AWS_CA_BUNDLE (or SSL_CERT_FILE, NODE_EXTRA_CA_CERTS) to a PEM file holding the CA that issued it. Verification is never disabled.");
  });
});
