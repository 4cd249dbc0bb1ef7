import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { create } from '@bufbuild/protobuf';
import { proto } from '@dicer-ts/common';
import { Target } from '../../src/model/target.js';

const CLUSTER = 'kubernetes-cluster:test-env/cloud1/public/region8/clustertype2/01';

describe('Target', () => {
  it('prints and parses a Kubernetes target with a cluster', () => {
    const t = Target.kubernetes('softstore', CLUSTER);
    assert.equal(t.toString(), `${CLUSTER}:softstore`);
    const back = Target.parse(t.toString());
    assert.ok(back.equals(t));
    assert.equal(back.kind, 'kubernetes');
  });

  it('writes the cluster only when known, and reads an absent type as Kubernetes', () => {
    const bare = Target.kubernetes('softstore').toProto();
    assert.equal(proto.isFieldSet(bare, proto.ClientRequestP_TargetPSchema.field.kubernetesClusterUri), false);
    assert.equal(bare.targetType, proto.ClientRequestP_TargetP_Type.KUBERNETES);
    const untyped = create(proto.ClientRequestP_TargetPSchema, { name: 'softstore', kubernetesClusterUri: CLUSTER });
    assert.ok(Target.fromProto(untyped).equals(Target.kubernetes('softstore', CLUSTER)));
  });

  it('requires an instance id for an App target on the wire', () => {
    const p = create(proto.ClientRequestP_TargetPSchema, { name: 'app', targetType: proto.ClientRequestP_TargetP_Type.APP });
    assert.throws(() => Target.fromProto(p), { message: /instanceId must be defined for AppTarget/ });
  });

  it('rejects a cluster URI that is not normalized or not opaque', () => {
    assert.throws(() => Target.kubernetes('a', `${CLUSTER}/`), /normalized/);
    assert.throws(() => Target.kubernetes('a', 'kubernetes-cluster:/a/b/c/d/e/f'), /opaque/);
    assert.throws(() => Target.kubernetes('a', 'not-a-valid-uri'), { message: /Expected a kubernetes-cluster URI, got: not-a-valid-uri/ });
  });

  it('drops the cluster with withoutCluster', () => {
    const t = Target.kubernetes('softstore', CLUSTER).withoutCluster();
    assert.equal(t.clusterUri, undefined);
    assert.equal(t.toString(), 'softstore');
  });
});
