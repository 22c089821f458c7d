/**
 * RFC 6940 §6.3.1.1 IpAddressPort.
 *
 * ```
 * enum { invalidAddressType(0), ipv4_address(1), ipv6_address(2), (255) } AddressType;
 * struct { uint32 addr; uint16 port; } IPv4AddrPort;
 * struct { uint128 addr; uint16 port; } IPv6AddrPort;
 * struct { AddressType type; uint8 length;
 *          select (type) { case ipv4_address: IPv4AddrPort v4addr_port;
 *                          case ipv6_address: IPv6AddrPort v6addr_port;
 *                          /* This structure can be extended *\/ }; } IpAddressPort;
 * ```
 *
 * `length` is the length of the rest of the structure, so an unknown address type can be
 * skipped: it decodes to `{ addressType, raw }` and re-encodes byte for byte.
 */
import { type Codec, type Reader, type Writer, unencodable } from './codec.js';
import { AddressType } from './constants.js';
import { invalidMessage } from './errors.js';

/** A decoded IpAddressPort. `address` is 4 (IPv4) or 16 (IPv6) bytes, a view after decode. */
export type IpAddressPort =
  | { addressType: 1; address: Uint8Array; port: number }
  | { addressType: 2; address: Uint8Array; port: number }
  /** An address type this implementation does not know: the `length` bytes kept raw. */
  | { addressType: number; raw: Uint8Array };

function bodyLength(v: IpAddressPort): number {
  if ('raw' in v) return v.raw.length;
  return v.addressType === AddressType.ipv4_address ? 6 : 18;
}

/** Codec for {@link IpAddressPort} (RFC 6940 §6.3.1.1). */
export const IpAddressPortCodec: Codec<IpAddressPort> = {
  encodedLength: (v) => 2 + bodyLength(v),
  encode(v: IpAddressPort, w: Writer) {
    if (v.addressType === AddressType.invalidAddressType) {
      throw unencodable('IpAddressPort.type', 'invalidAddressType (0)');
    }
    w.u8(v.addressType, 'IpAddressPort.type');
    if ('raw' in v) {
      if (v.addressType === 1 || v.addressType === 2) {
        throw unencodable('IpAddressPort', 'known address type given as raw bytes');
      }
      w.opaque(v.raw, 1, 'IpAddressPort.length');
      return;
    }
    if (v.addressType === AddressType.ipv4_address) {
      w.u8(6, 'IpAddressPort.length');
      w.fixed(v.address, 4, 'IPv4AddrPort.addr');
    } else if (v.addressType === AddressType.ipv6_address) {
      w.u8(18, 'IpAddressPort.length');
      w.fixed(v.address, 16, 'IPv6AddrPort.addr');
    } else {
      throw unencodable(
        'IpAddressPort.type',
        `unknown type ${(v as { addressType: number }).addressType} needs raw bytes`,
      );
    }
    w.u16(v.port, 'IpAddressPort.port');
  },
  decode(r: Reader): IpAddressPort {
    const at = r.pos;
    const addressType = r.u8('IpAddressPort.type');
    const lenAt = r.pos;
    const length = r.u8('IpAddressPort.length');
    switch (addressType) {
      case AddressType.invalidAddressType:
        throw invalidMessage('IpAddressPort.type', at, 'invalidAddressType (0)');
      case AddressType.ipv4_address: {
        if (length !== 6) throw invalidMessage('IpAddressPort.length', lenAt, `${length} ≠ 6`);
        const address = r.bytes(4, 'IPv4AddrPort.addr');
        return { addressType, address, port: r.u16('IPv4AddrPort.port') };
      }
      case AddressType.ipv6_address: {
        if (length !== 18) throw invalidMessage('IpAddressPort.length', lenAt, `${length} ≠ 18`);
        const address = r.bytes(16, 'IPv6AddrPort.addr');
        return { addressType, address, port: r.u16('IPv6AddrPort.port') };
      }
      default:
        return { addressType, raw: r.bytes(length, 'IpAddressPort.raw') };
    }
  },
};

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i])) return undefined;
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | undefined {
  let head = s;
  let v4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.') && lastColon >= 0) {
    v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    head = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(all[i])) return undefined;
    const n = parseInt(all[i], 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/**
 * Builds an IpAddressPort from a textual address (`192.0.2.1`, `2001:db8::1`, optionally in
 * brackets) and a port (0–65535).
 * @throws ReloadError('WIRE_UNENCODABLE') when the address or port is not valid.
 */
export function ipAddressPort(address: string, port: number): IpAddressPort {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw unencodable('IpAddressPort.port', `${port} is not a port`);
  }
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIpv4(a);
  if (v4) return { addressType: AddressType.ipv4_address, address: v4, port };
  const v6 = a.includes(':') ? parseIpv6(a) : undefined;
  if (v6) return { addressType: AddressType.ipv6_address, address: v6, port };
  throw unencodable('IpAddressPort.addr', `${address} is not an IPv4 or IPv6 address`);
}

/**
 * Text form of an IpAddressPort's address: dotted quad, RFC 5952 IPv6 (lower case, longest
 * zero run compressed), or `type<N>:<hex>` for an unknown address type.
 */
export function formatIpAddress(v: IpAddressPort): string {
  if ('raw' in v) return `type${v.addressType}:${Buffer.from(v.raw).toString('hex')}`;
  if (v.addressType === AddressType.ipv4_address) return [...v.address].join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((v.address[i] << 8) | v.address[i + 1]);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** `address:port` (IPv6 in brackets) of an IpAddressPort, for logs and the CLI. */
export function formatIpAddressPort(v: IpAddressPort): string {
  if ('raw' in v) return formatIpAddress(v);
  const a = formatIpAddress(v);
  return v.addressType === AddressType.ipv6_address ? `[${a}]:${v.port}` : `${a}:${v.port}`;
}
