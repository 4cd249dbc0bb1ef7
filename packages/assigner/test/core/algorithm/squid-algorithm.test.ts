import assert from 'node:assert/strict';
import { ResourceAddress, Squid } from '@dicer-ts/common';
import { UNIFORM_LOAD_MAP } from '../../../src/core/load-map.js';
import { createAlgorithmConfig } from '../../../src/core/algorithm/algorithm-config.js';
import {
  availableResourcesOf,
  generateInitialSquidAssignment,
  runAlgorithmForSquids,
} from '../../../src/core/algorithm/squid-algorithm.js';

function squid(uri: string, createdMs: bigint, uuidDigit: string): Squid {
  return Squid.create(ResourceAddress.create(uri), createdMs, `${uuidDigit.repeat(8)}-0000-4000-8000-000000000000`);
}

describe('availableResourcesOf', () => {
  it('keeps the newest incarnation per address, the first one on a tie, in Squid order', () => {
    const oldB = squid('https://b:1', 1n, '1');
    const newB = squid('https://b:1', 5n, '2');
    const a = squid('https://a:1', 3n, '3');
    const tieFirst = squid('https://c:1', 7n, '9');
    const tieSecond = squid('https://c:1', 7n, '4');
    assert.deepEqual(availableResourcesOf([oldB, tieFirst, a, newB, tieSecond]), [a, newB, tieFirst]);
  });
});

describe('runAlgorithmForSquids', () => {
  it('moves slices to the new incarnation of a restarted pod and orders replicas by Squid', () => {
    const a = squid('https://a:1', 1n, '1');
    const b = squid('https://b:1', 1n, '2');
    const bRestarted = squid('https://b:1', 2n, '3');
    const config = createAlgorithmConfig({ maxLoadHint: 1, minReplicas: 2, maxReplicas: 2 });
    const base = generateInitialSquidAssignment([b, a], 2);
    assert.deepEqual(base[0]?.resources, [a, b]);
    const result = runAlgorithmForSquids({ config, availableResources: [a, b, bRestarted], base, loadMap: UNIFORM_LOAD_MAP });
    for (const s of result.slices) assert.deepEqual(s.resources, [a, bRestarted]);
  });
});
