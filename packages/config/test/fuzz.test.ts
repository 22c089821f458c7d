/** Bad input never crashes the parser or the verifier: only ReloadErrors come out. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseConfigurationDocument,
  serializeConfiguration,
  verifyConfiguration,
} from '../src/index.js';

const example = new Uint8Array(
  readFileSync(new URL('./fixtures/rfc6940-example.xml', import.meta.url)),
);

function onlyReloadErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect((e as { name?: string }).name).toBe('ReloadError');
    expect(typeof (e as { code?: unknown }).code).toBe('string');
  }
}

describe('fuzz', () => {
  it('mutated RFC examples: parse and verify throw only ReloadErrors', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: example.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.nat({ max: example.length }), { nil: undefined }),
        (edits, cut) => {
          const bytes = example.slice(0, cut ?? example.length);
          for (const [at, v] of edits) if (at < bytes.length) bytes[at] = v;
          onlyReloadErrors(() => parseConfigurationDocument(bytes));
          onlyReloadErrors(() =>
            verifyConfiguration(bytes, { instanceName: 'overlay.example.org' }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random text: parse throws only ReloadErrors', () => {
    const piece = fc.constantFrom(
      '<',
      '>',
      '/',
      '"',
      "'",
      '=',
      ' ',
      '\n',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      '<?',
      '?>',
      'overlay',
      'configuration',
      'xmlns="urn:ietf:params:xml:ns:p2p:config-base"',
      'instance-name="a"',
      'signature',
      'kind',
      '&amp;',
      '&#0;',
      'é',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        onlyReloadErrors(() => parseConfigurationDocument(parts.join('')));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an xml: attribute without declaring the xml prefix', () => {
    const xml = `<overlay xmlns="urn:ietf:params:xml:ns:p2p:config-base"><configuration instance-name="a" xml:lang="en"/></overlay>`;
    const out = serializeConfiguration(parseConfigurationDocument(xml));
    expect(out).toContain(' xml:lang="en"');
    expect(parseConfigurationDocument(out).configurations[0]?.foreignAttributes[0]?.value).toBe(
      'en',
    );
  });
});
