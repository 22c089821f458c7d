/**
 * Minimal pcap writer for the Wireshark checks: each payload becomes one Ethernet/IPv4/TCP
 * segment from 127.0.0.1:<srcPort> to 127.0.0.1:6084 (RELOAD's port, §14.2), on its own TCP
 * connection so that the dissector sees each frame from a stream start. Checksums are left
 * 0 (tshark does not validate them by default).
 */

/** One packet of the capture. */
export interface PcapPacket {
  /** TCP payload. */
  payload: Uint8Array;
  /** Source port (one TCP stream per distinct port). */
  srcPort: number;
  /** Destination port; default 6084. */
  dstPort?: number;
  /** Sequence number of the first payload byte; default 1. */
  seq?: number;
}

/** A classic pcap file (LINKTYPE_ETHERNET, microsecond timestamps) holding `packets`. */
export function writePcap(packets: PcapPacket[]): Uint8Array {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(0x40000, 16); // snaplen 262144
  g.writeUInt32LE(1, 20); // Ethernet
  parts.push(g);
  packets.forEach((p, i) => {
    const tcpLen = 20;
    const ipLen = 20 + tcpLen + p.payload.length;
    const frame = Buffer.alloc(14 + ipLen);
    // Ethernet: dst, src, type IPv4
    frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2], 0);
    frame.writeUInt16BE(0x0800, 12);
    // IPv4
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(ipLen, ip + 2);
    frame.writeUInt16BE(i & 0xffff, ip + 4);
    frame[ip + 8] = 64;
    frame[ip + 9] = 6;
    frame.set([127, 0, 0, 1], ip + 12);
    frame.set([127, 0, 0, 1], ip + 16);
    // TCP
    const t = ip + 20;
    frame.writeUInt16BE(p.srcPort, t);
    frame.writeUInt16BE(p.dstPort ?? 6084, t + 2);
    frame.writeUInt32BE(p.seq ?? 1, t + 4);
    frame.writeUInt32BE(1, t + 8);
    frame[t + 12] = 5 << 4;
    frame[t + 13] = 0x18; // PSH, ACK
    frame.writeUInt16BE(65535, t + 14);
    frame.set(p.payload, t + 20);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_764_115_200 + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return new Uint8Array(Buffer.concat(parts));
}
