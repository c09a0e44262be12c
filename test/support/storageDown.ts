/** The bot as Teams reaches it while its storage is gone: a real Azurite, closed before the turn. */
import { TestAdapter, type Activity } from 'botbuilder';
import { LeadBot } from '../../teams/leadBot';
import { silentLogger } from '../../services/logger';
import { makeApp } from './app';
import { startTestStorage } from './storage';

/** What the bot answers an invoke (status and body) when it cannot reach its storage. */
export async function invokeWithStorageDown(activity: object): Promise<{ status: number; body: unknown } | undefined> {
  const storage = await startTestStorage();
  const app = makeApp(await storage.freshTables());
  const bot = new LeadBot({ product: app.product, log: silentLogger, flameWindowHours: 72, allowedTenantIds: [] });
  const adapter = new TestAdapter(async (context) => bot.run(context));
  await storage.close();
  await adapter.processActivity(activity as Activity);
  return adapter.activeQueue.find((a) => a.type === 'invokeResponse')?.value as { status: number; body: unknown } | undefined;
}
