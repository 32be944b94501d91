// One place for what every benchmark appends to bench/RESULTS.md: a dated heading naming the
// machine and its load (numbers from a shared machine mean little without it), a sentence on
// what was run, and the printed lines in a code block.
import { appendFileSync } from 'node:fs';
import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';

/** "host, 2 × CPU model, Node v20…, load average 1.2". */
export function machineDescription(): string {
  return `${hostname()}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, load average ${(loadavg()[0] ?? 0).toFixed(1)}`;
}

/** Appends `## <title>: <date> (<machine>)`, the intro and the lines to bench/RESULTS.md. */
export function recordResult(title: string, intro: string, lines: readonly string[]): void {
  const text = ['', `## ${title}: ${new Date().toISOString()} (${machineDescription()})`, '', intro, '', '```', ...lines, '```', ''].join('\n');
  appendFileSync(join(import.meta.dirname, 'RESULTS.md'), text);
}
