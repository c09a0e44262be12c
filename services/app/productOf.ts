/** The use cases the edges are given, over the composition root's parts: each a call into services/. */
import { roomsOfLead } from '../delivery/deliveryStore';
import { partnerCenterFields } from '../partnerCenter/referrals/referralView';
import { parseReferrals } from '../partnerCenter/referrals/intake';
import type { StoredLead } from '../storage/leadStore';
import { ConversationUseCases, conversationKey } from '../useCases/conversations';
import { getLeadWithHistory, listLeads, myLeads, searchLeads } from '../useCases/readLeads';
import { readInsights } from '../useCases/readInsights';
import { RoleUseCases } from '../useCases/roles';
import type { AppSettings, LeadsApp } from './leadsApp';
import type { PeopleUseCases, Product } from './product';

export function productOf(app: LeadsApp, settings: Pick<AppSettings, 'LEADS_VISIBLE_TO'>, ready: Product['ready']): Product {
  const sync = app.partnerCenter;
  return {
    now: () => app.now(),
    leads: {
      read: async (id) => (await app.leads.get(id))?.lead,
      readIn: async (id, conversationId) => {
        const stored = await app.leads.get(id);
        return stored && { lead: stored.lead, postedHere: postedIn(stored, conversationId) };
      },
      postedIn: (read, conversationId) => postedIn(read as StoredLead, conversationId),
      readForChange: (id) => app.leads.getForChange(id),
      letGo: (read) => app.leads.dropHint(read.lead.id, read as StoredLead),
      act: (id, command, actor, read) => app.act(id, command, actor, read as StoredLead | undefined),
      described: async (id) => {
        const found = await getLeadWithHistory(id, app.leads);
        if (!found) return undefined;
        const { external: _external, ...lead } = found.lead;
        return { ...lead, partnerCenter: partnerCenterFields(found.lead), history: found.history } as never;
      },
      outside: (lead) => app.outside(lead),
      retry: (id) => app.retryProjection(id),
    },
    lists: {
      page: (list, options) => listLeads(app.views, list, options),
      mine: (userId, cursor) => myLeads(app.views, userId, cursor),
      search: (text, options) => searchLeads(app.views, text, options),
      needsAnswer: (kinds, limit) => app.needsAnswer(kinds, limit),
      insights: async (period) => (await readInsights(period, app)).insights,
    },
    referrals: { parse: parseReferrals, ingest: (referrals) => app.ingest(referrals) },
    conversations: new ConversationUseCases(app.conversations, app.roles, app.members),
    roles: new RoleUseCases(app.roles, app.conversations, settings.LEADS_VISIBLE_TO),
    people: people(app),
    partnerCenter: sync && {
      verify: (headers, body) => sync.verify(headers, body),
      retryReferral: async (id) => {
        const retried = await sync.retryReferral(id);
        if (retried.outcome === 'imported') app.kickSends();
        return retried;
      },
      receiveEvent: async (payload) => {
        const receipt = await sync.receiveEvent(payload);
        if (receipt.status === 'filed') app.kickPartnerCenterEvents();
        return receipt;
      },
    },
    syncStatus: () => app.syncStatus(),
    teamsReach: () => app.reach.reach.status(),
    ready,
    connectTeams: (gateway) => app.useGateway(gateway),
  };
}

/** Whether the lead's card is posted (or being posted) in this conversation. */
function postedIn(stored: StoredLead, conversationId: string): boolean {
  const key = conversationKey(conversationId);
  return stored.deliveries.some((d) => d.conversationKey === key);
}

function people(app: LeadsApp): PeopleUseCases {
  return {
    list: (where) => app.members.list(where.conversationId, where),
    find: (where, id) => app.members.find(where.conversationId, where, id),
    findAnywhere: async (where, id) => {
      const here = await app.members.find(where.conversationId, where, id).catch(() => undefined);
      if (here) return here;
      // Bounded: a role is granted now and then, and ten rooms' rosters cover a partner's teams.
      for (const room of (await app.conversations.subscribed()).filter((c) => c.scope !== 'personal').slice(0, 10)) {
        const found = await app.members.find(room.conversationId, room, id).catch(() => undefined);
        if (found) return found;
      }
      return undefined;
    },
    whereLeadIs: async (leadId, id) => {
      for (const room of await roomsOfLead(leadId, app.deliveries, app.conversations)) {
        const found = await app.members.find(room.conversationId, room, id);
        if (found) return found;
      }
      return undefined;
    },
  };
}
