/**
 * Conformance: `client_request_test_data.json` and `client_response_test_data.json` (Dicer
 * `ClientRequestSuite`). Protos are read with protobuf-es `fromJson`, which keeps proto2 presence.
 */
import assert from 'node:assert/strict';
import { describe } from 'mocha';
import type { JsonValue } from '@bufbuild/protobuf';
import { loadVector } from '@dicer-ts/test-harness';
import { proto } from '@dicer-ts/common';
import { ClientRequest } from '../../src/model/client-request.js';
import { ClientResponse } from '../../src/model/client-response.js';
import { VectorTally, throwsContaining } from './vector-tally.js';

interface ClientRequestTestData {
  invalid_cases?: Array<{ case_name: string; client_request: JsonValue; expected_error_message: string }>;
  round_tripping_cases?: JsonValue[];
}

interface ClientResponseTestData {
  invalid_cases?: Array<{ case_name: string; client_response?: JsonValue; expected_error_message: string }>;
  round_tripping_cases?: Array<{ case_name: string; client_response: JsonValue }>;
}

/** The Assigner clusters Dicer's suite parses Slicelet requests for (constants of the Scala suite). */
const ASSIGNER_CLUSTERS = [
  'kubernetes-cluster:test-env/cloud1/public/region8/clustertype2/01',
  'kubernetes-cluster:test-env/cloud1/public/region1/clustertype3/01',
];

const REQUEST_FILE = 'client_request_test_data.json';
const requests = loadVector<ClientRequestTestData>(REQUEST_FILE);

describe(`vectors: ${REQUEST_FILE}`, () => {
  const tally = new VectorTally(REQUEST_FILE);
  for (const c of requests.invalid_cases ?? []) {
    tally.case(`invalid: ${c.case_name} fails with ${JSON.stringify(c.expected_error_message)}`, () => {
      throwsContaining(() => ClientRequest.fromProto(proto.fromJson(proto.ClientRequestPSchema, c.client_request)), c.expected_error_message);
    });
  }
  (requests.round_tripping_cases ?? []).forEach((json, i) => {
    const p = proto.fromJson(proto.ClientRequestPSchema, json);
    const isClerk = p.SubscriberDataP.case === 'clerkFields';
    // Clerk requests go through the client unmarshaller once; Slicelet requests through the
    // assigner unmarshaller of each Assigner cluster.
    const clusters: Array<string | undefined> = isClerk ? [undefined] : ASSIGNER_CLUSTERS;
    for (const cluster of clusters) {
      const how = cluster === undefined ? 'client unmarshaller' : `assigner unmarshaller for ${cluster}`;
      tally.case(`round_tripping_cases[${i}] (${isClerk ? 'clerk' : 'slicelet'}) via ${how}`, () => {
        const options = cluster === undefined ? {} : { assignerClusterUri: cluster };
        const request = ClientRequest.fromProto(p, options);
        if (cluster !== undefined && request.target.kind === 'kubernetes') {
          assert.notEqual(request.target.clusterUri, cluster, 'the own cluster must be dropped');
        }
        const back = ClientRequest.fromProto(request.toProto(), options);
        assert.ok(back.equals(request), `${back} != ${request}`);
        // The encoded bytes are stable across a second round trip.
        assert.deepEqual(
          proto.toBinary(proto.ClientRequestPSchema, back.toProto()),
          proto.toBinary(proto.ClientRequestPSchema, request.toProto()),
        );
      });
    }
  });
});

const RESPONSE_FILE = 'client_response_test_data.json';
const responses = loadVector<ClientResponseTestData>(RESPONSE_FILE);

describe(`vectors: ${RESPONSE_FILE}`, () => {
  const tally = new VectorTally(RESPONSE_FILE);
  for (const c of responses.invalid_cases ?? []) {
    tally.case(`invalid: ${c.case_name} fails with ${JSON.stringify(c.expected_error_message)}`, () => {
      const p = proto.fromJson(proto.ClientResponsePSchema, c.client_response ?? {});
      throwsContaining(() => ClientResponse.fromProto(p), c.expected_error_message);
    });
  }
  for (const c of responses.round_tripping_cases ?? []) {
    tally.case(`round trip: ${c.case_name}`, () => {
      const first = ClientResponse.fromProto(proto.fromJson(proto.ClientResponsePSchema, c.client_response));
      for (const encoding of ['message', 'serialized'] as const) {
        const bytes = proto.toBinary(proto.ClientResponsePSchema, first.toProto(encoding));
        const second = ClientResponse.fromProto(proto.fromBinary(proto.ClientResponsePSchema, bytes));
        assert.ok(second.equals(first), `${encoding}: ${second} != ${first}`);
      }
    });
  }
});
