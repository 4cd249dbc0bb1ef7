/**
 * Conformance: `protocol_duration_test_data.json` (`ProtocolDurationSuite`) and
 * `build_info_test_data.json` (`BuildInfoSuite`).
 */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import { loadVector } from '@dicer-ts/test-harness';
import { checkDuration, isSupportedDuration } from '../../src/model/protocol-duration.js';
import type { DurationUnit } from '../../src/model/protocol-duration.js';
import { parseBuildInfo } from '../../src/build-info.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

type DurationCase = { name: string } & Partial<Record<DurationUnit, string>>;

interface ProtocolDurationTestData {
  valid_cases?: DurationCase[];
  invalid_cases?: DurationCase[];
}

interface BuildInfoTestData {
  test_cases?: Array<{
    input_branch_name: string;
    expected_build_info: {
      branch_name?: string;
      branch_name_label_value: string;
      commit_time_label_value: string;
      commit_time_epoch_millis: string;
      commit_hash_label_value: string;
    };
  }>;
}

function unitOf(c: DurationCase): [bigint, DurationUnit] {
  for (const unit of ['nanos', 'micros', 'millis', 'seconds'] as const) {
    const v = c[unit];
    if (v !== undefined) return [BigInt(v), unit];
  }
  throw new Error(`case without a value: ${c.name}`);
}

const DURATION_FILE = 'protocol_duration_test_data.json';
const durations = loadVector<ProtocolDurationTestData>(DURATION_FILE);

describe(`vectors: ${DURATION_FILE}`, () => {
  const tally = new VectorTally(DURATION_FILE);
  for (const c of durations.valid_cases ?? []) {
    tally.case(`accepts: ${c.name}`, () => {
      const [v, unit] = unitOf(c);
      assert.equal(isSupportedDuration(v, unit), true);
      assert.equal(checkDuration(v, unit), v);
    });
  }
  for (const c of durations.invalid_cases ?? []) {
    tally.case(`rejects: ${c.name}`, () => {
      const [v, unit] = unitOf(c);
      assert.equal(isSupportedDuration(v, unit), false);
      throwsContaining(() => checkDuration(v, unit), 'Exceeds maximum supported duration');
    });
  }
});

const BUILD_FILE = 'build_info_test_data.json';
const builds = loadVector<BuildInfoTestData>(BUILD_FILE);

describe(`vectors: ${BUILD_FILE}`, () => {
  const tally = new VectorTally(BUILD_FILE);
  for (const c of builds.test_cases ?? []) {
    tally.case(`parses ${c.input_branch_name}`, () => {
      const info = parseBuildInfo(c.input_branch_name);
      const e = c.expected_build_info;
      assert.deepEqual(info, {
        branchName: e.branch_name,
        branchNameLabelValue: e.branch_name_label_value,
        commitTimeLabelValue: e.commit_time_label_value,
        commitTimeEpochMs: BigInt(e.commit_time_epoch_millis),
        commitHashLabelValue: e.commit_hash_label_value,
      });
    });
  }
});
