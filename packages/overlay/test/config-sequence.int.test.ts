/**
 * RFC 6940 §6.3.2.1: a request carrying an older configuration sequence is answered
 * Error_Config_Too_Old, and its sender gets a ConfigUpdate with the document in force.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type ConfigUpdateReq } from '@reload/wire';
import type { Peer } from '@reload/overlay';
import { makeOverlay, type TestOverlay, waitFor } from './helpers.js';

let o: TestOverlay;
afterAll(async () => {
  await o?.close();
});

describe('configuration sequence numbers (§6.3.2.1)', () => {
  it('answers Error_Config_Too_Old and sends the newer document in a ConfigUpdate', async () => {
    o = await makeOverlay(2, { sequence: 7 });
    const doc = new TextEncoder().encode('<overlay>…sequence 7…</overlay>');
    const a = await o.spawn(0, { configurationDocument: () => doc });
    a.createOverlay();
    const received: ConfigUpdateReq[] = [];
    const b = await o.spawn(1, {
      onConfigUpdate: (u) => {
        received.push(u);
        return Promise.resolve();
      },
    });
    await b.join(a.address, 20_000);
    // b falls behind: its configuration is now older than a's.
    (b as unknown as { config: Peer['config'] }).config = { ...b.config, sequence: 6 };
    await expect(b.ping({ kind: 'node', nodeId: a.nodeId })).rejects.toMatchObject({
      code: ErrorCode.ConfigTooOld,
    });
    await waitFor(() => received.length === 1, 5_000, 'the ConfigUpdate');
    const u = received[0];
    expect(u.type).toBe('config');
    expect(u.type === 'config' && new TextDecoder().decode(u.configData)).toBe(
      new TextDecoder().decode(doc),
    );
  }, 60_000);

  it('answers Error_Config_Too_New to a sender whose configuration is newer', async () => {
    const b = o.peers[1];
    (b as unknown as { config: Peer['config'] }).config = { ...b.config, sequence: 8 };
    await expect(b.ping({ kind: 'node', nodeId: o.peers[0].nodeId })).rejects.toMatchObject({
      code: ErrorCode.ConfigTooNew,
    });
  });
});
