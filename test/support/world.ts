/**
 * The product in-process over a real (in-memory) Azurite: one or more instances sharing one
 * storage, a recording Teams gateway and a clock the test controls, with two subscribed
 * conversations (a team channel and a group chat).
 */
import type { LeadsApp } from '../../services/app/leadsApp';
import type { Logger } from '../../services/logger';
import type { Tables } from '../../services/storage/tables';
import { FakeClock, makeApp } from './app';
import { RecordingGateway } from './recordingGateway';
import { startTestStorage, type TestStorage } from './storage';

export const HOUR = 3_600_000;
/** The world's clock starts here. */
export const T0 = new Date('2026-11-02T09:00:00Z');

type WorldOptions = { instances?: number; env?: Record<string, string>; connected?: boolean; log?: Logger };

/** For a test file: starts its storage before its tests, closes it after, and returns the world factory. */
export function worldsOnOneStorage(): (options?: WorldOptions) => ReturnType<typeof productWorld> {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await startTestStorage();
  });
  afterAll(() => storage.close());
  return (options) => productWorld(storage, options);
}

export async function productWorld(storage: TestStorage, options: WorldOptions = {}) {
  const { tables, prefix: tablePrefix }: { tables: Tables; prefix: string } = await storage.fresh();
  const clock = new FakeClock(T0.getTime());
  const gateway = new RecordingGateway(clock.now);
  const apps: LeadsApp[] = Array.from({ length: options.instances ?? 1 }, (_, i) =>
    makeApp(tables, { clock, gateway: options.connected === false ? undefined : gateway, env: options.env, instanceId: `instance-${i}`, log: options.log }),
  );
  const [app] = apps as [LeadsApp];
  await app.conversations.save({ conversationId: '19:sales@thread.tacv2', scope: 'channel', subscribed: true, installed: true, reference: {} });
  await app.conversations.save({ conversationId: '19:chat@thread.v2', scope: 'groupChat', subscribed: true, installed: true, reference: {} });
  const settle = () => Promise.all(apps.map((a) => a.settle()));
  /** A scheduler pass on every instance, then a send pass on every instance (whichever holds the sender lease sends). */
  const tick = async () => {
    for (const a of apps) a.tick();
    await settle();
    for (const a of apps) a.kickSends();
    await settle();
  };
  return { tables, tablePrefix, clock, gateway, apps, app, settle, tick };
}
