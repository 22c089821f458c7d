// Readable summary of an encoded RELOAD message (a golden vector), used by `pnpm demo`.
// Imports the BUILT @reload/wire (run `tsc -b` first; `pnpm demo` does).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ERROR_CODES,
  ErrorResponseCodec,
  SIGNER_IDENTITY_TYPES,
  decodeExact,
  decodeMessage,
  messageCodeName,
} from '../packages/wire/dist/index.js';

const hex = (b) => Buffer.from(b).toString('hex');

function destination(d) {
  switch (d.kind) {
    case 'node':
      return `node ${hex(d.nodeId)}`;
    case 'resource':
      return `resource ${hex(d.resourceId)}`;
    case 'opaque':
      return `opaque ${hex(d.opaqueId)}`;
    case 'compressed':
      return `compressed 0x${d.id.toString(16)}`;
    default:
      return `type ${d.type} (${d.data.length} bytes)`;
  }
}

function list(ds) {
  return ds.length === 0 ? '(empty)' : ds.map(destination).join(', ');
}

function signer(identity) {
  const name = SIGNER_IDENTITY_TYPES.nameOf(identity.identityType);
  if ('certificateHash' in identity) return `${name} ${hex(identity.certificateHash)}`;
  if ('certificateNodeIdHash' in identity) return `${name} ${hex(identity.certificateNodeIdHash)}`;
  return name;
}

/**
 * Decodes the message in `path` and returns a multi-line summary: message code name,
 * transaction id, TTL, via and destination lists, body size, signer identity and the number
 * of certificates. Throws ReloadError(Error_Invalid_Message) when the file does not decode.
 */
export async function describeVector(path) {
  const bytes = new Uint8Array(await readFile(path));
  const m = decodeMessage(bytes);
  const h = m.forwardingHeader;
  const c = m.messageContents;
  const lines = [
    `${basename(path)}: ${messageCodeName(c.messageCode)} (0x${c.messageCode.toString(16)}), ${bytes.length} bytes`,
    `  transaction ${h.transactionId.toString(16).padStart(16, '0')}  ttl ${h.ttl}  overlay 0x${h.overlay.toString(16).padStart(8, '0')}  config seq ${h.configurationSequence}`,
    `  via: ${list(h.viaList)}`,
    `  destinations: ${list(h.destinationList)}`,
    `  body ${c.messageBody.length} bytes, ${c.extensions.length} extension(s)`,
  ];
  if (c.messageCode === 0xffff) {
    const e = decodeExact(ErrorResponseCodec, c.messageBody);
    lines.push(
      `  error ${ERROR_CODES.nameOf(e.errorCode)}: ${Buffer.from(e.errorInfo).toString()}`,
    );
  }
  lines.push(
    `  signed by ${signer(m.securityBlock.signature.identity)}; ${m.securityBlock.certificates.length} certificate(s)`,
  );
  return lines.join('\n');
}
