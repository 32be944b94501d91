// The Kubernetes adapter (DESIGN §2.2): builds the desired state from informers. Placeholder until
// the embedded API (lab/kube-api) lands; see the issue notes.
import type { Logger } from 'pino';
import type { SpeakerReporter } from '../speaker.ts';
import type { DesiredState } from '../state.ts';

/** A running adapter. */
export interface KubeAdapter {
  reporter: SpeakerReporter;
  stop(): void;
}

/** Starts watching the API and calls `onState` with each new desired state. */
export async function startKubeAdapter(opts: { log: Logger; onState: (s: DesiredState) => Promise<void> }): Promise<KubeAdapter> {
  void opts;
  throw new Error('Kubernetes mode is not available in this build yet; use --config FILE');
}
