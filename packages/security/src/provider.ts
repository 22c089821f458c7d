/**
 * One place that prepares `@peculiar/x509` for use on Node 20: the `reflect-metadata`
 * polyfill its dependency injection needs, and the WebCrypto provider (Node's own
 * `globalThis.crypto`). Every module that touches `@peculiar/x509` imports `x509` from here.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };
/** The WebCrypto implementation used for certificate and CSR building. */
export const subtle = webcrypto.subtle;
