import { describe, expect, it } from 'vitest';
import {
  ACK_ERRORS,
  KvsError,
  ackError,
  maskAccessKeyId,
  networkError,
  sanitizeMessage,
  sdkError,
  serviceError,
  signedAsFromHeaders,
} from '../../../src/aws/errors.js';
import { sdkStatus } from '../../../src/aws/sdk-status.js';

describe('ACK error table', () => {
  it('covers every documented ErrorId with the guide\'s code', () => {
    const expected: Record<number, string> = {
      4000: 'STREAM_READ_ERROR', 4001: 'MAX_FRAGMENT_SIZE_REACHED', 4002: 'MAX_FRAGMENT_DURATION_REACHED',
      4003: 'MAX_CONNECTION_DURATION_REACHED', 4004: 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
      4005: 'MORE_THAN_ALLOWED_TRACKS_FOUND', 4006: 'INVALID_MKV_DATA', 4007: 'INVALID_PRODUCER_TIMESTAMP',
      4008: 'STREAM_NOT_ACTIVE', 4009: 'FRAGMENT_METADATA_LIMIT_REACHED', 4010: 'TRACK_NUMBER_MISMATCH',
      4011: 'FRAMES_MISSING_FOR_TRACK', 4500: 'KMS_KEY_ACCESS_DENIED', 4501: 'KMS_KEY_DISABLED',
      4502: 'KMS_KEY_VALIDATION_ERROR', 4503: 'KMS_KEY_UNAVAILABLE', 4504: 'KMS_KEY_INVALID_USAGE',
      4505: 'KMS_KEY_INVALID_STATE', 4506: 'KMS_KEY_NOT_FOUND', 5000: 'INTERNAL_ERROR', 5001: 'ARCHIVAL_ERROR',
    };
    expect([...ACK_ERRORS.keys()].sort()).toEqual(Object.keys(expected).map(Number).sort());
    for (const [id, code] of Object.entries(expected)) expect(ACK_ERRORS.get(Number(id))?.code).toBe(code);
  });

  it('marks transient errors retriable and bad fragments recoverable but not retriable', () => {
    const retriable = [...ACK_ERRORS.values()].filter((s) => s.retriable).map((s) => s.errorId);
    expect(retriable).toEqual([4000, 4003, 4503, 5000, 5001]);
    for (const id of [4001, 4002, 4004, 4006, 4009, 4011]) {
      expect(ackError(id)).toMatchObject({ retriable: false, recoverable: true });
    }
    for (const id of [4005, 4007, 4008, 4010, 4500, 4501, 4502, 4504, 4505, 4506]) {
      expect(ackError(id)).toMatchObject({ retriable: false, recoverable: false });
    }
  });

  it('builds a typed error value with kvsStatus and a message naming cause and fix', () => {
    const e = ackError(4002);
    expect(e).toBeInstanceOf(KvsError);
    expect(e.toJSON()).toMatchObject({ code: 'MAX_FRAGMENT_DURATION_REACHED', kvsStatus: 4002, retriable: false });
    expect(e.message).toContain('10 seconds');
    expect(e.message).toMatch(/key frame/);
  });

  it('maps an unknown ErrorId to a retriable UNKNOWN_ACK_ERROR_<n>', () => {
    expect(ackError(4999, 'SOMETHING_NEW')).toMatchObject({ code: 'UNKNOWN_ACK_ERROR_4999', kvsStatus: 4999, retriable: true });
  });
});

describe('serviceError (HTTP / PutMedia responses)', () => {
  const cases: [number, string | undefined, string, boolean][] = [
    [400, 'ClientLimitExceededException', 'CLIENT_LIMIT_EXCEEDED', true],
    [400, 'ConnectionLimitExceededException', 'CONNECTION_LIMIT_EXCEEDED', true],
    [400, 'InvalidArgumentException', 'INVALID_ARGUMENT', false],
    [400, 'InvalidEndpointException', 'INVALID_ENDPOINT', true],
    [401, 'NotAuthorizedException', 'NOT_AUTHORIZED', false],
    [403, 'InvalidSignatureException', 'SIGNATURE_MISMATCH', false],
    [403, 'UnrecognizedClientException', 'INVALID_ACCESS_KEY', false],
    [403, 'AccessDeniedException', 'ACCESS_DENIED', false],
    [403, undefined, 'SIGNATURE_MISMATCH', false],
    [404, 'ResourceNotFoundException', 'STREAM_NOT_FOUND', false],
    [400, 'ThrottlingException', 'THROTTLED', true],
    [500, undefined, 'SERVICE_UNAVAILABLE', true],
    [503, 'ServiceUnavailable', 'SERVICE_UNAVAILABLE', true],
    [418, undefined, 'HTTP_418', false],
  ];
  it.each(cases)('HTTP %i %s → %s (retriable %s)', (status, type, code, retriable) => {
    const e = serviceError({ httpStatus: status, errorType: type, operation: 'PutMedia', streamName: 's' });
    expect(e.code).toBe(code);
    expect(e.retriable).toBe(retriable);
    expect(e.httpStatus).toBe(status);
  });

  it('marks 401 as fixable by refreshing credentials and InvalidEndpoint by refreshing the endpoint', () => {
    expect(serviceError({ httpStatus: 401 }).refreshCredentials).toBe(true);
    expect(serviceError({ httpStatus: 401, errorType: 'NotAuthorizedException', message: 'The security token included in the request is expired' }))
      .toMatchObject({ code: 'EXPIRED_TOKEN', refreshCredentials: true });
    expect(serviceError({ httpStatus: 400, errorType: 'InvalidEndpointException' }).refreshEndpoint).toBe(true);
  });

  it('normalizes x-amzn-ErrorType values with namespaces and suffixes', () => {
    expect(serviceError({ httpStatus: 403, errorType: 'com.amazon.coral#InvalidSignatureException:http://internal/' }).awsErrorType)
      .toBe('InvalidSignatureException');
  });

  it('names the secret key on a signature mismatch and detects clock skew', () => {
    expect(serviceError({ httpStatus: 403, errorType: 'InvalidSignatureException' }).message).toMatch(/secret-key.*AWS_SECRET_ACCESS_KEY/);
    expect(serviceError({ httpStatus: 403, errorType: 'InvalidSignatureException', message: 'Signature expired: 20240101T000000Z is now earlier than ...' }).code)
      .toBe('CLOCK_SKEW');
  });

  it('names a region mismatch with its fix instead of the secret key', () => {
    const e = serviceError({ httpStatus: 403, errorType: 'InvalidSignatureException',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'." });
    expect(e.code).toBe('REGION_MISMATCH');
    expect(e.message).toMatch(/"eu-west-1".*Credential should be scoped to a valid region.*aws-region/);
    expect(e.message).not.toMatch(/secret-key/);
  });

  it('tells an unknown access key, a missing session token and a bad token apart by how the request was signed', () => {
    const invalid = { httpStatus: 403, errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.' };
    const unknownKey = serviceError({ ...invalid, signedAs: { accessKeyId: 'AKIAEXAMPLEEXAMPLE12', region: 'us-west-2', sessionToken: false } });
    expect(unknownKey.code).toBe('INVALID_ACCESS_KEY');
    expect(unknownKey.message).toMatch(/access-key \/ AWS_ACCESS_KEY_ID/);
    expect(unknownKey.message).not.toContain('AKIAEXAMPLEEXAMPLE12');
    const missingToken = serviceError({ ...invalid, signedAs: { accessKeyId: 'ASIAEXAMPLEEXAMPLE12', region: 'us-west-2', sessionToken: false } });
    expect(missingToken.code).toBe('MISSING_SESSION_TOKEN');
    expect(missingToken.message).toMatch(/set session-token \/ AWS_SESSION_TOKEN/);
    const badToken = serviceError({ ...invalid, signedAs: { accessKeyId: 'ASIAEXAMPLEEXAMPLE12', region: 'us-west-2', sessionToken: true } });
    expect(badToken.code).toBe('INVALID_TOKEN');
  });

  it('reads the signing identity from SigV4 headers', () => {
    expect(signedAsFromHeaders({ authorization: 'AWS4-HMAC-SHA256 Credential=AKID1/20240101/eu-west-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=ab',
      'x-amz-security-token': 't' })).toEqual({ accessKeyId: 'AKID1', region: 'eu-west-1', sessionToken: true });
    expect(signedAsFromHeaders({})).toBeUndefined();
  });

  it("gives each error the producer SDK's status code, as the official stream-error signal passes it", () => {
    expect(sdkStatus('MAX_FRAGMENT_DURATION_REACHED', 4002)).toBe(0x5200005e);
    expect(sdkStatus('REGION_MISMATCH')).toBe(0x52000010);
    expect(sdkStatus('STREAM_NOT_FOUND')).toBe(0x52000017);
    expect(sdkStatus('SOMETHING_ELSE')).toBe(0x52000031);
  });
});

describe('network and SDK errors', () => {
  it.each(['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND'])(
    '%s is a retriable network error',
    (code) => {
      const e = networkError(Object.assign(new Error('boom'), { code }), 'PutMedia');
      expect(e.retriable).toBe(true);
      expect(e.code).toMatch(/^NETWORK_(ERROR|TIMEOUT)$/);
      expect(e.message).toContain(code);
    },
  );

  it('finds the code on an error cause, and TLS failures are not retriable', () => {
    const wrapped = Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
    expect(networkError(wrapped).code).toBe('NETWORK_ERROR');
    const tls = networkError(Object.assign(new Error('self signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }));
    expect(tls).toMatchObject({ code: 'TLS_ERROR', retriable: false });
    expect(tls.message).toMatch(/never disabled/);
  });

  it('maps AWS SDK v3 errors by name and $metadata', () => {
    const sdk = (name: string, status?: number, message = 'm'): unknown =>
      Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status, requestId: 'rid' } });
    expect(sdkError(sdk('ResourceNotFoundException', 404), 'DescribeStream', 'cam')).toMatchObject({ code: 'STREAM_NOT_FOUND', retriable: false, requestId: 'rid' });
    expect(sdkError(sdk('ClientLimitExceededException', 400), 'DescribeStream')).toMatchObject({ code: 'CLIENT_LIMIT_EXCEEDED', retriable: true });
    expect(sdkError(sdk('NotAuthorizedException', 401), 'DescribeStream')).toMatchObject({ code: 'NOT_AUTHORIZED', retriable: false });
    expect(sdkError(sdk('InternalFailure', 500), 'DescribeStream')).toMatchObject({ retriable: true });
    expect(sdkError(sdk('CredentialsProviderError'), 'DescribeStream')).toMatchObject({ code: 'NO_CREDENTIALS', retriable: false });
    expect(sdkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'DescribeStream')).toMatchObject({ code: 'NETWORK_ERROR', retriable: true });
    expect(sdkError(Object.assign(new Error('x'), { name: 'TimeoutError' }), 'DescribeStream')).toMatchObject({ code: 'NETWORK_TIMEOUT', retriable: true });
  });
});

describe('secret hygiene', () => {
  it('masks access key ids and drops the canonical-string echo', () => {
    expect(maskAccessKeyId('AKIAIOSFODNN7EXAMPLE')).toBe('AKIA…MPLE');
    expect(maskAccessKeyId('short')).toBe('…');
    const msg = sanitizeMessage('Credential=AKIAIOSFODNN7EXAMPLE/2024 bad. The Canonical String for this request should have been x-amz-security-token:TOKEN');
    expect(msg).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(msg).not.toContain('TOKEN');
    expect(sanitizeMessage('uses s3cr3t-value here', ['s3cr3t-value'])).toBe('uses [redacted] here');
  });
});
