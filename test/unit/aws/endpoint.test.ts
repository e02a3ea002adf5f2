import { describe, expect, it } from 'vitest';
import { resolveControlPlaneEndpoint, resolveRegion, validateEndpointUrl } from '../../../src/aws/endpoint.js';
import { KvsError } from '../../../src/aws/errors.js';

describe('resolveControlPlaneEndpoint', () => {
  it('uses AWS_ENDPOINT_URL_KINESIS_VIDEO first, then AWS_ENDPOINT_URL, then CONTROL_PLANE_URI', () => {
    const all = {
      AWS_ENDPOINT_URL_KINESIS_VIDEO: 'http://127.0.0.1:4566/',
      AWS_ENDPOINT_URL: 'https://generic.example.com',
      CONTROL_PLANE_URI: 'https://cp.example.com',
    };
    expect(resolveControlPlaneEndpoint('us-west-2', all)).toEqual({ url: 'http://127.0.0.1:4566', source: 'AWS_ENDPOINT_URL_KINESIS_VIDEO' });
    const { AWS_ENDPOINT_URL_KINESIS_VIDEO: _a, ...two } = all;
    expect(resolveControlPlaneEndpoint('us-west-2', two)).toEqual({ url: 'https://generic.example.com', source: 'AWS_ENDPOINT_URL' });
    expect(resolveControlPlaneEndpoint('us-west-2', { CONTROL_PLANE_URI: 'https://cp.example.com' }))
      .toEqual({ url: 'https://cp.example.com', source: 'CONTROL_PLANE_URI' });
  });

  it('treats empty variables as unset', () => {
    expect(resolveControlPlaneEndpoint('eu-west-1', { AWS_ENDPOINT_URL_KINESIS_VIDEO: '', AWS_ENDPOINT_URL: '  ' }))
      .toEqual({ url: 'https://kinesisvideo.eu-west-1.amazonaws.com', source: 'default' });
  });

  it('defaults to the regional endpoint, .amazonaws.com.cn for China regions', () => {
    expect(resolveControlPlaneEndpoint('us-west-2', {}).url).toBe('https://kinesisvideo.us-west-2.amazonaws.com');
    expect(resolveControlPlaneEndpoint('cn-north-1', {}).url).toBe('https://kinesisvideo.cn-north-1.amazonaws.com.cn');
  });

  it('rejects an unusable value with an error naming the variable', () => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ AWS_ENDPOINT_URL: 'ftp://x.example.com' }, /AWS_ENDPOINT_URL must start with https:\/\/ or http:\/\//],
      [{ CONTROL_PLANE_URI: 'kinesisvideo.us-west-2.amazonaws.com' }, /CONTROL_PLANE_URI is not a valid URL/],
      [{ AWS_ENDPOINT_URL_KINESIS_VIDEO: 'https://u:p@x.example.com' }, /AWS_ENDPOINT_URL_KINESIS_VIDEO must not contain user:password/],
      [{ AWS_ENDPOINT_URL: 'https://x.example.com/?a=1' }, /AWS_ENDPOINT_URL must not contain a query/],
    ];
    for (const [env, re] of bad) {
      let err: unknown;
      try {
        resolveControlPlaneEndpoint('us-west-2', env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(KvsError);
      expect((err as KvsError).code).toBe('INVALID_ENDPOINT_URL');
      expect((err as KvsError).retriable).toBe(false);
      expect((err as KvsError).message).toMatch(re);
    }
  });

  it('keeps a base path and drops the trailing slash', () => {
    expect(validateEndpointUrl('http://localhost:8080/kvs/', 'X')).toBe('http://localhost:8080/kvs');
  });
});

describe('resolveRegion', () => {
  const env = { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'ap-south-1' };

  it('lets an explicitly set aws-region win over the environment (unlike the official element)', () => {
    expect(resolveRegion({ value: 'us-east-1', isDefault: false }, env)).toEqual({ region: 'us-east-1', source: 'property' });
  });

  it('uses AWS_REGION, then AWS_DEFAULT_REGION, then us-west-2 when the property is at its default', () => {
    expect(resolveRegion({ value: 'us-west-2', isDefault: true }, env)).toEqual({ region: 'eu-central-1', source: 'AWS_REGION' });
    expect(resolveRegion({ value: 'us-west-2', isDefault: true }, { AWS_DEFAULT_REGION: 'ap-south-1' }))
      .toEqual({ region: 'ap-south-1', source: 'AWS_DEFAULT_REGION' });
    expect(resolveRegion({ value: 'us-west-2', isDefault: true }, {})).toEqual({ region: 'us-west-2', source: 'default' });
    expect(resolveRegion({ value: null, isDefault: true }, {})).toEqual({ region: 'us-west-2', source: 'default' });
    expect(resolveRegion({ value: '', isDefault: false }, env)).toEqual({ region: 'eu-central-1', source: 'AWS_REGION' });
  });

  it('rejects region names that could not be a hostname label, naming the source', () => {
    expect(() => resolveRegion({ value: 'us-west-2/../x', isDefault: false }, {})).toThrow(/aws-region "us-west-2\/..\/x" is not a valid AWS region/);
    expect(() => resolveRegion({ value: 'us-west-2', isDefault: true }, { AWS_REGION: 'Bad Region' })).toThrow(/AWS_REGION/);
  });
});
