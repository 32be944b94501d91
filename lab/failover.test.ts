import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyseFailover, parseProbeOutput } from './failover.ts';

const a = '198.51.100.100:8000';
const b = '198.51.100.101:8000';

describe('failover analysis', () => {
  it('measures from the stop to the first answer from another node, and sees the others untouched', () => {
    const events = parseProbeOutput([
      'probe ready',
      `{"t":900,"target":"${a}","ok":true,"node":"node1"}`,
      `{"t":900,"target":"${b}","ok":true,"node":"node2"}`,
      `{"t":1150,"target":"${a}","ok":false,"node":""}`,
      `{"t":1420,"target":"${a}","ok":true,"node":"node3"}`,
      '{"t":14',
    ].join('\n'));
    const r = analyseFailover(events, 1000, a, 'node1');
    assert.equal(r.failoverMs, 420);
    assert.equal(r.newNode, 'node3');
    assert.deepEqual(r.others, { [b]: [] });
  });
  it('reports no failover while the lost IP only answers from its old node or not at all', () => {
    const events = parseProbeOutput(`{"t":900,"target":"${a}","ok":true,"node":"node1"}\n{"t":1100,"target":"${a}","ok":false,"node":""}`);
    const r = analyseFailover(events, 1000, a, 'node1');
    assert.equal(r.failoverMs, undefined);
    assert.equal(r.newNode, undefined);
  });
  it('lists an interruption of another IP after the stop', () => {
    const events = parseProbeOutput(`{"t":1100,"target":"${b}","ok":false,"node":""}`);
    assert.equal(analyseFailover(events, 1000, a, 'node1').others[b]?.length, 1);
  });
});
