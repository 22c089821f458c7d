/**
 * One error registry for the whole project (house style §4).
 *
 * A {@link ReloadError} carries either an RFC 6940 error code (§6.3.3.1, a number such as
 * `ErrorCode.Forbidden = 2`) when the error is meant to be answered on the wire, or a
 * string code for local failures (`'CERT_EXPIRED'`, `'CONFIG_SIGNATURE_INVALID'` …).
 * Check errors by `code`, never by `instanceof` across packages: use {@link isReloadError}.
 */

/** RFC 6940 §6.3.3.1 / §14.9 error codes (uint16 on the wire). */
export const ErrorCode = {
  Forbidden: 0x0002,
  NotFound: 0x0003,
  RequestTimeout: 0x0004,
  GenerationCounterTooLow: 0x0005,
  IncompatibleWithOverlay: 0x0006,
  UnsupportedForwardingOption: 0x0007,
  DataTooLarge: 0x0008,
  DataTooOld: 0x0009,
  TtlExceeded: 0x000a,
  MessageTooLarge: 0x000b,
  UnknownKind: 0x000c,
  UnknownExtension: 0x000d,
  ResponseTooLarge: 0x000e,
  ConfigTooOld: 0x000f,
  ConfigTooNew: 0x0010,
  InProgress: 0x0011,
  ExpA: 0x0012,
  ExpB: 0x0013,
  InvalidMessage: 0x0014,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** RFC names of the error codes, as printed in §14.9 (e.g. `Error_Forbidden`). */
export const ERROR_CODE_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0002, 'Error_Forbidden'],
  [0x0003, 'Error_Not_Found'],
  [0x0004, 'Error_Request_Timeout'],
  [0x0005, 'Error_Generation_Counter_Too_Low'],
  [0x0006, 'Error_Incompatible_with_Overlay'],
  [0x0007, 'Error_Unsupported_Forwarding_Option'],
  [0x0008, 'Error_Data_Too_Large'],
  [0x0009, 'Error_Data_Too_Old'],
  [0x000a, 'Error_TTL_Exceeded'],
  [0x000b, 'Error_Message_Too_Large'],
  [0x000c, 'Error_Unknown_Kind'],
  [0x000d, 'Error_Unknown_Extension'],
  [0x000e, 'Error_Response_Too_Large'],
  [0x000f, 'Error_Config_Too_Old'],
  [0x0010, 'Error_Config_Too_New'],
  [0x0011, 'Error_In_Progress'],
  [0x0012, 'Error_Exp_A'],
  [0x0013, 'Error_Exp_B'],
  [0x0014, 'Error_Invalid_Message'],
]);

/** Options of a {@link ReloadError}. */
export interface ReloadErrorOptions {
  /** Name of the structure field that failed, e.g. `ForwardingHeader.ttl`. */
  field?: string;
  /** Byte offset in the decoded buffer where the failure was found. */
  offset?: number;
  /** Extra info to be carried in an ErrorResponse `error_info` (§6.3.3.1). */
  info?: Uint8Array;
  /** Underlying cause. */
  cause?: unknown;
}

/**
 * The project's error type. `code` is a number for RFC 6940 wire errors (§6.3.3.1) or a
 * stable upper-snake-case string for local errors.
 */
export class ReloadError extends Error {
  /** RFC error code (number) or local error code (string). */
  readonly code: number | string;
  /** Field that failed, when known. */
  readonly field?: string;
  /** Byte offset of the failure, when known. */
  readonly offset?: number;
  /** Bytes for ErrorResponse.error_info, when the RFC defines them for this error. */
  readonly info?: Uint8Array;

  constructor(code: number | string, message: string, options: ReloadErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReloadError';
    this.code = code;
    if (options.field !== undefined) this.field = options.field;
    if (options.offset !== undefined) this.offset = options.offset;
    if (options.info !== undefined) this.info = options.info;
  }

  /** The RFC name of a numeric code (`Error_Forbidden`), or the string code itself. */
  get codeName(): string {
    return typeof this.code === 'number'
      ? (ERROR_CODE_NAMES.get(this.code) ?? `Error_0x${this.code.toString(16)}`)
      : this.code;
  }
}

/** True when `e` is a ReloadError (by shape, so it works across package copies). */
export function isReloadError(e: unknown): e is ReloadError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'ReloadError' &&
    (typeof (e as { code?: unknown }).code === 'number' ||
      typeof (e as { code?: unknown }).code === 'string')
  );
}

/**
 * A decoding failure: `Error_Invalid_Message` (0x14) semantics, naming the field and the
 * byte offset that failed. This is the only error the decoders throw.
 */
export function invalidMessage(field: string, offset: number, why: string): ReloadError {
  return new ReloadError(ErrorCode.InvalidMessage, `${field} at offset ${offset}: ${why}`, {
    field,
    offset,
  });
}
