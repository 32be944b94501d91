// openapi/conversions/v2.yaml run as Deckhouse runs it: the expressions joined with ` | `, applied
// by the real gojq binary to the settings object; the result must validate against settings v2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/tools.ts';
import { loadModuleSchemas, readYamlFile } from '../support/addon-operator/schemas.ts';

const conversion = readYamlFile(join(repoRoot, 'openapi/conversions/v2.yaml')) as { version: number; conversions: string[] };

function convert(settings: unknown): unknown {
  const out = execFileSync('gojq', ['-c', conversion.conversions.join(' | ')], { input: JSON.stringify(settings) }).toString();
  return JSON.parse(out.split('\n')[0]!);
}

describe('conversion of settings 1 -> 2', () => {
  const schemas = loadModuleSchemas(repoRoot);

  it('is the step to version 2', () => {
    assert.equal(conversion.version, 2);
  });

  it('drops layer2 pools and keeps everything else (testdata/v1-to-v2.yaml)', () => {
    const data = readYamlFile(join(repoRoot, 'openapi/conversions/testdata/v1-to-v2.yaml'));
    const converted = convert(data.from);
    assert.deepEqual(converted, data.to);
    assert.deepEqual(schemas.config.problems(schemas.config.withDefaults(converted)), []);
  });

  it('leaves settings without addressPools alone', () => {
    assert.deepEqual(convert({}), {});
    assert.deepEqual(convert({ loadBalancerClass: 'x' }), { loadBalancerClass: 'x' });
  });

  it('gives an empty list when every pool was layer2', () => {
    assert.deepEqual(convert({ addressPools: [{ name: 'a', protocol: 'layer2', addresses: ['192.0.2.0/28'] }] }), { addressPools: [] });
  });
});
