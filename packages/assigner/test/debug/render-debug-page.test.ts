import assert from 'node:assert/strict';
import { SliceKey } from '@dicer-ts/common';
import type { DebugSnapshot, DebugTarget } from '../../src/debug/debug-snapshot.js';
import { keyPosition } from '../../src/debug/debug-snapshot.js';
import { renderDebugPage, renderPreferredAssigner } from '../../src/debug/render-debug-page.js';
import { KEY_SPACE_WIDTH, podColour, renderKeySpaceSvg } from '../../src/debug/render-key-space.js';

const target: DebugTarget = {
  target: 'demo-cache',
  name: 'demo-cache',
  generation: '0#1000 (1970-01-01T00:00:01Z)',
  isFrozen: false,
  slices: [
    { slice: '["" .. 0x40)', start: 0, end: 0.25, resources: ['https://pod1:8080'], load: 10, generation: 'g' },
    { slice: '[0x40 .. ∞)', start: 0.25, end: 1, resources: ['https://pod2:8080', 'https://pod<3>:8080'], load: 10, generation: 'g' },
  ],
  pods: [
    { address: 'https://pod1:8080', uuid: 'u1', state: 'running', reported: 'running', expiresInMs: 25_000, load: 10, sliceCount: 1 },
    { address: 'https://pod2:8080', uuid: 'u2', state: 'terminating', reported: 'terminating', expiresInMs: 1000, load: 5, sliceCount: 1 },
  ],
  generations: [
    {
      atMs: 0,
      reason: 'health-change',
      outcome: 'committed',
      generation: '0#1000',
      churn: { removal: 0.5, addition: 0, loadBalancing: 0 },
      slices: 2,
      algorithmMs: 1.5,
    },
  ],
  lastWatchAgoMs: 1000,
  stateTransfers: [{ id: 7, slice: '[0x40 .. ∞)', from: 'https://pod1:8080', to: 'https://pod<3>:8080', ageMs: 4_000 }],
  config: { maxLoadHint: 1000 },
};

describe('renderKeySpaceSvg', () => {
  it('draws one rectangle per slice replica, as wide as its key range', () => {
    const svg = renderKeySpaceSvg(target);
    const rects = [...svg.matchAll(/<rect class="slice" data-pod="([^"]*)" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)];
    assert.equal(rects.length, 3);
    assert.equal(Number(rects[0]![3]), 0.25 * KEY_SPACE_WIDTH);
    assert.equal(Number(rects[1]![2]), 0.25 * KEY_SPACE_WIDTH);
    assert.equal(Number(rects[1]![3]), 0.75 * KEY_SPACE_WIDTH);
  });

  it('names every pod in the legend, escaped', () => {
    const svg = renderKeySpaceSvg(target);
    for (const pod of ['https://pod1:8080', 'https://pod2:8080', 'https://pod&lt;3&gt;:8080']) assert.ok(svg.includes(`data-pod="${pod}"`), pod);
    assert.ok(!svg.includes('pod<3>'));
  });

  it('shades denser slices darker', () => {
    const svg = renderKeySpaceSvg(target);
    const opacities = [...svg.matchAll(/fill-opacity="([\d.]+)"/g)].map((m) => Number(m[1]));
    assert.ok(opacities[0]! > opacities[1]!, `${opacities}`);
  });

  it('gives a pod the same colour everywhere', () => {
    assert.equal(podColour('https://pod1:8080'), podColour('https://pod1:8080'));
    assert.notEqual(podColour('https://pod1:8080'), podColour('https://pod2:8080'));
  });
});

describe('keyPosition', () => {
  it('places keys by their leading bytes', () => {
    assert.equal(keyPosition(SliceKey.MIN), 0);
    assert.equal(keyPosition(SliceKey.fromBytes(new Uint8Array([0x80]))), 0.5);
  });
});

describe('renderDebugPage', () => {
  it('shows the picture, the pods table and the generations with their reason', () => {
    const snapshot: DebugSnapshot = {
      assigner: { grpcAddress: '127.0.0.1:24500', storeIncarnation: '0', startedAtMs: 0, nowMs: 5000 },
      preferredAssigner: { role: 'PREFERRED_BECAUSE_PA_DISABLED', preferredUri: undefined, generation: undefined },
      configuredTargets: ['demo-cache', 'idle-target'],
      targets: [target],
    };
    const html = renderDebugPage(snapshot);
    assert.match(html, /<svg[^>]*class="key-space"/);
    assert.match(html, /<table class="pods">/);
    assert.ok(html.includes('terminating'));
    assert.ok(html.includes('health-change'));
    assert.ok(html.includes('50.0%'), 'removal churn');
    assert.ok(html.includes('no generator yet: idle-target'));
    assert.ok(html.includes('href="/metrics"'));
    assert.ok(html.includes('Preferred because preferred-assigner mode is disabled'));
  });

  it('shows the state transfers in flight with source, owner and age, escaped', () => {
    const html = renderDebugPage({
      assigner: { grpcAddress: '127.0.0.1:24500', storeIncarnation: '0', startedAtMs: 0, nowMs: 5000 },
      preferredAssigner: { role: 'PREFERRED_BECAUSE_PA_DISABLED', preferredUri: undefined, generation: undefined },
      configuredTargets: ['demo-cache'],
      targets: [target, { ...target, target: 'other', name: 'other', stateTransfers: [] }],
    });
    assert.ok(html.includes('<h3>State transfers in flight</h3>'));
    assert.match(html, /<table class="state-transfers">.*<td><code>\[0x40 \.\. ∞\)<\/code><\/td><td>https:\/\/pod1:8080 → https:\/\/pod&lt;3&gt;:8080<\/td><td>4 s<\/td><td>7<\/td>/);
    assert.ok(html.includes('No state transfers in flight.'), 'the target without transfers');
    assert.ok(!html.includes('pod<3>'));
  });
});

describe('renderPreferredAssigner', () => {
  it('shows the role, the preferred URI and the record generation', () => {
    const line = renderPreferredAssigner({ role: 'STANDBY', preferredUri: 'https://10.0.0.8:24500', generation: '2#5 (x)' });
    assert.equal(line, 'STANDBY · preferred: https://10.0.0.8:24500 · PA generation: <code>2#5 (x)</code>');
  });

  it('says none when the record names no Assigner, and explains a disabled mode', () => {
    assert.match(renderPreferredAssigner({ role: 'STANDBY', preferredUri: undefined, generation: '2#6 (x)' }), /^STANDBY · preferred: none · /);
    assert.equal(
      renderPreferredAssigner({ role: 'PREFERRED_BECAUSE_PA_DISABLED', preferredUri: undefined, generation: undefined }),
      'Preferred because preferred-assigner mode is disabled',
    );
  });
});
