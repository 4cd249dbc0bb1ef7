/**
 * Barrel of the generated wire schema (Dicer's protobuf messages, enums and services), re-exported
 * from the package index as the single namespace `proto`, e.g. `proto.ClientRequestPSchema`.
 *
 * The `src/gen` folder is produced by `npm run gen` (buf + protoc-gen-es v2) from `proto/` and is
 * wiped on every regeneration, which is why this barrel lives outside it.
 *
 * @packageDocumentation
 */
export * from './gen/dicer/friend/proto/friend_pb.js';
export * from './gen/dicer/common/proto/common_pb.js';
export * from './gen/dicer/assigner/proto/preferred_assigner_pb.js';
export * from './gen/caching/external/proto/config_scope_specification_pb.js';
export * from './gen/dicer/external/proto/target_pb.js';
export * from './gen/dicer/common/proto/advanced_target_config_pb.js';

// The protobuf-es runtime functions that callers need with these schemas, so that other packages
// can build, encode and decode wire messages without depending on @bufbuild/protobuf themselves.
export {
  create,
  clone,
  equals,
  isFieldSet,
  clearField,
  toBinary,
  fromBinary,
  toJson,
  fromJson,
  toJsonString,
  fromJsonString,
} from '@bufbuild/protobuf';
export type { MessageShape, MessageInitShape } from '@bufbuild/protobuf';
