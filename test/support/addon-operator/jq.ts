// jqFilters evaluated by the real `gojq` binary (Debian package gojq), as shell-operator does with
// its embedded gojq: 0 outputs => null, 1 => the value, more => an array of them
// (shell-operator:pkg/filter/jq/apply.go). One gojq process per batch of objects.
import { execFileSync } from 'node:child_process';
import type { JsonValue } from '../../../hooks/lib/types.ts';

/** Thrown when gojq rejects the filter or fails on an object. */
export class JqError extends Error {
  readonly code = 'JQ';
}

/** Applies `filter` to each object; returns one result per object, in order. */
export function applyJqFilter(filter: string, objects: readonly unknown[]): JsonValue[] {
  if (objects.length === 0) return [];
  // Wrapping in [...] collects every output of one input; definitions (`def f: ...;`) are allowed
  // inside brackets, so any filter keeps its meaning.
  const input = objects.map((o) => JSON.stringify(o)).join('\n');
  let out: string;
  try {
    out = execFileSync('gojq', ['-c', `[${filter}\n]`], { input, maxBuffer: 256 << 20, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new JqError(`gojq failed on filter ${JSON.stringify(filter)}: ${stderr.trim() || (err as Error).message}`);
  }
  const lines = out.split('\n').filter((l) => l !== '');
  if (lines.length !== objects.length) throw new JqError(`gojq returned ${lines.length} results for ${objects.length} objects`);
  return lines.map((l) => {
    const results = JSON.parse(l) as JsonValue[];
    if (results.length === 0) return null;
    if (results.length === 1) return results[0]!;
    return results;
  });
}
