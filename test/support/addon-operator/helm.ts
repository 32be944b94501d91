// The module's Helm chart rendered by the real `helm` binary, as the imitated operator's helm step.
import { globalValues, renderChart } from '../../templates/chart.ts';
import type { JsonObject } from '../../../hooks/lib/types.ts';
import type { KubeObject } from '../../../lab/kube-api/store.ts';

/** A `helm` option for AddonOperator: renders the repository's chart with these module values. */
export function chartRenderer(global: object = globalValues()): (values: JsonObject) => KubeObject[] {
  return (values) => renderChart({ global, metallb: values }) as unknown as KubeObject[];
}
