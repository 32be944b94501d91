// A short fuzzing run on every test run (bench/bgp-fuzz.ts runs a million and more).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzz } from './fuzz.ts';

test('20,000 mutated messages: no throw, only RFC NOTIFICATIONs, the FSM answers each error with it', () => {
  const seed = Number(process.env.BGP_FUZZ_SEED ?? 1);
  const stats = fuzz(20_000, seed);
  assert.deepEqual(stats.failures, []);
  assert.ok(stats.rejected > 1000, `some messages were rejected (${stats.rejected})`);
  assert.ok(stats.decoded > 1000, `some messages still decoded (${stats.decoded})`);
  assert.ok(Object.keys(stats.byCode).length >= 8, `many different errors: ${JSON.stringify(stats.byCode)}`);
});
