// Entry of the hooks executable (hooks/metallb-hooks): the explicit list of hooks, in the order of
// their `hook run N` indexes. Adding a hook = one file plus one line here. Appending keeps the
// indexes of the existing hooks; addon-operator reads them afresh at every start anyway.
import { runCli } from './lib/cli.ts';
import type { Hook } from './lib/index.ts';
import membershipKey from './membership-key.ts';
import l2Services from './l2-services.ts';
import bgpSettings from './bgp-settings.ts';
import l2Migration from './l2-migration.ts';

/** Every hook of the module. */
export const hooks: readonly Hook[] = [
  membershipKey,
  l2Services,
  bgpSettings,
  l2Migration,
];

runCli(hooks, process.argv.slice(2), process.env, {
  stdout: (s) => { process.stdout.write(s); },
  stderr: (s) => { process.stderr.write(s); },
}).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    process.stderr.write(`metallb-hooks: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
