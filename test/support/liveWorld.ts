/**
 * The reliability suite's world: an Azurite process (or the caller's), the live app over it (see
 * liveApp.ts) and the bot installed in each place by an admin.
 */
import { eventually, startAzurite, type AzuriteProcess } from './processes';
import { startLiveApp, type LiveApp } from './liveApp';
import type { FakeConnector } from './fakeConnector';
import { channel, type Place, type TeamsUser } from './teamsActivities';

export { API_KEY } from './liveApp';

/** Admins with distinct AAD ids (the app is told they may change leads). */
export function admins(n: number): TeamsUser[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `29:admin-${i}`,
    aadObjectId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    name: `Admin ${i}`,
  }));
}

export interface LiveWorld extends LiveApp {
  azurite: AzuriteProcess;
  places: Place[];
  /** Stops the app, the connector and (if the world started it) Azurite. */
  close(): Promise<void>;
}

export async function startLiveWorld(options: { env?: Record<string, string>; places?: Place[]; azurite?: AzuriteProcess } = {}): Promise<LiveWorld> {
  const azurite = options.azurite ?? (await startAzurite());
  // Whoever installs the world's app subscribes its places: a Referrals admin, besides any the test names.
  const installer = admins(1)[0]!;
  const leadAdmins = [installer.aadObjectId, ...(options.env?.LEAD_ADMIN_IDS?.split(',').filter(Boolean) ?? [])];
  const live = await startLiveApp({ storage: azurite.connectionString, env: { LEASE_SECONDS: '2', ...options.env, LEAD_ADMIN_IDS: [...new Set(leadAdmins)].join(',') } });
  const world: LiveWorld = Object.assign(live, {
    azurite,
    places: options.places ?? [channel('19:reliability@thread.tacv2')],
    async close() {
      await live.stop();
      if (!options.azurite) await azurite.stop();
    },
  });
  await world.install(world.places, installer);
  return world;
}

/** The card JSON of an activity (or an invoke answer), as text. */
export const cardText = (activity: any): string => JSON.stringify(activity?.attachments?.[0]?.content ?? activity?.value ?? activity ?? {});

/** How many times each lead reached each conversation: its own card, or a line in a digest (names must be unique). */
function deliveriesPerLead(connector: FakeConnector, leads: { id: string; name?: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const post of connector.posts()) {
    const text = cardText(post.activity);
    for (const lead of leads) {
      // A lead card is full width with the lead's name as its large title, whatever its stage.
      const ownCard = text.includes('"width":"Full"') && text.includes(`"text":${JSON.stringify(lead.name ?? '')},"size":"Large"`);
      const digestLine = text.includes('list.page') && text.includes(`${lead.name ?? ''} ·`);
      if (!ownCard && !digestLine) continue;
      const key = `${post.conversationId}|${lead.id}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Waits until every lead reached every conversation of the world and nothing waits to be sent;
 * returns how many times each (conversation, lead) pair was delivered. A timeout names what is missing.
 */
export async function settledDeliveries(world: LiveWorld, leads: { id: string; name?: string }[], timeoutMs = 60_000): Promise<Map<string, number>> {
  const expected = world.places.length * leads.length;
  try {
    return await eventually(
      'every lead to reach every conversation',
      async () => {
        const counts = deliveriesPerLead(world.connector, leads);
        return counts.size === expected && (await world.pendingOutbox()) === 0 && counts;
      },
      timeoutMs,
      250,
    );
  } catch (error) {
    const counts = deliveriesPerLead(world.connector, leads);
    const missing = world.places.flatMap((p) => leads.filter((l) => !counts.has(`${p.conversation.id}|${l.id}`)).map((l) => `${l.name ?? l.id} in ${p.conversation.id}`));
    throw new Error(`${(error as Error).message}\nmissing: ${missing.join(', ')}\n${await world.backlog()}`);
  }
}
