import { strict as assert } from 'node:assert';
import { maxOverMean, renderView, shortGeneration, type ViewInput } from '../../src/index.js';

describe('renderView', () => {
  const input: ViewInput = {
    elapsedMs: 12_345,
    debugUrl: 'http://127.0.0.1:7777',
    store: 'in-memory',
    generation: '0#1795752660306 (2026-11-27T04:11:00.306Z)',
    sliceCount: 130,
    pods: [
      { name: 'cache-0', port: 5001, state: 'running', slices: 33, assignerLoad: 120.5, requestsPerSecond: 150, hitPercent: 80, misdirected: 0 },
      { name: 'cache-1', port: 5002, state: 'running', slices: 32, assignerLoad: 80, requestsPerSecond: 50, hitPercent: undefined, misdirected: 2 },
    ],
    load: {
      targetRate: 500,
      requestsPerSecond: 498,
      failed: 0,
      retries: 1,
      misdirectedPercent: 0.4,
      hitPercent: 75,
      hotKey: true,
      failedTotal: 3,
      requestsTotal: 6000,
    },
    events: ['  10s  hot key ON'],
    activity: 'hot key on',
  };

  it('shows the header, one row per pod, the totals and the events', () => {
    const text = renderView(input);
    assert.match(text, /^dicer-ts cache demo · 12s · store in-memory · generation …52660306 · 130 slices · debug page http:\/\/127\.0\.0\.1:7777/);
    assert.match(text, /cache-0 +5001 +running +33 +120\.5 +150 +80%/);
    assert.match(text, /cache-1 +5002 +running +32 +80\.0 +50 +- +2/);
    assert.match(text, /pod load max\/mean 1\.50/);
    assert.match(text, /498\/500 req\/s · hit 75% · misdirected 0\.40% · failed 0 \(total 3 of 6000\) · retries 1 · hot key ON/);
    assert.match(text, /now: hot key on/);
    assert.match(text, /events:\n +10s  hot key ON/);
  });

  it('says the load generator is starting before its first stats', () => {
    assert.match(renderView({ ...input, load: undefined, events: [] }), /load generator: starting[\s\S]*\(none yet\)/);
  });
});

describe('maxOverMean', () => {
  it('is max / mean, and 1 without rates', () => {
    assert.equal(maxOverMean([1, 2, 3]), 1.5);
    assert.equal(maxOverMean([]), 1);
    assert.equal(maxOverMean([0, 0]), 1);
  });
});

describe('shortGeneration', () => {
  it('keeps the tail of a long generation number', () => {
    assert.equal(shortGeneration('0#1795752660306 (2026-11-27T04:11:00.306Z)'), '…52660306');
    assert.equal(shortGeneration('3#5'), '3#5');
    assert.equal(shortGeneration(undefined), '-');
  });
});
