/**
 * RFC 6940 §9 TurnServer: the value stored under Kind TURN-SERVICE.
 *
 * ```
 * struct { uint8 iteration; IpAddressPort server_address; } TurnServer;
 * ```
 */
import { type Codec } from '../codec.js';
import { type IpAddressPort, IpAddressPortCodec } from '../ip-address-port.js';

/** §9 TurnServer. */
export interface TurnServer {
  /** The d value (1..turn-density) used to form this Resource Name (uint8). */
  iteration: number;
  /** Where the TURN server can be contacted. */
  serverAddress: IpAddressPort;
}

export const TurnServerCodec: Codec<TurnServer> = {
  encodedLength: (v) => 1 + IpAddressPortCodec.encodedLength(v.serverAddress),
  encode(v, w) {
    w.u8(v.iteration, 'TurnServer.iteration');
    IpAddressPortCodec.encode(v.serverAddress, w);
  },
  decode(r) {
    const iteration = r.u8('TurnServer.iteration');
    return { iteration, serverAddress: IpAddressPortCodec.decode(r) };
  },
};
