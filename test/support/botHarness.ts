/**
 * The Teams bot in-process through botbuilder's TestAdapter, over the product on a real (in-memory)
 * Azurite, with one lead already received: turns, card clicks and typed commands as Teams sends them.
 */
import { TestAdapter, type Activity } from 'botbuilder';
import type { CardAttachment } from '../../cards';
import type { LeadsApp } from '../../services/app/leadsApp';
import { silentLogger, type Logger } from '../../services/logger';
import { LeadBot } from '../../teams/leadBot';
import { referral } from '../fixtures/referrals';
import { makeApp } from './app';
import type { RecordingGateway } from './recordingGateway';
import { startTestStorage, type TestStorage } from './storage';
import { channel, execute, message, type Place, type TeamsUser } from './teamsActivities';

export const SERVICE_URL = 'http://127.0.0.1:9/';
/** Where clicks and messages come from unless a test says otherwise: a team's channel. */
export const place = channel();

export interface Harness {
  app: LeadsApp;
  turn(activity: object): Promise<Partial<Activity>[]>;
  click(user: TeamsUser, verb: string, data: Record<string, unknown>, options?: { locale?: string; where?: Place }): Promise<{ status: number; body: any; card?: CardAttachment }>;
  say(user: TeamsUser, text: string, where?: Place, locale?: string): Promise<Partial<Activity>[]>;
  leadId: string;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  referral?: Parameters<typeof referral>[0];
  gateway?: RecordingGateway;
  log?: Logger;
}

/** For a test file: starts its storage before its tests, closes it after, and returns the harness factory. */
export function botHarnesses(): (options?: HarnessOptions) => Promise<Harness> {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await startTestStorage();
  });
  afterAll(() => storage.close());
  return (options) => harness(storage, options);
}

async function harness(storage: TestStorage, options: HarnessOptions = {}): Promise<Harness> {
  const app = makeApp(await storage.freshTables(), { env: options.env, gateway: options.gateway });
  const bot = new LeadBot({ product: app.product, log: options.log ?? silentLogger, flameWindowHours: 72, allowedTenantIds: options.env?.ALLOWED_TENANT_IDS?.split(',') ?? [] });
  const adapter = new TestAdapter(async (context) => bot.run(context));
  const input = referral(options.referral);
  await app.ingest([input]);
  const turn = async (activity: object) => {
    adapter.activeQueue.splice(0);
    await adapter.processActivity(activity as Activity);
    return [...adapter.activeQueue];
  };
  return {
    app,
    leadId: input.id,
    turn,
    async click(user, verb, data, opts = {}) {
      const replies = await turn(execute(opts.where ?? place, user, verb, data, SERVICE_URL, { locale: opts.locale }));
      const response = replies.find((r) => r.type === 'invokeResponse')?.value as { status: number; body: any };
      const body = response.body;
      const card = body?.type === 'application/vnd.microsoft.card.adaptive' ? { contentType: 'application/vnd.microsoft.card.adaptive' as const, content: body.value } : undefined;
      return { status: response.status, body, card };
    },
    say: (user, text, where = place, locale) => turn(message(where, user, text, SERVICE_URL, locale)),
  };
}

/** The card a reply carries. */
export const cardOf = (reply: Partial<Activity> | undefined): CardAttachment => reply?.attachments?.[0] as CardAttachment;
