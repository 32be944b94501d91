// metallb-speaker: `--config FILE` runs from a static file (DESIGN §2.1), no arguments runs the
// Kubernetes adapter (DESIGN §2.2), `--version` prints the version.
import pino from 'pino';
import { ConfigError } from '../../../lib/config/index.ts';
import { Speaker, type BgpEngineHook } from './speaker.ts';
import { SpeakerMetrics } from './metrics/registry.ts';
import { startMetricsServer } from './metrics/server.ts';
import { desiredFromStatic, loadStaticConfig } from './static/adapter.ts';
import { VERSION } from './version.ts';
import { runCaptureWorker } from './l2/capture-worker.ts';
import type { Registry } from 'prom-client';
import { SpeakerBgp, bfdStarter } from './bgp/index.ts';

const USAGE = 'usage: metallb-speaker [--config FILE] [--version]';

/**
 * The BGP engine (images/speaker/src/bgp): takes whole desired states (`set`), answers with
 * sessions and UPDATEs, and stops on shutdown. Metrics go to the speaker's registry; peers that
 * ask for BFD get a real BFD session (images/speaker/src/bfd) once their BGP session is up.
 */
function createBgpEngine(log: pino.Logger, registry: Registry): BgpEngineHook {
  return new SpeakerBgp({ logger: log, registry, startBfd: bfdStarter() });
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--capture-worker') {
    // Internal: one interface's pcap handle in its own process (l2/capture-worker.ts).
    const [ifname, mac, filter] = argv.slice(1) as [string, string, string];
    runCaptureWorker(ifname, mac, filter);
    return new Promise<number>(() => undefined);
  }
  if (argv.includes('--version')) {
    process.stdout.write(`metallb-speaker ${VERSION}\n`);
    return 0;
  }
  const i = argv.indexOf('--config');
  const unknown = argv.filter((a, k) => a !== '--config' && (i < 0 || k !== i + 1));
  if (unknown.length > 0 || (i >= 0 && argv[i + 1] === undefined)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = pino({ base: { component: 'speaker' }, level: process.env.LOG_LEVEL ?? 'info' });
  const metrics = new SpeakerMetrics();
  const bgp = createBgpEngine(log.child({ component: 'bgp' }), metrics.registry);
  const speaker = new Speaker({ log, metrics, ...(bgp ? { bgp } : {}) });
  let stopAdapter: () => void = () => undefined;
  let metricsAddr = { address: '127.0.0.1', port: 4231 };

  if (i >= 0) {
    const path = argv[i + 1] as string;
    let cfg;
    try {
      cfg = loadStaticConfig(path);
    } catch (err) {
      process.stderr.write(`metallb-speaker: ${(err as Error).message}\n`);
      return err instanceof ConfigError ? 2 : 1;
    }
    if (cfg.bgp && !bgp) log.warn('bgp section present but this build has no BGP engine; ignored');
    metricsAddr = cfg.metrics;
    await speaker.apply(desiredFromStatic(cfg));
    const reload = (): void => {
      try {
        const next = loadStaticConfig(path);
        void speaker.apply(desiredFromStatic(next)).then(() => log.info({ path }, 'configuration reloaded'));
      } catch (err) {
        log.error({ path, err: (err as Error).message }, 'reload refused: keeping the last good configuration');
      }
    };
    process.on('SIGHUP', reload);
    stopAdapter = () => process.off('SIGHUP', reload);
  } else {
    const { startKubeAdapter } = await import('./kube/adapter.ts');
    const adapter = await startKubeAdapter({ log: log.child({ component: 'kube' }), onState: (s) => speaker.apply(s) });
    speaker.setReporter(adapter.reporter);
    stopAdapter = () => adapter.stop();
  }

  const server = await startMetricsServer({ ...metricsAddr, registry: metrics.registry, ready: () => speaker.ready });
  log.info({ metrics: `${metricsAddr.address}:${metricsAddr.port}`, version: VERSION }, 'speaker started');

  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      stopAdapter();
      void speaker.shutdown().finally(() => {
        server.close();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`metallb-speaker: ${err.message}\n`);
    process.exit(1);
  },
);
