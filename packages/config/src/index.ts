/**
 * @reload/config — the RFC 6940 §11.1 configuration document: typed model, parser keeping
 * the exact signed bytes, serializer, RELAX NG schema (§11.1.1), configuration and kind
 * signatures, and the §11.2 discovery client. See README.md.
 */
export * from './constants.js';
export type * from './model.js';
export { parseConfigurationDocument } from './parse.js';
export { serializeConfiguration } from './serialize.js';
export { checkConfiguration, checkKind, RANGES } from './rules.js';
export {
  compareSequence,
  signConfiguration,
  signKinds,
  verifyConfiguration,
  verifyKindBlock,
  type RejectedKind,
  type SignerInfo,
  type SigningCredentials,
  type SignOptions,
  type VerifiedConfiguration,
  type VerifyOptions,
} from './signing.js';
export { certificateNodeIds } from './security-block.js';
export {
  RELAXNG_COMPACT_SCHEMA_PATH,
  RELAXNG_SCHEMA_PATH,
  validateWithXmllint,
  type XmllintResult,
} from './xmllint.js';
export * from './discovery.js';
