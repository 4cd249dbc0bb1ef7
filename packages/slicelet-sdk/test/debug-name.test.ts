/** Conformance: `slicelet_test_data.json` (Dicer `SliceletSuiteBase`, debug-name suffix). */
import assert from 'node:assert/strict';
import { Target } from '@dicer-ts/common';
import { loadVector } from '@dicer-ts/test-harness';
import { describe, it } from 'mocha';
import { debugNameResource, formatSliceletDebugName, nextSliceletDebugName } from '../src/debug-name.js';

interface SliceletTestData {
  readonly slicelet_debug_name_test_cases: readonly { readonly hostname: string; readonly expected_debug_name_suffix: string }[];
}

describe('slicelet debug name', () => {
  const data = loadVector<SliceletTestData>('slicelet_test_data.json');

  it('has the vector cases', () => {
    assert.ok(data.slicelet_debug_name_test_cases.length >= 4);
  });

  for (const c of data.slicelet_debug_name_test_cases) {
    it(`names a Slicelet on ${c.hostname} S<n>${c.expected_debug_name_suffix}`, () => {
      const name = nextSliceletDebugName(Target.kubernetes('test-target'), c.hostname);
      assert.match(name, /^S\d+-/);
      assert.equal(name.slice(name.indexOf('-')), c.expected_debug_name_suffix);
    });
  }

  it('counts up by one per Slicelet', () => {
    const target = Target.kubernetes('test-target');
    const first = Number(/^S(\d+)-/.exec(nextSliceletDebugName(target, 'h'))![1]);
    const second = Number(/^S(\d+)-/.exec(nextSliceletDebugName(target, 'h'))![1]);
    assert.equal(second, first + 1);
  });

  it('keeps a host that does not start with a letter whole', () => {
    assert.equal(debugNameResource('1pod.svc'), '1pod.svc');
    assert.equal(debugNameResource('pod'), 'pod');
    assert.equal(formatSliceletDebugName(7, Target.kubernetes('cache'), 'pod-1.cache.svc'), 'S7-cache-pod-1');
  });
});
