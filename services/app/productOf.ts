/** The use cases the edges are given, over the composition root's parts: each a call into services/. */
import { roomsOfLead } from '../delivery/deliveryStore';
import { partnerCenterFields } from '../partnerCenter/referrals/referralView';
import { parseReferrals } from '../partnerCenter/referrals/intake';
import type { StoredLead } from '../storage/leadStore';
import { ConversationUseCases } from '../useCases/conversations';
import { getLeadWithHistory, listLeads, myLeads, searchLeads } from '../useCases/readLeads';
import { readInsights } from '../useCases/readInsights';
import { RoleUseCases } from '../useCases/roles';
import type { LeadsApp } from './leadsApp';
import type { PeopleUseCases, Product } from './product';

export function productOf(app: LeadsApp, ready: () => Promise<void>): Product {
  const sync = app.partnerCenter;
  return {
    now: () => app.now(),
    leads: {
      read: async (id) => (await app.leads.get(id))?.lead,
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
    conversations: new ConversationUseCases(app.conversations),
    roles: new RoleUseCases(app.roles),
    people: people(app),
    partnerCenter: sync && {
      verify: (headers, body) => sync.verify(headers, body),
      receiveEvent: async (payload) => {
        const receipt = await sync.receiveEvent(payload);
        if (receipt.status === 'filed') app.kickPartnerCenterEvents();
        return receipt;
      },
    },
    syncStatus: () => app.syncStatus(),
    ready,
    connectTeams: (gateway) => app.useGateway(gateway),
  };
}

function people(app: LeadsApp): PeopleUseCases {
  return {
    list: (where) => app.members.list(where.conversationId, where),
    find: (where, id) => app.members.find(where.conversationId, where, id),
    whereLeadIs: async (leadId, id) => {
      for (const room of await roomsOfLead(leadId, app.deliveries, app.conversations)) {
        const found = await app.members.find(room.conversationId, room, id);
        if (found) return found;
      }
      return undefined;
    },
  };
}
