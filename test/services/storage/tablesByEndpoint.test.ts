/**
 * Azure Tables by endpoint, as the app reaches them in Azure: no key, a bearer token from its
 * managed identity (App Service's IDENTITY_ENDPOINT), over https only. Azurite stands in for Azure
 * Storage with `--oauth basic` (it checks the token's audience, issuer and times) and the test
 * PKI's certificate; a loopback fake stands in for the managed identity endpoint.
 */
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { silentLogger } from '../../../services/logger';
import { openStorage, type Storage } from '../../../services/storage/storage';
import { FakeManagedIdentity } from '../../support/fakeAzure';
import { startAzurite, type AzuriteProcess } from '../../support/processes';
import { sharedPki } from '../../support/testPki';

let azurite: AzuriteProcess;
const identity = new FakeManagedIdentity();
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  const pki = await sharedPki();
  [azurite] = await Promise.all([startAzurite({ tls: { certFile: path.join(pki.dir, 'tls.pem'), keyFile: path.join(pki.dir, 'tls-key.pem') } }), identity.start()]);
  // What App Service gives the app; read by the Azure SDK once per process, before the first token.
  for (const [name, value] of Object.entries(identity.env())) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
}, 60_000);
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([azurite?.stop(), identity.stop()]);
});

describe('tables by endpoint, with the managed identity', () => {
  let storage: Storage;
  afterEach(() => storage?.close());

  it('creates the tables, writes and reads with a token the managed identity gave for Storage (needed: without one the endpoint opens nothing), and answers readiness', async () => {
    await expect(new TableClient(azurite.endpoint, 'byEndpointMeta').getEntity('probe', 'one')).rejects.toMatchObject({ statusCode: 403 });
    storage = await openStorage({ endpoint: azurite.endpoint, dataDir: '', tablePrefix: 'byEndpoint', log: silentLogger });

    expect(storage.kind).toBe('azure');
    await storage.tables.Meta.upsertEntity({ partitionKey: 'probe', rowKey: 'one', value: 42 });
    expect((await storage.tables.Meta.getEntity<{ value: number }>('probe', 'one')).value).toBe(42);
    await expect(storage.ping()).resolves.toBeUndefined();
    expect(identity.requests.map((r) => [r.resource, r.clientId])).toContainEqual(['https://storage.azure.com', identity.env().AZURE_CLIENT_ID]);
  });
});
