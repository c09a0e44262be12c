/**
 * The product with the Partner Center sync on, in-process: the world of world.ts (instances over
 * one storage, a recording Teams gateway, a test clock) plus the loopback fake identity provider
 * (https, trusted through NODE_EXTRA_CA_CERTS) and the fake Partner Center it connects to.
 */
import { renderLeadCard } from '../../cards';
import type { LeadsApp } from '../../services/app/leadsApp';
import { AesTokenVault } from '../../services/partnerCenter/connection/tokenVault';
import { SyncStore } from '../../services/partnerCenter/syncStore';
import { FakeIdentity } from './fakeIdentity';
import { FakePartnerCenter, syncSettings } from './fakePartnerCenter';
import type { TestStorage } from './storage';
import { startTestStorage } from './storage';
import { sharedPki } from './testPki';
import { productWorld } from './world';

export interface SyncWorldOptions {
  instances?: number;
  env?: Record<string, string>;
  /** The sign-in the app starts from: a refresh token in the setting (default), or none (connect stores one). */
  bootstrap?: 'setting' | 'none';
  /** The fake Partner Center as unkind as the documented service (see FakePartnerCenter.unkind). */
  unkind?: boolean;
}

/** The sync tests run against both: the fake as the samples show the service, and as unkind as it is documented to be. */
export const FAKES = [
  ['kind', false],
  ['unkind', true],
] as const;

export async function syncWorld(storage: TestStorage, options: SyncWorldOptions = {}) {
  const pki = await sharedPki();
  const identity = await new FakeIdentity().start(pki.tls);
  const partnerCenter = await new FakePartnerCenter(identity).start();
  partnerCenter.unkind = options.unkind ?? false;
  await partnerCenter.startWebhooks(pki);
  const bootstrap = options.bootstrap === 'none' ? undefined : identity.issueRefreshToken();
  const env = { ...syncSettings(identity, partnerCenter, pki.rootFile, bootstrap), ...options.env };
  const world = await productWorld(storage, { instances: options.instances, env });
  partnerCenter.now = world.clock.now;
  const pull = async (app: LeadsApp = world.app) => {
    await app.partnerCenter!.poll();
    await world.settle();
  };
  /** Runs what is due of write-backs and sends (after the clock moved) and waits for it; what is due later is not waited for. */
  const writeBacks = async () => {
    for (const app of world.apps) {
      app.kickWriteBacks();
      app.kickSends();
    }
    await world.settle();
  };
  const close = async () => {
    await Promise.all(world.apps.map((a) => a.stop()));
    await partnerCenter.stop();
    await identity.stop();
  };
  /** The text of the lead's card as last posted or updated (English, the sync on): what people see now. */
  const cardText = (leadId: string): string => {
    const last = world.gateway.sent.filter((s) => s.message.kind === 'leadCard' && s.message.lead.id === leadId).at(-1);
    if (last?.message.kind !== 'leadCard') return '';
    return JSON.stringify(renderLeadCard(last.message.lead, { locale: 'en', now: world.clock.now(), flameWindowHours: 72, outside: last.message.outside }).content);
  };
  /** The sync's rows, read as the app reads them (its token opened with the app's key). */
  const syncStore = () => new SyncStore(world.tables.PartnerCenter, new AesTokenVault(Buffer.from(partnerCenter.tokenKey, 'base64')));
  return { ...world, pki, identity, partnerCenter, bootstrap, env, pull, writeBacks, cardText, syncStore, close };
}

/**
 * For a test file: its storage (started before its tests, closed after) and a factory of sync
 * worlds, each closed after the test that made it.
 */
export function syncWorldsOnOneStorage(defaults: SyncWorldOptions = {}) {
  let storage: TestStorage;
  const open: { close(): Promise<void> }[] = [];
  beforeAll(async () => {
    storage = await startTestStorage();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
  });
  afterAll(() => storage.close());
  return {
    storage: () => storage,
    async world(options?: SyncWorldOptions) {
      const made = await syncWorld(storage, { ...defaults, ...options });
      open.push(made);
      return made;
    },
  };
}
