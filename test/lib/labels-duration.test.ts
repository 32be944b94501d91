import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesSelector, parseSelectorString, requirementErrors, SelectorError } from '../../lib/kube/labels.ts';
import { DurationError, formatDuration, parseDuration } from '../../lib/duration.ts';

test('map selectors: empty matches all, empty value must be present', () => {
  assert.ok(matchesSelector({ a: '1' }, {}));
  assert.ok(matchesSelector({ 'node-role.kubernetes.io/loadbalancer': '' }, { 'node-role.kubernetes.io/loadbalancer': '' }));
  assert.ok(!matchesSelector({}, { 'node-role.kubernetes.io/loadbalancer': '' }));
  assert.ok(!matchesSelector({ zone: 'b' }, { zone: 'a' }));
});

test('structured selectors', () => {
  const sel = {
    matchLabels: { role: 'lb' },
    matchExpressions: [
      { key: 'zone', operator: 'In' as const, values: ['a', 'b'] },
      { key: 'drain', operator: 'DoesNotExist' as const },
    ],
  };
  assert.ok(matchesSelector({ role: 'lb', zone: 'a' }, sel));
  assert.ok(!matchesSelector({ role: 'lb', zone: 'c' }, sel));
  assert.ok(!matchesSelector({ role: 'lb', zone: 'a', drain: '' }, sel));
  assert.deepEqual(requirementErrors({ key: 'x', operator: 'In' }), ['x: values must be non-empty for operator In']);
  assert.deepEqual(requirementErrors({ key: 'x', operator: 'Exists', values: ['y'] }), ['x: values must be empty for operator Exists']);
});

test('string selectors', () => {
  const reqs = parseSelectorString('app=speaker, tier!=db,zone in (a, b),!legacy,ready');
  assert.ok(matchesSelector({ app: 'speaker', zone: 'b', ready: 'yes' }, { matchExpressions: reqs }));
  assert.ok(!matchesSelector({ app: 'speaker', zone: 'b', ready: 'yes', legacy: '1' }, { matchExpressions: reqs }));
  assert.ok(!matchesSelector({ app: 'speaker', zone: 'c', ready: 'yes' }, { matchExpressions: reqs }));
  assert.deepEqual(parseSelectorString(''), []);
  assert.throws(() => parseSelectorString('a in b'), SelectorError);
});

test('durations', () => {
  assert.equal(parseDuration('50ms'), 50);
  assert.equal(parseDuration('3s'), 3000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2'), 2000);
  assert.equal(parseDuration(0.25), 250);
  for (const bad of ['', 's', '3 s', '-1s', '3x', '1.s']) assert.throws(() => parseDuration(bad), DurationError, bad);
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(50), '50ms');
});
