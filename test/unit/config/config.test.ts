import { describe, expect, it } from 'vitest';
import { parseConfigRecord, SettingsError } from '../../../src/config/config.js';

function record(props: Record<string, unknown> = {}, tracks: unknown[] = [{ track: 1, kind: 'video', pad: 'video_0' }]): string {
  return JSON.stringify({ version: 2, element: 'kvssink0', gstreamer: '1.22.0',
    properties: { 'stream-name': 'cam', ...props }, tracks });
}

describe('config record', () => {
  it('fills defaults and treats the official sentinels as unset', () => {
    const s = parseConfigRecord(record({ 'access-key': 'access_key', 'secret-key': 'secret_key',
      'session-token': 'session_token' }));
    expect(s.streamName).toBe('cam');
    expect(s.accessKey).toBeUndefined();
    expect(s.secretKey).toBeUndefined();
    expect(s.sessionToken).toBeUndefined();
    expect(s.storageSizeBytes).toBe(128 * 1024 * 1024);
    expect(s.streamingType).toBe('realtime');
    expect(s.stopStreamTimeoutMs).toBe(120_000);
    expect([...s.explicitlySet]).toEqual(['stream-name']);
  });

  it('has no default stream name: a missing one is an error naming the property', () => {
    expect(() => parseConfigRecord(record({ 'stream-name': null }))).toThrow(/"stream-name"/);
  });

  it('replaces 0 with the default where the guide says so, and a replay longer than the buffer by the buffer', () => {
    const s = parseConfigRecord(record({ 'timecode-scale': 0, framerate: 0, 'buffer-duration': 30, 'replay-duration': 60 }));
    expect(s.timecodeScaleMs).toBe(1);
    expect(s.framerate).toBe(25);
    expect(s.replayDurationMs).toBe(30_000);
  });

  it("refuses strings outside the guide's length limits without echoing secrets", () => {
    expect(() => parseConfigRecord(record({ 'codec-id': 'V_'.padEnd(33, 'X') }))).toThrow(/"codec-id".*1 to 32/);
    expect(() => parseConfigRecord(record({ 'track-name': 't'.repeat(33) }))).toThrow(/"track-name"/);
    let message = '';
    try {
      parseConfigRecord(record({ 'session-token': 'secret'.repeat(2000) }));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/"session-token" \(12000 characters, not shown\)/);
    expect(message).not.toContain('secretsecret');
  });

  it('records which properties the user changed', () => {
    const s = parseConfigRecord(record({ 'aws-region': 'eu-west-1', 'stream-name': 'cam1', 'streaming-type': 2 }));
    expect(s.awsRegion).toBe('eu-west-1');
    expect(s.streamingType).toBe('offline');
    expect([...s.explicitlySet].sort()).toEqual(['aws-region', 'stream-name', 'streaming-type']);
    expect(s.streamName).toBe('cam1');
  });

  it('reads file-start-time from the text, and refuses one in milliseconds', () => {
    const text = (v: string): string => record({ 'file-start-time': 1 }).replace('"file-start-time":1', `"file-start-time":${v}`);
    expect(parseConfigRecord(text('253402300799')).fileStartTimeS).toBe(253402300799n);
    expect(() => parseConfigRecord(text('18446744073709551615'))).toThrow(/"file-start-time"/);
  });

  it('names the property when a stream name is invalid', () => {
    expect(() => parseConfigRecord(record({ 'stream-name': 'bad/name' }))).toThrow(SettingsError);
    expect(() => parseConfigRecord(record({ 'stream-name': 'bad/name' }))).toThrow(/"stream-name"/);
  });

  it('refuses half a key pair, naming the missing one', () => {
    expect(() => parseConfigRecord(record({ 'access-key': 'AKID' }))).toThrow(/"secret-key"/);
    expect(() => parseConfigRecord(record({ 'secret-key': 'abc' }))).toThrow(/"access-key"/);
  });

  it('refuses out-of-range values and wrong types', () => {
    expect(() => parseConfigRecord(record({ 'timecode-scale': 1001 }))).toThrow(/between 0 and 1000/);
    expect(() => parseConfigRecord(record({ 'storage-size': 9 }))).toThrow(/between 10 and 10240/);
    expect(() => parseConfigRecord(record({ 'fragment-acks': 'yes' }))).toThrow(/boolean/);
    expect(() => parseConfigRecord(record({ 'streaming-type': 7 }))).toThrow(/no value 7/);
  });

  it('needs at least one track', () => {
    expect(() => parseConfigRecord(record({}, []))).toThrow(/no input pads/);
  });
});
