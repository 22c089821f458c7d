/**
 * Lexical rules for the XML Schema datatypes the §11.1.1 grammar uses, plus the ranges the
 * §11.1 prose adds. Each parser returns the value or a reason string (the caller names the
 * element and line). Values are whitespace-trimmed first (§11.1: "Whitespace and case
 * processing follows the rules of [OASIS.relax_ng] and XML Schema Datatypes").
 */
import { isIP } from 'node:net';

/** Inclusive integer range. */
export type Range = readonly [number, number];

/** xsd:int. */
export const INT: Range = [-2147483648, 2147483647];
/** xsd:unsignedInt. */
export const UNSIGNED_INT: Range = [0, 4294967295];
/** xsd:unsignedByte. */
export const UNSIGNED_BYTE: Range = [0, 255];

/** A value or the reason it was refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };

const XML_WS = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** Trims XML whitespace (space, tab, CR, LF) from both ends. */
export function xmlTrim(s: string): string {
  return s.replace(XML_WS, '');
}

/** Parses an integer in `range` (xsd integer lexical form: optional sign, digits). */
export function parseInteger(raw: string, range: Range): Parsed<number> {
  const s = xmlTrim(raw);
  if (!/^[+-]?[0-9]+$/.test(s)) return { ok: false, why: `'${s}' is not a number` };
  const v = Number(s);
  if (!Number.isSafeInteger(v) || v < range[0] || v > range[1])
    return { ok: false, why: `${s} is out of range ${range[0]}..${range[1]}` };
  return { ok: true, value: v === 0 ? 0 : v };
}

/** Parses an xsd:boolean ("true", "false", "1", "0"). */
export function parseBoolean(raw: string): Parsed<boolean> {
  const s = xmlTrim(raw);
  if (s === 'true' || s === '1') return { ok: true, value: true };
  if (s === 'false' || s === '0') return { ok: true, value: false };
  return { ok: false, why: `'${s}' is not a boolean (true, false, 1 or 0)` };
}

/**
 * Parses xsd:base64Binary: RFC 4648 alphabet, whitespace allowed anywhere, padding and the
 * unused bits of the last group canonical (so what we accept, xmllint accepts).
 */
export function parseBase64(raw: string): Parsed<Uint8Array> {
  const s = raw.replace(/[ \t\r\n]+/g, '');
  const short = s.length > 24 ? `${s.slice(0, 24)}…` : s;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    return { ok: false, why: `'${short}' is not base64` };
  const bytes = Buffer.from(s, 'base64');
  if (bytes.toString('base64') !== s)
    return { ok: false, why: `'${short}' is not canonical base64` };
  return { ok: true, value: new Uint8Array(bytes) };
}

/** Formats bytes as base64 in lines of `width` characters (0: one line). */
export function formatBase64(bytes: Uint8Array, width = 0, indent = ''): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  if (width <= 0 || s.length <= width) return s;
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(indent + s.slice(i, i + width));
  return `\n${lines.join('\n')}\n`;
}

const DATE_TIME =
  /^(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

/**
 * Parses an xsd:dateTime that carries a time zone, as RFC 3339 requires (§11.1 expiration:
 * "MUST conform to the Internet date/time format ... and be specified using UTC").
 */
export function parseDateTime(raw: string): Parsed<Date> {
  const s = xmlTrim(raw);
  const m = DATE_TIME.exec(s);
  if (m === null) return { ok: false, why: `'${s}' is not an RFC 3339 date-time with a time zone` };
  const [, , mo, d, h, mi, se] = m.map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
    return { ok: false, why: `'${s}' is not a valid date-time` };
  const t = Date.parse(s);
  if (Number.isNaN(t)) return { ok: false, why: `'${s}' is not a valid date-time` };
  return { ok: true, value: new Date(t) };
}

/** Formats a Date as RFC 3339 UTC without fractional seconds when they are zero. */
export function formatDateTime(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

/** Parses a Node-ID in hexadecimal (§11.1 kind-signer, configuration-signer, bad-node). */
export function parseNodeIdHex(raw: string): Parsed<string> {
  const s = xmlTrim(raw);
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(s))
    return { ok: false, why: `'${s}' is not a Node-ID in hexadecimal` };
  return { ok: true, value: s.toLowerCase() };
}

/** Parses an https: URL (§11.1 enrollment-server: "This URL MUST be of type https:"). */
export function parseHttpsUrl(raw: string): Parsed<string> {
  const s = xmlTrim(raw);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { ok: false, why: `'${s}' is not a URL` };
  }
  if (u.protocol !== 'https:') return { ok: false, why: `'${s}' is not an https: URL` };
  if (/[\s<>"{}|\\^`]/.test(s))
    return { ok: false, why: `'${s}' contains characters not allowed in a URI` };
  return { ok: true, value: s };
}

/** Checks an IPv4 or IPv6 address (§11.1 bootstrap-node address). */
export function parseIpAddress(raw: string): Parsed<string> {
  const s = xmlTrim(raw);
  if (isIP(s) === 0) return { ok: false, why: `'${s}' is not an IPv4 or IPv6 address` };
  return { ok: true, value: s };
}

/** Escapes text content for XML. */
export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value for XML (double-quoted). */
export function escapeAttr(s: string): string {
  return escapeText(s)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}
