// File listing shared by the tree-assembling scripts (image-tree.mjs, package.mjs).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every regular file under `dir`, as paths relative to it, sorted (directories are walked, not listed). */
export function filesUnder(dir) {
  const acc = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else acc.push(relative(dir, p));
    }
  };
  walk(dir);
  return acc.sort();
}
