// The speaker's version, from package.json (bundled by esbuild).
import pkg from '../../../package.json' with { type: 'json' };

/** Version of this build. */
export const VERSION: string = pkg.version;
