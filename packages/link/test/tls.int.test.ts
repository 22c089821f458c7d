import { runLinkComplianceSuite } from './compliance.js';
import { tlsHarness } from './helpers/tls-harness.js';

runLinkComplianceSuite('TLS 1.3 over TCP', (o) => tlsHarness(o, 'TLSv1.3'));
runLinkComplianceSuite('TLS 1.2 over TCP', (o) => tlsHarness(o, 'TLSv1.2'));
