// The alert rules of monitoring/prometheus-rules/: valid for Prometheus (`promtool check rules`),
// behaving as intended (`promtool test rules` with testdata/alerts.promtool.yaml), rendered into
// PrometheusRule objects, and built only on metrics that really exist: each metric a rule or the
// dashboard names is either emitted by the module's code (its name appears in the TypeScript
// sources outside tests) or comes from Deckhouse's monitoring (kube-state-metrics, Prometheus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot } from '../support/tools.ts';
import { docL2Class, moduleValues, renderChart } from './chart.ts';

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Group { name: string; rules: Rule[] }

const rulesDir = join(repoRoot, 'monitoring', 'prometheus-rules');
const rulesFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yaml')).sort();
const groupsByFile = new Map(rulesFiles.map((f) => [f, yaml.load(readFileSync(join(rulesDir, f), 'utf8')) as Group[]]));
const allRules = [...groupsByFile.values()].flat().flatMap((g) => g.rules);

/** Metrics that Deckhouse's own monitoring provides, with the component that exports them. */
const externalMetrics: { pattern: RegExp; source: string }[] = [
  { pattern: /^kube_(pod|daemonset)_/, source: 'kube-state-metrics' },
  { pattern: /^up$/, source: 'Prometheus (scrape health)' },
];

const promqlWords = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'inf', 'nan',
]);

/** Metric names used in a PromQL expression (functions, keywords, label names and strings removed). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\[[^\]]*\]/g, ' '); // range selectors
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice((m.index ?? 0) + m[0].length).trimStart();
    if (after.startsWith('(') || promqlWords.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'testdata' || name === 'build') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Where in the module's own code (hooks, speaker, lib) each metric name appears as a string. */
function metricSources(): (metric: string) => string | undefined {
  const files = ['hooks', 'lib', join('images', 'speaker', 'src')]
    .flatMap((d) => { try { return sourceFiles(join(repoRoot, d)); } catch { return []; } })
    .map((f) => ({ path: relative(repoRoot, f), text: readFileSync(f, 'utf8') }));
  return (metric) => files.find((f) => new RegExp(`['"\`]${metric}['"\`]`).test(f.text))?.path;
}

/** PromQL of the dashboards: panel targets' `expr`, and the series of `label_values(series, label)` variables. */
function dashboardExprs(): string[] {
  const dir = join(repoRoot, 'monitoring', 'grafana-dashboards');
  let files: string[] = [];
  try { files = readdirSync(dir).filter((f) => f.endsWith('.json')); } catch { /* no dashboards */ }
  const exprs: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'expr' && typeof x === 'string') exprs.push(x);
        else if (k === 'definition' && typeof x === 'string') {
          const m = /^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$/.exec(x.trim());
          exprs.push(m ? (m[1] as string) : x);
        } else walk(x);
      }
    }
  };
  for (const f of files) walk(JSON.parse(readFileSync(join(dir, f), 'utf8')));
  return exprs;
}

test('the metric-name extractor reads PromQL as Prometheus does', () => {
  assert.deepEqual(metricNames('max by (node, pod) (a_total{x="y"} == 1) * on (pod) group_left (node) b_info{q=~"r.*"}'), ['a_total', 'b_info']);
  assert.deepEqual(metricNames('sum(rate(c_total[5m])) / ignoring(x) d > 0.9 and absent(e{f="g"})'), ['c_total', 'd', 'e']);
});

test('every metric named by a rule or the dashboard exists: emitted by our code or by Deckhouse monitoring', () => {
  const where = metricSources();
  const missing: string[] = [];
  const panels = dashboardExprs();
  assert.ok(panels.length > 0, 'the dashboard queries were found');
  const exprs = [...allRules.map((r) => r.expr), ...panels];
  for (const metric of new Set(exprs.flatMap(metricNames))) {
    if (externalMetrics.some((e) => e.pattern.test(metric))) continue;
    if (!where(metric)) missing.push(metric);
  }
  assert.deepEqual(missing, [], 'metrics no code emits');
});

test('promtool accepts the rules files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metallb-rules-'));
  try {
    for (const [file, groups] of groupsByFile) {
      assert.ok(Array.isArray(groups) && groups.length > 0, `${file}: a list of rule groups`);
      writeFileSync(join(dir, file), yaml.dump({ groups }));
    }
    execFileSync('promtool', ['check', 'rules', ...rulesFiles.map((f) => join(dir, f))], { stdio: 'pipe' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every alert fires as its unit test says (promtool test rules), and every alert has one', () => {
  const spec = yaml.load(readFileSync(join(repoRoot, 'test', 'templates', 'testdata', 'alerts.promtool.yaml'), 'utf8')) as {
    tests: { alert_rule_test?: { alertname: string }[] }[];
  };
  const tested = new Set(spec.tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname)));
  const alerts = allRules.flatMap((r) => (r.alert ? [r.alert] : []));
  assert.deepEqual(alerts.filter((a) => !tested.has(a)), [], 'alerts without a promtool test');
  for (const r of allRules.filter((x) => x.alert)) {
    assert.ok(r.labels?.severity_level && r.labels.tier, `${r.alert}: severity_level and tier`);
    assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert}: summary and description`);
  }

  const dir = mkdtempSync(join(tmpdir(), 'metallb-rules-'));
  try {
    for (const [file, groups] of groupsByFile) writeFileSync(join(dir, file), yaml.dump({ groups }));
    const testFile = join(dir, 'alerts.test.yaml');
    writeFileSync(testFile, yaml.dump({ ...spec, rule_files: rulesFiles }));
    execFileSync('promtool', ['test', 'rules', testFile], { cwd: dir, stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    assert.fail(`promtool test rules failed:\n${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the chart renders one PrometheusRule per rules file with the file\'s groups', () => {
  const rendered = renderChart(moduleValues({ classes: [docL2Class] })).filter((o) => o.kind === 'PrometheusRule');
  assert.deepEqual(rendered.map((o) => o.metadata.name).sort(), rulesFiles.map((f) => `metallb-${f.replace(/\.yaml$/, '')}`).sort());
  for (const o of rendered) {
    const file = `${o.metadata.name.replace(/^metallb-/, '')}.yaml`;
    assert.deepEqual((o.spec as { groups: Group[] }).groups, groupsByFile.get(file));
    assert.equal(o.metadata.namespace, 'd8-monitoring');
    assert.equal(o.metadata.labels?.prometheus, 'main');
  }
});
