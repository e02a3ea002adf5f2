/**
 * Generates, from src/config/schema.ts, the C property table of the element
 * (native/gst/gstkvssinkprops.h) and the README's parameter table.
 *
 *   node dist/config/codegen.js            write both
 *   node dist/config/codegen.js --check    exit 1 when a generated file is stale
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_UINT, MAX_UINT64, PROPERTIES, type PropertySpec } from './schema.js';

const C_HEADER_PATH = 'native/gst/gstkvssinkprops.h';
const README_PATH = 'README.md';
const README_BEGIN = '<!-- properties:begin (generated from src/config/schema.ts; do not edit) -->';
const README_END = '<!-- properties:end -->';

/** Where each property's cases are: `propertyCases('name', …)` in a test/params file. */
const PARAMS_TEST_DIR = 'test/params';

function macroName(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

function cString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

const C_TYPES: Record<PropertySpec['type'], string> = {
  string: 'KVS_PROP_STRING',
  uint: 'KVS_PROP_UINT',
  uint64: 'KVS_PROP_UINT64',
  boolean: 'KVS_PROP_BOOLEAN',
  enum: 'KVS_PROP_ENUM',
  structure: 'KVS_PROP_STRUCTURE',
};

function defaultMacro(p: PropertySpec): string {
  switch (p.type) {
    case 'string': return p.default === null ? 'NULL' : cString(p.default);
    case 'uint': return `${p.default}u`;
    case 'uint64': return `G_GUINT64_CONSTANT (${p.default})`;
    case 'boolean': return p.default ? 'TRUE' : 'FALSE';
    case 'enum': return `${p.default}`;
    case 'structure': return 'NULL';
  }
}

function rangeOf(p: PropertySpec): [string, string] {
  if (p.type === 'uint') return [`${p.min}u`, p.max === 4294967295 ? 'G_MAXUINT' : `${p.max}u`];
  if (p.type === 'uint64') return [`G_GUINT64_CONSTANT (${p.min})`, p.max === MAX_UINT64 ? 'G_MAXUINT64' : `G_GUINT64_CONSTANT (${p.max})`];
  return ['0', '0'];
}

/** `a-z0-9_-` → every character it allows, for strspn(). */
export function expandCharset(charset: string): string {
  let out = '';
  for (let i = 0; i < charset.length; i++) {
    const c = charset[i]!;
    const next = charset[i + 2];
    if (charset[i + 1] === '-' && next !== undefined) {
      for (let code = c.charCodeAt(0); code <= next.charCodeAt(0); code++) out += String.fromCharCode(code);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

export function generateCHeader(): string {
  const lines: string[] = [];
  lines.push('/* Generated from src/config/schema.ts by src/config/codegen.ts: do not edit. */');
  lines.push('');
  lines.push('#ifndef GST_KVS_SINK_PROPS_H');
  lines.push('#define GST_KVS_SINK_PROPS_H');
  lines.push('');
  lines.push('#include <glib.h>');
  lines.push('');
  lines.push('typedef enum');
  lines.push('{');
  lines.push('  KVS_PROP_STRING,');
  lines.push('  KVS_PROP_UINT,');
  lines.push('  KVS_PROP_UINT64,');
  lines.push('  KVS_PROP_BOOLEAN,');
  lines.push('  KVS_PROP_ENUM,');
  lines.push('  KVS_PROP_STRUCTURE');
  lines.push('} KvsPropType;');
  lines.push('');
  lines.push('enum');
  lines.push('{');
  lines.push('  PROP_0,');
  for (const p of PROPERTIES) lines.push(`  PROP_${macroName(p.name)},`);
  lines.push('  N_PROPS');
  lines.push('};');
  lines.push('');
  for (const p of PROPERTIES) lines.push(`#define DEFAULT_${macroName(p.name)} ${defaultMacro(p)}`);
  lines.push('');
  lines.push('typedef struct');
  lines.push('{');
  lines.push('  guint id;');
  lines.push('  const gchar *name;');
  lines.push('  const gchar *nick;');
  lines.push('  const gchar *blurb;');
  lines.push('  KvsPropType type;');
  lines.push('  const gchar *default_string;');
  lines.push('  guint64 default_number;');
  lines.push('  guint64 min;');
  lines.push('  guint64 max;');
  lines.push('  gboolean secret;');
  lines.push('  gboolean mutable_playing;');
  lines.push('  gboolean zero_means_default;');
  lines.push('  const gchar *required;         /* how to set it, when it must be set */');
  lines.push('  guint min_length;');
  lines.push('  guint max_length;              /* 0: no limit */');
  lines.push('  const gchar *charset;          /* every character allowed, or NULL */');
  lines.push('  const gchar *charset_text;');
  lines.push('  guint max_fields;');
  lines.push('  guint max_key_length;');
  lines.push('  guint max_value_length;');
  lines.push('  const gchar *required_keys;    /* comma-separated */');
  lines.push('  const gchar *allowed_keys;     /* comma-separated, or NULL: any */');
  lines.push('  const gchar *limit;            /* why: the guide\'s limit */');
  lines.push('} KvsPropRow;');
  lines.push('');
  lines.push('static const KvsPropRow kvs_prop_rows[] = {');
  for (const p of PROPERTIES) {
    const m = macroName(p.name);
    const defString = p.type === 'string' ? `DEFAULT_${m}` : 'NULL';
    const defNumber = p.type === 'uint' || p.type === 'uint64' || p.type === 'enum' || p.type === 'boolean'
      ? `DEFAULT_${m}` : '0';
    const [min, max] = rangeOf(p);
    lines.push(`  {PROP_${m}, ${cString(p.name)}, ${cString(p.nick)},`);
    lines.push(`      ${cString(p.blurb)},`);
    const str = p.type === 'string' ? p : undefined;
    const st = p.type === 'structure' ? p : undefined;
    const cstr = (v: string | undefined): string => (v === undefined ? 'NULL' : cString(v));
    lines.push(`      ${C_TYPES[p.type]}, ${defString}, ${defNumber}, ${min}, ${max}, ${p.secret ? 'TRUE' : 'FALSE'},`);
    lines.push(`      ${p.mutable === 'playing' ? 'TRUE' : 'FALSE'}, ${p.type === 'uint' && p.zeroMeansDefault ? 'TRUE' : 'FALSE'}, ` +
      `${cstr(str?.required?.howToSet)}, ${str?.minLength ?? 0}, ${str?.maxLength ?? 0},`);
    lines.push(`      ${cstr(str?.charset ? expandCharset(str.charset) : undefined)}, ${cstr(str?.charset)},`);
    lines.push(`      ${st?.maxFields ?? 0}, ${st?.maxKeyLength ?? 0}, ${st?.maxValueLength ?? 0}, ` +
      `${cstr(st?.requiredKeys?.join(','))}, ${cstr(st?.allowedKeys?.join(','))},`);
    lines.push(`      ${cstr(p.limit)}},`);
  }
  lines.push('};');
  lines.push('');
  for (const p of PROPERTIES) {
    if (p.type !== 'enum') continue;
    lines.push(`static const GEnumValue kvs_${macroName(p.name).toLowerCase()}_values[] = {`);
    for (const v of p.values) {
      lines.push(`  {${v.value}, ${cString(v.name)}, ${cString(v.nick)}},`);
    }
    lines.push('  {0, NULL, NULL}');
    lines.push('};');
    lines.push('');
  }
  lines.push('#endif /* GST_KVS_SINK_PROPS_H */');
  lines.push('');
  return lines.join('\n');
}

function defaultText(p: PropertySpec): string {
  switch (p.type) {
    case 'string': return p.default === null ? '(none)' : `\`"${p.default}"\``;
    case 'uint': case 'boolean': return `\`${String(p.default)}\``;
    case 'uint64': return `\`${p.default.toString()}\``;
    case 'enum': {
      const v = p.values.find((x) => x.value === p.default);
      return `\`${p.default}\` (${v?.nick ?? '?'})`;
    }
    case 'structure': return '(none)';
  }
}

function typeText(p: PropertySpec): string {
  switch (p.type) {
    case 'string': return 'string';
    case 'uint': return 'uint';
    case 'uint64': return 'uint64';
    case 'boolean': return 'boolean';
    case 'enum': return `enum ${p.enumType}`;
    case 'structure': return 'GstStructure';
  }
}

/** The allowed values, as the element enforces them (a value outside fails NULL→READY). */
function allowedText(p: PropertySpec): string {
  switch (p.type) {
    case 'string': {
      const parts: string[] = [];
      if (p.required) parts.push('required');
      if (p.minLength !== undefined || p.maxLength !== undefined) {
        parts.push(p.maxLength === undefined ? `≥ ${p.minLength} chars` : `${p.minLength ?? 0}–${p.maxLength} chars`);
      }
      if (p.charset) parts.push(`\`[${p.charset}]\``);
      return parts.join(', ');
    }
    case 'uint': {
      const range = `${p.min}–${p.max === MAX_UINT ? 'G_MAXUINT' : p.max}`;
      return p.zeroMeansDefault ? `${range}; 0: the default` : range;
    }
    case 'uint64': return `${p.min}–${p.max === MAX_UINT64 ? 'G_MAXUINT64' : p.max}`;
    case 'boolean': return '';
    case 'enum': return p.values.map((v) => `${v.value} ${v.nick}`).join(', ');
    case 'structure': {
      const parts: string[] = [];
      if (p.requiredKeys) parts.push(`needs ${p.requiredKeys.join(', ')}`);
      if (p.allowedKeys) parts.push(`also ${p.allowedKeys.filter((k) => !p.requiredKeys?.includes(k)).join(', ')}`);
      if (p.maxFields !== undefined) parts.push(`≤ ${p.maxFields} fields`);
      if (p.maxKeyLength !== undefined) parts.push(`names ≤ ${p.maxKeyLength}, values ≤ ${p.maxValueLength} chars`);
      return parts.length > 0 ? `${parts.join('; ')}; string values` : '';
    }
  }
}

/** Finds `propertyCases('<name>'` in the test/params files: that is where the property's cases are. */
export function findPropertyTests(root: string): Map<string, string> {
  const found = new Map<string, string>();
  let files: string[] = [];
  try {
    files = readdirSync(join(root, PARAMS_TEST_DIR)).filter((f) => f.endsWith('.test.ts')).sort();
  } catch {
    return found;
  }
  for (const file of files) {
    const lines = readFileSync(join(root, PARAMS_TEST_DIR, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/propertyCases\('([a-z0-9-]+)'/g)) {
        if (!found.has(m[1]!)) found.set(m[1]!, `${PARAMS_TEST_DIR}/${file}#L${i + 1}`);
      }
    });
  }
  return found;
}

export function generateReadmeTable(tests: Map<string, string> = new Map()): string {
  const rows = ['| Property | Type | Unit | Default | Allowed | Changeable | Description | Test |',
    '|---|---|---|---|---|---|---|---|'];
  for (const p of PROPERTIES) {
    const test = tests.get(p.name);
    rows.push(`| \`${p.name}\` | ${typeText(p)} | ${p.unit ?? ''} | ${defaultText(p)} | ${allowedText(p).replace(/\|/g, '\\|')} | ` +
      `${p.mutable === 'playing' ? 'PLAYING' : 'NULL, READY'} | ${p.blurb.replace(/\|/g, '\\|')} | ${test ? `[cases](${test})` : ''} |`);
  }
  return rows.join('\n');
}

/** Replaces the generated block of a README text; throws if the markers are missing. */
export function spliceReadme(readme: string, tests: Map<string, string> = new Map()): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the ${README_BEGIN} … ${README_END} markers`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${generateReadmeTable(tests)}\n${readme.slice(end)}`;
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const check = process.argv.includes('--check');
  const outputs: [string, string][] = [
    [C_HEADER_PATH, generateCHeader()],
    [README_PATH, spliceReadme(readFileSync(join(root, README_PATH), 'utf8'), findPropertyTests(root))],
  ];
  let stale = false;
  for (const [rel, text] of outputs) {
    const path = join(root, rel);
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = '';
    }
    if (current === text) continue;
    if (check) {
      process.stderr.write(`${rel} is stale: run node dist/config/codegen.js\n`);
      stale = true;
    } else {
      writeFileSync(path, text);
    }
  }
  if (stale) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
