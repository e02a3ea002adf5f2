/**
 * Parser for the caps string the element sends (the output of `gst_caps_to_string`), e.g.
 * `video/x-h264, stream-format=(string)avc, width=(int)640, framerate=(fraction)30/1, codec_data=(buffer)0164…`.
 * Only the first structure matters to kvssink (a sink pad has fixed caps), but the whole string
 * is read so that malformed input is reported rather than half-parsed.
 *
 * Grammar followed (gst/gststructure.c, gst/gstvalue.c): structures separated by `;`; a structure
 * is a name, optional `(features)`, then `, field=[(type)]value`; a value is a bare token, a
 * quoted string with `\` escapes (`\"`, `\\`, `\ooo` octal bytes), or a `{ list }`, `< array >`
 * or `[ range ]` of values.
 */
import { MediaError } from './errors.js';

/** One caps field value. Types kvssink does not interpret are kept as `other` with their text. */
export type CapsValue =
  | { type: 'string'; value: string }
  | { type: 'int'; value: number }
  | { type: 'double'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'fraction'; num: number; den: number }
  | { type: 'buffer'; value: Uint8Array }
  | { type: 'list'; values: CapsValue[] }
  | { type: 'array'; values: CapsValue[] }
  | { type: 'range'; values: CapsValue[] }
  | { type: 'other'; typeName: string; raw: string };

/** One caps structure: `video/x-h264` and its fields. */
export interface CapsStructure {
  mediaType: string;
  /** Caps features such as `memory:NVMM`; empty when none were given. */
  features: string[];
  fields: Record<string, CapsValue>;
}

const INT_TYPES = new Set(['int', 'i', 'uint', 'gint', 'guint', 'int64', 'uint64', 'gint64', 'guint64', 'long', 'ulong', 'glong', 'gulong', 'uchar', 'char']);
const DOUBLE_TYPES = new Set(['double', 'd', 'float', 'f', 'gdouble', 'gfloat']);
const STRING_TYPES = new Set(['string', 's', 'str', 'gchararray']);
const BOOLEAN_TYPES = new Set(['boolean', 'bool', 'b', 'gboolean']);
const FRACTION_TYPES = new Set(['fraction', 'GstFraction']);
const BUFFER_TYPES = new Set(['buffer', 'GstBuffer']);

const INT_RE = /^[+-]?(?:0[xX][0-9a-fA-F]+|\d+)$/;
const DOUBLE_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const FRACTION_RE = /^([+-]?\d+)\s*\/\s*(\d+)$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

const utf8 = new TextDecoder('utf-8', { fatal: false });

function fail(input: string, at: number, what: string): never {
  throw new MediaError('INVALID_CAPS', `Cannot parse caps at offset ${at} (${what}): ${input}`);
}

function parseBoolean(raw: string): boolean | undefined {
  switch (raw.toLowerCase()) {
    case 'true':
    case 'yes':
    case 't':
    case '1':
      return true;
    case 'false':
    case 'no':
    case 'f':
    case '0':
      return false;
    default:
      return undefined;
  }
}

function parseInt10or16(raw: string): number {
  const neg = raw.startsWith('-');
  const body = raw.replace(/^[+-]/, '');
  const v = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : parseInt(body, 10);
  return neg ? -v : v;
}

/** Interprets a scalar's text according to its (optional) type, the way gst_value_deserialize guesses. */
function interpret(typeName: string | undefined, raw: string, quoted: boolean): CapsValue | undefined {
  if (typeName === undefined) {
    if (quoted) return { type: 'string', value: raw };
    if (INT_RE.test(raw)) return { type: 'int', value: parseInt10or16(raw) };
    if (DOUBLE_RE.test(raw)) return { type: 'double', value: Number(raw) };
    const frac = FRACTION_RE.exec(raw);
    if (frac) return { type: 'fraction', num: Number(frac[1]), den: Number(frac[2]) };
    const b = parseBoolean(raw);
    if (b !== undefined && /^[a-z]/i.test(raw)) return { type: 'boolean', value: b };
    return { type: 'string', value: raw };
  }
  if (STRING_TYPES.has(typeName)) return { type: 'string', value: raw };
  if (INT_TYPES.has(typeName)) return INT_RE.test(raw) ? { type: 'int', value: parseInt10or16(raw) } : undefined;
  if (DOUBLE_TYPES.has(typeName)) return DOUBLE_RE.test(raw) || INT_RE.test(raw) ? { type: 'double', value: Number(raw) } : undefined;
  if (BOOLEAN_TYPES.has(typeName)) {
    const b = parseBoolean(raw);
    return b === undefined ? undefined : { type: 'boolean', value: b };
  }
  if (FRACTION_TYPES.has(typeName)) {
    const frac = FRACTION_RE.exec(raw);
    if (frac) return { type: 'fraction', num: Number(frac[1]), den: Number(frac[2]) };
    // gst accepts a plain integer as n/1
    return INT_RE.test(raw) ? { type: 'fraction', num: parseInt10or16(raw), den: 1 } : undefined;
  }
  if (BUFFER_TYPES.has(typeName)) {
    if (!HEX_RE.test(raw)) return undefined;
    return { type: 'buffer', value: Uint8Array.from(Buffer.from(raw, 'hex')) };
  }
  return { type: 'other', typeName, raw };
}

class CapsReader {
  i = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.i >= this.s.length;
  }

  peek(): string {
    return this.s[this.i] ?? '';
  }

  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }

  expect(c: string): void {
    this.ws();
    if (this.peek() !== c) fail(this.s, this.i, `expected "${c}"`);
    this.i++;
  }

  /** Reads a quoted string starting at `"`, undoing gst_string_wrap's escapes. */
  quoted(): string {
    const start = this.i;
    this.i++; // opening quote
    const bytes: number[] = [];
    const chunk = (text: string): void => {
      for (const b of Buffer.from(text, 'utf8')) bytes.push(b);
    };
    while (true) {
      if (this.done) fail(this.s, start, 'unterminated string');
      const c = this.s[this.i] as string;
      if (c === '"') {
        this.i++;
        break;
      }
      if (c === '\\') {
        const oct = /^[0-7]{3}/.exec(this.s.slice(this.i + 1, this.i + 4));
        if (oct) {
          bytes.push(parseInt(oct[0], 8) & 0xff);
          this.i += 4;
          continue;
        }
        const next = this.s[this.i + 1];
        if (next === undefined) fail(this.s, this.i, 'dangling escape');
        // One code point (may be a surrogate pair) taken literally.
        const cp = this.s.codePointAt(this.i + 1) as number;
        const ch = String.fromCodePoint(cp);
        chunk(ch);
        this.i += 1 + ch.length;
        continue;
      }
      const cp = this.s.codePointAt(this.i) as number;
      const ch = String.fromCodePoint(cp);
      chunk(ch);
      this.i += ch.length;
    }
    return utf8.decode(Uint8Array.from(bytes));
  }

  /** Reads a bare token up to the next delimiter, trimmed. */
  bare(): string {
    const start = this.i;
    while (!this.done && !',;}]>'.includes(this.s[this.i] as string)) this.i++;
    return this.s.slice(start, this.i).trim();
  }

  value(inheritedType?: string): CapsValue {
    this.ws();
    let typeName = inheritedType;
    if (this.peek() === '(') {
      const close = this.s.indexOf(')', this.i);
      if (close < 0) fail(this.s, this.i, 'unterminated type');
      typeName = this.s.slice(this.i + 1, close).trim();
      this.i = close + 1;
      this.ws();
    }
    const c = this.peek();
    const open = { '{': '}', '<': '>', '[': ']' }[c];
    if (open !== undefined) {
      this.i++;
      const values: CapsValue[] = [];
      this.ws();
      if (this.peek() === open) this.i++;
      else {
        while (true) {
          values.push(this.value(typeName));
          this.ws();
          const d = this.peek();
          this.i++;
          if (d === open) break;
          if (d !== ',') fail(this.s, this.i - 1, `expected "," or "${open}"`);
        }
      }
      return { type: c === '{' ? 'list' : c === '<' ? 'array' : 'range', values };
    }
    const start = this.i;
    const quoted = c === '"';
    const raw = quoted ? this.quoted() : this.bare();
    if (!quoted && raw === '') fail(this.s, start, 'empty value');
    const v = interpret(typeName, raw, quoted);
    if (v === undefined) fail(this.s, start, `"${raw}" is not a valid ${typeName ?? 'value'}`);
    return v;
  }

  structure(): CapsStructure {
    this.ws();
    const nameStart = this.i;
    while (!this.done && !',;('.includes(this.s[this.i] as string) && !/\s/.test(this.s[this.i] as string)) this.i++;
    const mediaType = this.s.slice(nameStart, this.i);
    if (!/^[A-Za-z][A-Za-z0-9_\-+/:.]*$/.test(mediaType)) fail(this.s, nameStart, 'bad structure name');
    const features: string[] = [];
    if (this.peek() === '(') {
      const close = this.s.indexOf(')', this.i);
      if (close < 0) fail(this.s, this.i, 'unterminated caps features');
      for (const f of this.s.slice(this.i + 1, close).split(',')) if (f.trim()) features.push(f.trim());
      this.i = close + 1;
    }
    const fields: Record<string, CapsValue> = {};
    while (true) {
      this.ws();
      if (this.done || this.peek() === ';') break;
      this.expect(',');
      this.ws();
      if (this.done || this.peek() === ';') break; // tolerate a trailing comma
      const nameAt = this.i;
      while (!this.done && !'=,;'.includes(this.s[this.i] as string) && !/\s/.test(this.s[this.i] as string)) this.i++;
      const field = this.s.slice(nameAt, this.i);
      if (!/^[A-Za-z][A-Za-z0-9_\-+/:.]*$/.test(field)) fail(this.s, nameAt, 'bad field name');
      this.expect('=');
      fields[field] = this.value();
    }
    return { mediaType, features, fields };
  }
}

/** Parses every structure of a caps string. `ANY`, `EMPTY` and `NONE` give an empty list. */
export function parseCapsStructures(caps: string): CapsStructure[] {
  const trimmed = caps.trim();
  if (trimmed === '' || trimmed === 'ANY' || trimmed === 'EMPTY' || trimmed === 'NONE') return [];
  const r = new CapsReader(trimmed);
  const out: CapsStructure[] = [];
  while (true) {
    out.push(r.structure());
    r.ws();
    if (r.done) break;
    r.expect(';');
    r.ws();
    if (r.done) break;
  }
  return out;
}

/** Parses a caps string and returns its first structure. Throws MediaError INVALID_CAPS. */
export function parseCaps(caps: string): CapsStructure {
  const first = parseCapsStructures(caps)[0];
  if (!first) throw new MediaError('INVALID_CAPS', `Caps have no structure: "${caps}"`);
  return first;
}

/** A string field, or undefined when absent or not a string. */
export function capsString(s: CapsStructure, name: string): string | undefined {
  const v = s.fields[name];
  return v?.type === 'string' ? v.value : undefined;
}

/** An integer field, or undefined when absent or not a single integer. */
export function capsInt(s: CapsStructure, name: string): number | undefined {
  const v = s.fields[name];
  return v?.type === 'int' ? v.value : undefined;
}

/** A boolean field, or undefined. */
export function capsBoolean(s: CapsStructure, name: string): boolean | undefined {
  const v = s.fields[name];
  return v?.type === 'boolean' ? v.value : undefined;
}

/** A fraction field, or undefined. */
export function capsFraction(s: CapsStructure, name: string): { num: number; den: number } | undefined {
  const v = s.fields[name];
  return v?.type === 'fraction' ? { num: v.num, den: v.den } : undefined;
}

/** A buffer field (e.g. codec_data), or undefined. */
export function capsBuffer(s: CapsStructure, name: string): Uint8Array | undefined {
  const v = s.fields[name];
  return v?.type === 'buffer' ? v.value : undefined;
}
