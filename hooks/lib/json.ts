// JSON helpers of the runtime: JSON Pointer escaping and the NDJSON reader; the JSON type, equality,
// copy and plain-object test live in lib/json.ts (shared with the pure cores).
import type { JsonValue } from '../../lib/json.ts';

export { cloneJson, isJsonObject, jsonEqual } from '../../lib/json.ts';

/** RFC 6901 escaping of one reference token. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Parses a file of concatenated JSON values (NDJSON, or values separated by whitespace). */
export function parseJsonStream(text: string): JsonValue[] {
  const out: JsonValue[] = [];
  const n = text.length;
  let i = 0;
  const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\n' || c === '\r' || c === '\t';
  while (i < n) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const start = i;
    const first = text[i];
    if (first === '{' || first === '[') {
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') {
          depth--;
          if (depth === 0) { i++; break; }
        }
      }
    } else if (first === '"') {
      for (i++; i < n && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      i++;
    } else {
      while (i < n && !isSpace(text[i]) && !'{["'.includes(text[i]!)) i++;
    }
    out.push(JSON.parse(text.slice(start, i)) as JsonValue);
  }
  return out;
}
