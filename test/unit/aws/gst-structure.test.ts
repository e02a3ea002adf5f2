import { describe, expect, it } from 'vitest';
import { parseGstStructure } from '../../../src/aws/gst-structure.js';

describe('parseGstStructure', () => {
  it('reads typed, bare and quoted values, with escapes', () => {
    const s = parseGstStructure('tags, a=(string)one, b=2, c=(string)"with \\"quotes\\", and commas", d=(int)7;');
    expect(s.name).toBe('tags');
    expect(Object.fromEntries(s.fields)).toEqual({ a: 'one', b: '2', c: 'with "quotes", and commas', d: '7' });
  });

  it('refuses lists and unclosed quotes, saying where', () => {
    expect(() => parseGstStructure('s, a={ 1, 2 }')).toThrow('the value of "a" is a list');
    expect(() => parseGstStructure('s, a="open')).toThrow('unclosed quote in the value of "a"');
    expect(() => parseGstStructure('s a=1')).toThrow('expected "," at character 3');
  });
});
