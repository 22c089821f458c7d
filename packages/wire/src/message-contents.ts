/**
 * RFC 6940 §6.3.3 MessageContents / MessageExtension and §6.3.3.1 ErrorResponse.
 *
 * ```
 * enum { invalidMessageExtensionType(0), (2^16-1) } MessageExtensionType;
 * struct { MessageExtensionType type; Boolean critical;
 *          opaque extension_contents<0..2^32-1>; } MessageExtension;
 * struct { uint16 message_code; opaque message_body<0..2^32-1>;
 *          MessageExtension extensions<0..2^32-1>; } MessageContents;
 * public struct { uint16 error_code; opaque error_info<0..2^16-1>; } ErrorResponse;
 * ```
 */
import { type Codec, type Reader, type Writer, unencodable } from './codec.js';
import { invalidMessage } from './errors.js';

/** §6.3.3 MessageExtension. `contents` is a view of the decoded buffer. */
export interface MessageExtension {
  /** MessageExtensionType (uint16; 0 is invalid). */
  type: number;
  /** True when the recipient must understand it (else Error_Unknown_Extension). */
  critical: boolean;
  contents: Uint8Array;
}

/** §6.3.3 MessageContents. `messageBody` is the encoded method body (a view after decode). */
export interface MessageContents {
  /** §14.8 message code (uint16): odd = request, even = answer, 0xFFFF = error. */
  messageCode: number;
  messageBody: Uint8Array;
  extensions: MessageExtension[];
}

/** §6.3.3.1 ErrorResponse, the body of a message with code 0xFFFF. */
export interface ErrorResponse {
  /** §14.9 error code (uint16; 0 is invalid). */
  errorCode: number;
  /** Usually UTF-8 text (§6.3.3.1), up to 65535 bytes. */
  errorInfo: Uint8Array;
}

/** Codec for {@link MessageExtension} (RFC 6940 §6.3.3). */
export const MessageExtensionCodec: Codec<MessageExtension> = {
  encodedLength: (e) => 2 + 1 + 4 + e.contents.length,
  encode(e, w) {
    if (e.type === 0) throw unencodable('MessageExtension.type', 'invalid (0)');
    w.u16(e.type, 'MessageExtension.type');
    w.u8(e.critical ? 1 : 0, 'MessageExtension.critical');
    w.opaque(e.contents, 4, 'MessageExtension.extension_contents');
  },
  decode(r) {
    const at = r.pos;
    const type = r.u16('MessageExtension.type');
    if (type === 0) throw invalidMessage('MessageExtension.type', at, 'invalid (0)');
    const cAt = r.pos;
    const c = r.u8('MessageExtension.critical');
    // RFC 6940 §6.3.1.1: Boolean is false(0) or true(1).
    if (c > 1) throw invalidMessage('MessageExtension.critical', cAt, `Boolean ${c}`);
    return {
      type,
      critical: c === 1,
      contents: r.opaque(4, 'MessageExtension.extension_contents'),
    };
  },
};

function extensionsLength(list: readonly MessageExtension[]): number {
  let n = 0;
  for (const e of list) n += 7 + e.contents.length;
  return n;
}

/** True for codes a MessageContents may carry: not 0, not reserved 0x8000–0xFFFE (§6.3.3). */
export function isValidMessageCode(code: number): boolean {
  return (code >= 0x1 && code <= 0x7fff) || code === 0xffff;
}

/** A method body to encode in place, straight into the message buffer (no extra copy). */
export interface BodySource<T> {
  codec: Codec<T>;
  value: T;
}

/** Encoded MessageContents length when the body comes from `body` instead of messageBody. */
export function messageContentsLength(c: MessageContents, body?: BodySource<unknown>): number {
  const bodyLength = body ? body.codec.encodedLength(body.value) : c.messageBody.length;
  return 2 + 4 + bodyLength + 4 + extensionsLength(c.extensions);
}

/**
 * Writes MessageContents; when `body` is given, the body is encoded by its codec in place of
 * `c.messageBody` (which is then ignored).
 * @throws ReloadError('WIRE_UNENCODABLE').
 */
export function encodeMessageContentsInto(
  c: MessageContents,
  w: Writer,
  body?: BodySource<unknown>,
): void {
  if (!isValidMessageCode(c.messageCode)) {
    throw unencodable('MessageContents.message_code', `0x${c.messageCode.toString(16)}`);
  }
  w.u16(c.messageCode, 'MessageContents.message_code');
  if (body) {
    const at = w.beginVector(4, 'MessageContents.message_body');
    body.codec.encode(body.value, w);
    w.endVector(at, 4, 'MessageContents.message_body');
  } else {
    w.opaque(c.messageBody, 4, 'MessageContents.message_body');
  }
  const at = w.beginVector(4, 'MessageContents.extensions');
  for (const e of c.extensions) MessageExtensionCodec.encode(e, w);
  w.endVector(at, 4, 'MessageContents.extensions');
}

/** Codec for {@link MessageContents} (RFC 6940 §6.3.3). */
export const MessageContentsCodec: Codec<MessageContents> = {
  encodedLength: (c) => messageContentsLength(c),
  encode: (c, w) => encodeMessageContentsInto(c, w),
  decode(r: Reader) {
    const at = r.pos;
    const messageCode = r.u16('MessageContents.message_code');
    if (!isValidMessageCode(messageCode)) {
      throw invalidMessage(
        'MessageContents.message_code',
        at,
        `0x${messageCode.toString(16)} is invalid or reserved`,
      );
    }
    const messageBody = r.opaque(4, 'MessageContents.message_body');
    const extLen = r.u32('MessageContents.extensions');
    const saved = r.enter(extLen, 'MessageContents.extensions');
    const extensions =
      extLen === 0
        ? []
        : r.list(MessageExtensionCodec.decode, Infinity, 'MessageContents.extensions');
    r.leave(saved, 'MessageContents.extensions');
    return { messageCode, messageBody, extensions };
  },
};

/** Codec for {@link ErrorResponse} (RFC 6940 §6.3.3.1). */
export const ErrorResponseCodec: Codec<ErrorResponse> = {
  encodedLength: (e) => 2 + 2 + e.errorInfo.length,
  encode(e, w) {
    if (e.errorCode === 0) throw unencodable('ErrorResponse.error_code', 'invalid (0)');
    w.u16(e.errorCode, 'ErrorResponse.error_code');
    w.opaque(e.errorInfo, 2, 'ErrorResponse.error_info');
  },
  decode(r) {
    const at = r.pos;
    const errorCode = r.u16('ErrorResponse.error_code');
    if (errorCode === 0) throw invalidMessage('ErrorResponse.error_code', at, 'invalid (0)');
    return { errorCode, errorInfo: r.opaque(2, 'ErrorResponse.error_info') };
  },
};
