// Entry point of the capture worker bundle (dist/speaker/capture-worker.cjs): a small program so a
// worker starts fast. Arguments: IFNAME MAC FILTER. The speaker bundle can also run it itself
// (`--capture-worker`), which tests under tsx use.
import { runCaptureWorker } from './capture-worker.ts';

const [ifname, mac, filter] = process.argv.slice(2);
if (!ifname || !mac || filter === undefined) {
  process.stderr.write('usage: capture-worker IFNAME MAC FILTER\n');
  process.exit(2);
}
runCaptureWorker(ifname, mac, filter);
