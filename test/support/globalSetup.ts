/**
 * jest's global setup: a test PKI for the run (see testPki.ts). Set here, before any worker
 * starts, NODE_EXTRA_CA_CERTS makes every worker trust the loopback https servers the tests start,
 * as a deployment trusts its own CA, without the product being told anything.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSharedPki } from './testPki';

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'partner-leads-pki-'));
  await writeSharedPki(dir);
  process.env.TEST_PKI_DIR = dir;
  process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'root.pem');
}
