import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { Assignment, SliceAssignment, Slice, SliceKey } from '@dicer-ts/common';
import { RoutingTable } from '../src/routing-table.js';
import { assignmentOf, gen, squid } from './fixtures/watch-server.js';

describe('RoutingTable', () => {
  it('finds the replicas of the slice holding each key', () => {
    const assignment = assignmentOf(1, [['http://a:1'], ['http://b:1', 'http://c:1']]);
    const table = RoutingTable.build(assignment);
    const low = SliceKey.fromBytes(new Uint8Array([0x10]));
    const high = SliceKey.fromBytes(new Uint8Array([0x90]));
    assert.deepEqual(table.slices.lookup(low).replicas.map((r) => r.key), ['http://a:1']);
    assert.deepEqual(table.slices.lookup(high).replicas.map((r) => r.key).sort(), ['http://b:1', 'http://c:1']);
    assert.deepEqual([...table.resources.keys()].sort(), ['http://a:1', 'http://b:1', 'http://c:1']);
  });

  it('keeps the request counters of resources that stay assigned', () => {
    const first = RoutingTable.build(assignmentOf(1, [['http://a:1'], ['http://b:1']]));
    first.resources.get('http://a:1')!.begin();
    first.resources.get('http://b:1')!.begin();
    const second = RoutingTable.build(assignmentOf(2, [['http://a:1'], ['http://c:1']]), first);
    assert.equal(second.resources.get('http://a:1'), first.resources.get('http://a:1'));
    assert.equal(second.resources.get('http://a:1')!.outstanding, 1);
    assert.equal(second.resources.get('http://c:1')!.outstanding, 0);
    assert.equal(second.resources.has('http://b:1'), false);
  });

  it('counts two SQUIDs of one address (a restarted pod) as one replica', () => {
    const generation = gen(1);
    const assignment = Assignment.create({
      generation,
      sliceAssignments: [SliceAssignment.create({ slice: Slice.FULL, generation, resources: [squid('http://a:1', 1n), squid('http://a:1', 2n), squid('http://b:1')] })],
    });
    const replicas = RoutingTable.build(assignment).slices.lookup(SliceKey.MIN).replicas;
    assert.deepEqual(replicas.map((r) => r.key), ['http://a:1', 'http://b:1']);
  });

  it('never lets a counter go below zero', () => {
    const table = RoutingTable.build(assignmentOf(1, [['http://a:1']]));
    const r = table.resources.get('http://a:1')!;
    r.end();
    assert.equal(r.outstanding, 0);
  });
});
