/**
 * Conformance: `target_test_data.json` (Dicer `TargetSuite`, `AppTargetSuite`),
 * `rfc1123_test_data.json` (`Rfc1123Suite`), `fatal_target_mismatch_test_data.json`
 * (`TargetHelperSuite`).
 */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { create } from '@bufbuild/protobuf';
import { loadVector } from '@dicer-ts/test-harness';
import { proto } from '@dicer-ts/common';
import { Target } from '../../src/model/target.js';
import { isRfc1123Label } from '../../src/model/rfc1123.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

interface TargetTestData {
  valid_target_names?: string[];
  invalid_target_names?: string[];
  invalid_uri_test_cases?: Array<{ description: string; cluster_uri: string; expected_error_message: string }>;
  valid_app_target_names?: string[];
  invalid_app_target_names?: string[];
  valid_instance_ids?: string[];
  invalid_instance_ids?: string[];
}

interface Rfc1123TestData {
  longest_valid_string: string;
  valid_strings?: string[];
  too_long_string: string;
  invalid_strings?: string[];
}

interface TargetPJson {
  name?: string;
  kubernetes_cluster_uri?: string;
  target_type?: 'TYPE_UNSPECIFIED' | 'KUBERNETES' | 'APP';
  instance_id?: string;
}

interface FatalMismatchTestData {
  fatally_mismatched_test_cases?: Array<{ description: string; target1: TargetPJson; target2: TargetPJson }>;
  matched_or_non_fatal_mismatched_test_cases?: Array<{ description: string; target1: TargetPJson; target2: TargetPJson }>;
}

const TARGET_FILE = 'target_test_data.json';
const targets = loadVector<TargetTestData>(TARGET_FILE);

describe(`vectors: ${TARGET_FILE}`, () => {
  const tally = new VectorTally(TARGET_FILE);
  for (const name of targets.valid_target_names ?? []) {
    tally.case(`accepts Kubernetes name ${JSON.stringify(name)}`, () => {
      const t = Target.kubernetes(name);
      assert.equal(t.toString(), name);
      assert.ok(Target.parse(t.toString()).equals(t));
      assert.ok(Target.fromProto(t.toProto()).equals(t));
    });
  }
  for (const name of targets.invalid_target_names ?? []) {
    tally.case(`rejects Kubernetes name ${JSON.stringify(name)}`, () => {
      throwsContaining(() => Target.kubernetes(name), 'Target name must match regex');
    });
  }
  for (const c of targets.invalid_uri_test_cases ?? []) {
    tally.case(`rejects cluster URI: ${c.description}`, () => {
      throwsContaining(() => Target.parse(`${c.cluster_uri}:valid-name`), c.expected_error_message);
    });
  }
  for (const name of targets.valid_app_target_names ?? []) {
    tally.case(`accepts App name ${JSON.stringify(name)}`, () => {
      const t = Target.app(name, 'a123');
      assert.equal(t.toString(), `appTarget:${name}:a123`);
      assert.ok(Target.parse(t.toString()).equals(t));
      assert.ok(Target.fromProto(t.toProto()).equals(t));
    });
  }
  for (const name of targets.invalid_app_target_names ?? []) {
    tally.case(`rejects App name ${JSON.stringify(name)}`, () => {
      throwsContaining(() => Target.app(name, 'a123'), `Name is invalid: ${name}`);
    });
  }
  for (const id of targets.valid_instance_ids ?? []) {
    tally.case(`accepts instance id ${JSON.stringify(id)}`, () => {
      const t = Target.app('name', id);
      assert.ok(Target.parse(t.toString()).equals(t));
    });
  }
  for (const id of targets.invalid_instance_ids ?? []) {
    tally.case(`rejects instance id ${JSON.stringify(id)}`, () => {
      throwsContaining(() => Target.app('name', id), `Instance ID is invalid: ${id}`);
    });
  }
});

const RFC_FILE = 'rfc1123_test_data.json';
const rfc = loadVector<Rfc1123TestData>(RFC_FILE);

describe(`vectors: ${RFC_FILE}`, () => {
  const tally = new VectorTally(RFC_FILE);
  tally.case('accepts longest_valid_string (63 characters)', () => {
    assert.equal(rfc.longest_valid_string.length, 63);
    assert.ok(isRfc1123Label(rfc.longest_valid_string));
  });
  tally.case('rejects too_long_string (64 characters)', () => {
    assert.equal(rfc.too_long_string.length, 64);
    assert.ok(!isRfc1123Label(rfc.too_long_string));
  });
  for (const s of rfc.valid_strings ?? []) tally.case(`accepts ${JSON.stringify(s)}`, () => assert.ok(isRfc1123Label(s)));
  for (const s of rfc.invalid_strings ?? []) tally.case(`rejects ${JSON.stringify(s)}`, () => assert.ok(!isRfc1123Label(s)));
});

function targetP(json: TargetPJson): proto.ClientRequestP_TargetP {
  const p = create(proto.ClientRequestP_TargetPSchema);
  if (json.name !== undefined) p.name = json.name;
  if (json.kubernetes_cluster_uri !== undefined) p.kubernetesClusterUri = json.kubernetes_cluster_uri;
  if (json.target_type !== undefined) p.targetType = proto.ClientRequestP_TargetP_Type[json.target_type];
  if (json.instance_id !== undefined) p.instanceId = json.instance_id;
  return p;
}

const MISMATCH_FILE = 'fatal_target_mismatch_test_data.json';
const mismatch = loadVector<FatalMismatchTestData>(MISMATCH_FILE);

describe(`vectors: ${MISMATCH_FILE}`, () => {
  const tally = new VectorTally(MISMATCH_FILE);
  for (const c of mismatch.fatally_mismatched_test_cases ?? []) {
    tally.case(`fatal: ${c.description} (both orders)`, () => {
      const a = Target.fromProto(targetP(c.target1));
      const b = Target.fromProto(targetP(c.target2));
      assert.equal(Target.isFatalMismatch(a, b), true);
      assert.equal(Target.isFatalMismatch(b, a), true);
    });
  }
  for (const c of mismatch.matched_or_non_fatal_mismatched_test_cases ?? []) {
    tally.case(`not fatal: ${c.description} (both orders)`, () => {
      const a = Target.fromProto(targetP(c.target1));
      const b = Target.fromProto(targetP(c.target2));
      assert.equal(Target.isFatalMismatch(a, b), false);
      assert.equal(Target.isFatalMismatch(b, a), false);
    });
  }
});
