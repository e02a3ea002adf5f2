/**
 * Reads the GstStructure text the element sends for structure properties (what
 * `gst_structure_to_string` writes): `name, key=(type)value, key2=(string)"quoted \"text\"";`.
 * Values are returned as text; typed containers (`{…}`, `<…>`, `[…]`) are refused.
 */

export interface GstStructureText {
  name: string;
  fields: Map<string, string>;
}

/** Parses `text`; throws an Error saying where it stopped making sense. */
export function parseGstStructure(text: string): GstStructureText {
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && /\s/.test(text[i]!)) i++;
  };
  const readName = (what: string): string => {
    const start = i;
    while (i < n && /[A-Za-z0-9_\-+:./]/.test(text[i]!)) i++;
    if (i === start) throw new Error(`expected ${what} at character ${i + 1}`);
    return text.slice(start, i);
  };
  skipSpace();
  const name = readName('the structure name');
  const fields = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (i >= n || text[i] === ';') break;
    if (text[i] !== ',') throw new Error(`expected "," at character ${i + 1}`);
    i++;
    skipSpace();
    if (i >= n || text[i] === ';') break; // a trailing comma
    const key = readName('a field name');
    skipSpace();
    if (text[i] !== '=') throw new Error(`expected "=" after "${key}"`);
    i++;
    skipSpace();
    if (text[i] === '(') {
      const close = text.indexOf(')', i);
      if (close < 0) throw new Error(`unclosed type of "${key}"`);
      i = close + 1;
      skipSpace();
    }
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error(`unclosed quote in the value of "${key}"`);
        const c = text[i++]!;
        if (c === '"') break;
        if (c === '\\' && i < n) value += text[i++]!;
        else value += c;
      }
    } else if (text[i] === '{' || text[i] === '<' || text[i] === '[') {
      throw new Error(`the value of "${key}" is a list; a single value is expected`);
    } else {
      const start = i;
      while (i < n && text[i] !== ',' && text[i] !== ';') i++;
      value = text.slice(start, i).trim();
    }
    fields.set(key, value);
  }
  return { name, fields };
}
