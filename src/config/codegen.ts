/**
 * Generates, from src/config/schema.ts, the C property table of the element
 * (native/gst/gstkvssinkprops.h) and the README's parameter table.
 *
 *   node dist/config/codegen.js            write both
 *   node dist/config/codegen.js --check    exit 1 when a generated file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROPERTIES, type PropertySpec } from './schema.js';

const C_HEADER_PATH = 'native/gst/gstkvssinkprops.h';
const README_PATH = 'README.md';
const README_BEGIN = '<!-- properties:begin (generated from src/config/schema.ts; do not edit) -->';
const README_END = '<!-- properties:end -->';

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
  if (p.type === 'uint64') return [`G_GUINT64_CONSTANT (${p.min})`, p.max === 18446744073709551615n ? 'G_MAXUINT64' : `G_GUINT64_CONSTANT (${p.max})`];
  return ['0', '0'];
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
    lines.push(`      ${C_TYPES[p.type]}, ${defString}, ${defNumber}, ${min}, ${max}, ${p.secret ? 'TRUE' : 'FALSE'}},`);
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
    case 'uint': return `uint ${p.min}–${p.max === 4294967295 ? 'G_MAXUINT' : p.max}`;
    case 'uint64': return 'uint64';
    case 'boolean': return 'boolean';
    case 'enum': return `enum ${p.enumType}: ${p.values.map((v) => `${v.value} ${v.nick}`).join(', ')}`;
    case 'structure': return 'GstStructure';
  }
}

export function generateReadmeTable(): string {
  const rows = ['| Property | Type | Unit | Default | Description |', '|---|---|---|---|---|'];
  for (const p of PROPERTIES) {
    rows.push(`| \`${p.name}\` | ${typeText(p)} | ${p.unit ?? ''} | ${defaultText(p)} | ${p.blurb.replace(/\|/g, '\\|')} |`);
  }
  return rows.join('\n');
}

/** Replaces the generated block of a README text; throws if the markers are missing. */
export function spliceReadme(readme: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error(`README.md lacks the ${README_BEGIN} … ${README_END} markers`);
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${generateReadmeTable()}\n${readme.slice(end)}`;
}

function main(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const check = process.argv.includes('--check');
  const outputs: [string, string][] = [
    [C_HEADER_PATH, generateCHeader()],
    [README_PATH, spliceReadme(readFileSync(join(root, README_PATH), 'utf8'))],
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
