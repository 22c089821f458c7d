import { describe, expect, it } from 'vitest';
import {
  ADDRESS_TYPES,
  APPLICATION_IDS,
  CAND_TYPES,
  CHORD_LEAVE_TYPES,
  CHORD_UPDATE_TYPES,
  CONFIG_UPDATE_TYPES,
  DESTINATION_TYPES,
  ERROR_CODES,
  ErrorCode,
  FORWARDING_OPTION_TYPES,
  FRAGMENT_UNFRAGMENTED,
  FRAMED_MESSAGE_TYPES,
  KIND_DATA_MODELS,
  KIND_IDS,
  KindId,
  MESSAGE_CODES,
  MESSAGE_EXTENSION_TYPES,
  MessageCode,
  OVERLAY_LINK_TYPES,
  PROBE_INFORMATION_TYPES,
  RELO_TOKEN,
  RELOAD_VERSION,
  SIGNER_IDENTITY_TYPES,
  isRequest,
  isResponse,
  messageCodeName,
  responseCodeFor,
} from '@reload/wire';
import { thrownBy } from './message-helpers.js';

describe('RFC 6940 constants (§14 tables)', () => {
  it('has the §14.8 message codes with their pairing rule', () => {
    const expected: [string, number][] = [
      ['probe_req', 1],
      ['probe_ans', 2],
      ['attach_req', 3],
      ['attach_ans', 4],
      ['store_req', 7],
      ['store_ans', 8],
      ['fetch_req', 9],
      ['fetch_ans', 0xa],
      ['find_req', 0xd],
      ['find_ans', 0xe],
      ['join_req', 0xf],
      ['join_ans', 0x10],
      ['leave_req', 0x11],
      ['leave_ans', 0x12],
      ['update_req', 0x13],
      ['update_ans', 0x14],
      ['route_query_req', 0x15],
      ['route_query_ans', 0x16],
      ['ping_req', 0x17],
      ['ping_ans', 0x18],
      ['stat_req', 0x19],
      ['stat_ans', 0x1a],
      ['app_attach_req', 0x1d],
      ['app_attach_ans', 0x1e],
      ['config_update_req', 0x21],
      ['config_update_ans', 0x22],
      ['exp_a_req', 0x23],
      ['exp_a_ans', 0x24],
      ['exp_b_req', 0x25],
      ['exp_b_ans', 0x26],
      ['error', 0xffff],
    ];
    for (const [name, code] of expected) {
      expect(MESSAGE_CODES.byName(name)?.code).toBe(code);
      expect(messageCodeName(code)).toBe(name);
      if (name.endsWith('_req')) {
        expect(isRequest(code)).toBe(true);
        expect(messageCodeName(responseCodeFor(code))).toBe(name.replace(/_req$/, '_ans'));
      } else {
        expect(isRequest(code)).toBe(false);
      }
    }
    expect(MESSAGE_CODES.byCode(MessageCode.store_req)?.section).toBe('RFC 6940 §7.4.1');
    expect(messageCodeName(0x5)).toBe('unassigned(0x5)');
    expect(messageCodeName(0x8000)).toBe('reserved(0x8000)');
    expect(isResponse(0x8)).toBe(true);
    expect(isResponse(0xffff)).toBe(false);
    expect(isRequest(0xffff)).toBe(false);
    expect((thrownBy(() => responseCodeFor(2)) as { code: string }).code).toBe(
      'WIRE_NOT_A_REQUEST',
    );
  });

  it('keeps the error-code table in sync with ErrorCode (§14.9)', () => {
    expect(ERROR_CODES.entries).toHaveLength(Object.keys(ErrorCode).length);
    expect(ERROR_CODES.byName('Error_Forbidden')?.code).toBe(ErrorCode.Forbidden);
    expect(ERROR_CODES.nameOf(0x14)).toBe('Error_Invalid_Message');
    expect(ERROR_CODES.nameOf(0x99)).toBe('unknown(0x99)');
  });

  it('has the small enums with their RFC values', () => {
    expect(ADDRESS_TYPES.nameOf(2)).toBe('ipv6_address');
    expect(DESTINATION_TYPES.nameOf(3)).toBe('opaque_id_type');
    expect(FORWARDING_OPTION_TYPES.nameOf(1)).toBe('exp-forward');
    expect(MESSAGE_EXTENSION_TYPES.nameOf(0xffff)).toBe('Reserved');
    expect(PROBE_INFORMATION_TYPES.nameOf(3)).toBe('uptime');
    expect(OVERLAY_LINK_TYPES.nameOf(4)).toBe('TLS-TCP-FH-NO-ICE');
    expect(OVERLAY_LINK_TYPES.byCode(2)).toBeUndefined();
    expect(CAND_TYPES.nameOf(4)).toBe('relay');
    expect(CAND_TYPES.byCode(3)).toBeUndefined();
    expect(CONFIG_UPDATE_TYPES.nameOf(2)).toBe('kind');
    expect(CHORD_UPDATE_TYPES.nameOf(3)).toBe('full');
    expect(CHORD_LEAVE_TYPES.nameOf(2)).toBe('from_pred');
    expect(FRAMED_MESSAGE_TYPES.nameOf(129)).toBe('ack');
    expect(SIGNER_IDENTITY_TYPES.nameOf(1)).toBe('cert_hash');
    expect(KIND_IDS.nameOf(0x10)).toBe('CERTIFICATE_BY_USER');
    expect(KIND_IDS.byCode(1)?.section).toBe('RFC 7904 §7');
    expect(APPLICATION_IDS.nameOf(5060)).toBe('SIP');
    expect(RELO_TOKEN).toBe(0xd2454c4f);
    expect(RELOAD_VERSION).toBe(0x0a);
    expect(FRAGMENT_UNFRAGMENTED).toBe(0xc0000000);
  });

  it('has unique names and codes in every table, each with a section', () => {
    for (const t of [
      MESSAGE_CODES,
      ERROR_CODES,
      ADDRESS_TYPES,
      DESTINATION_TYPES,
      FORWARDING_OPTION_TYPES,
      MESSAGE_EXTENSION_TYPES,
      PROBE_INFORMATION_TYPES,
      OVERLAY_LINK_TYPES,
      CAND_TYPES,
      CONFIG_UPDATE_TYPES,
      CHORD_UPDATE_TYPES,
      CHORD_LEAVE_TYPES,
      FRAMED_MESSAGE_TYPES,
      SIGNER_IDENTITY_TYPES,
      KIND_IDS,
      APPLICATION_IDS,
    ]) {
      const codes = new Set(t.entries.map((e) => e.code));
      const names = new Set(t.entries.map((e) => e.name));
      expect(codes.size, t.registry).toBe(t.entries.length);
      expect(names.size, t.registry).toBe(t.entries.length);
      for (const e of t.entries) expect(e.section, `${t.registry}.${e.name}`).toMatch(/^RFC \d+ §/);
    }
  });

  it('gives each built-in Kind its RFC data model (TURN-SERVICE is SINGLE, §9)', () => {
    // RFC 6940 §9: "The TURN-SERVICE Kind stores a single value for each Resource-ID".
    expect(KIND_DATA_MODELS.get(KindId['TURN-SERVICE'])).toBe('SINGLE');
    // RFC 6940 §8: both certificate Kinds are arrays.
    expect(KIND_DATA_MODELS.get(KindId.CERTIFICATE_BY_NODE)).toBe('ARRAY');
    expect(KIND_DATA_MODELS.get(KindId.CERTIFICATE_BY_USER)).toBe('ARRAY');
    // RFC 7904 §7 SIP-REGISTRATION: dictionary keyed by URI.
    expect(KIND_DATA_MODELS.get(KindId['SIP-REGISTRATION'])).toBe('DICTIONARY');
    expect(KIND_DATA_MODELS.get(KindId.INVALID)).toBeUndefined();
  });
});
