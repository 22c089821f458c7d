/**
 * Test payloads that look like RELOAD messages to the link layer: `relo_token` first and the
 * forwarding-header `length` equal to the size (§6.3.2), a 32-bit tag at offset 20, and a
 * deterministic fill.
 */
export const RELO_TOKEN = 0xd2454c4f;

/** A `size`-byte message (≥ 24) carrying `tag`. */
export function testMessage(size: number, tag: number): Uint8Array {
  if (size < 24) throw new Error('test messages need at least 24 bytes');
  const m = new Uint8Array(size);
  const dv = new DataView(m.buffer);
  dv.setUint32(0, RELO_TOKEN);
  dv.setUint32(4, 0x12345678);
  dv.setUint32(16, size);
  dv.setUint32(20, tag >>> 0);
  for (let i = 24; i < size; i++) m[i] = (i * 31 + tag) & 0xff;
  return m;
}

/** The tag of a {@link testMessage}. */
export function tagOf(m: Uint8Array): number {
  return new DataView(m.buffer, m.byteOffset, m.byteLength).getUint32(20);
}

/** True when `m` is intact for its size and tag. */
export function intact(m: Uint8Array): boolean {
  const tag = tagOf(m);
  const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
  if (dv.getUint32(0) !== RELO_TOKEN || dv.getUint32(16) !== m.length) return false;
  for (let i = 24; i < m.length; i++) if (m[i] !== ((i * 31 + tag) & 0xff)) return false;
  return true;
}
