/** Leads in each stage, built as plain objects and parsed with the real schema so they stay valid. */
import { leadSchema, type Lead, type Outcome } from '../../services/leads/lead';
import { insightsFrom, periodDays, type Counters, type Insights } from '../../services/leads/leadStats';
import type { OutsideView } from '../../services/leads/outsideView';
import { partnerCenterOf, withPartnerCenter } from '../../services/partnerCenter/referrals/referralState';
import { partnerCenterView } from '../../services/partnerCenter/referrals/referralView';

export const NOW = new Date('2025-11-26T10:00:00Z');
const HOUR_MS = 3_600_000;
export const hoursFromNow = (hours: number): string => new Date(NOW.getTime() + hours * HOUR_MS).toISOString();

export const DANA = { id: '00000000-0000-0000-0000-00000000da0a', name: 'Dana Admin' };
export const ROBIN = { id: '00000000-0000-0000-0000-0000000000b1', name: 'Robin Reader' };
export const SAM_ID = '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10';

const received = {
  id: 'lead-1',
  name: 'Contoso cloud migration',
  type: 'customerInquiry',
  customer: { name: 'Contoso Ltd', size: '50-249 employees', city: 'Seattle', country: 'US' },
  contacts: [{ name: 'Chris Customer', email: 'chris@contoso.com', phone: '+1 206 555 0100' }],
  consent: { contact: true, shareWithOthers: false, shareWithMicrosoftSellers: true },
  need: 'Move 40 virtual machines to Azure before the end of March',
  estimate: { value: 1234.5, currency: 'EUR', closingDate: '2026-03-31' },
  requirements: ['Azure', 'Migration'],
  flame: false,
  receivedAt: hoursFromNow(-24),
  expiresAt: hoursFromNow(3 * 24 + 4),
  stage: 'Received',
  employees: [],
  favorites: [],
  remindersSent: [],
  version: 1,
  revision: 1,
};

export function receivedLead(overrides: Partial<Lead> = {}): Lead {
  return leadSchema.parse({ ...received, ...overrides });
}

/** A waiting lead Dana assigned to Sam Lee. */
export function ownedLead(overrides: Partial<Lead> = {}): Lead {
  return receivedLead({
    owner: { id: SAM_ID, name: 'Sam Lee', teamsUserId: '29:sam', email: 'sam@partner.example', since: '2025-11-26T10:02:00Z', by: DANA },
    version: 2,
    ...overrides,
  });
}

export function acceptedLead(overrides: Partial<Lead> = {}): Lead {
  return receivedLead({
    stage: 'Accepted',
    deal: {
      name: 'Contoso migration deal',
      value: 1234.5,
      currency: 'EUR',
      purchaseDate: '2026-03-31',
      notes: 'Phase one covers the file servers',
      crmId: 'CRM-42',
      campaignId: 'CAMP-7',
    },
    employees: [{ id: 'e1', name: 'Sam Seller', email: 'sam@fabrikam.com' }],
    lastAction: { kind: 'accept', by: DANA, at: '2025-11-26T10:02:00Z' },
    version: 2,
    revision: 2,
    ...overrides,
  });
}

const CLOSING: Record<Outcome, Partial<Lead>> = {
  Won: { lastAction: { kind: 'markWon', by: DANA, at: '2025-11-26T11:00:00Z' } },
  Lost: { lastAction: { kind: 'markLost', by: DANA, at: '2025-11-26T11:00:00Z' }, closeReason: { code: 'budget' } },
  Declined: {
    deal: undefined,
    employees: [],
    lastAction: { kind: 'decline', by: DANA, at: '2025-11-26T11:00:00Z' },
    closeReason: { code: 'otherVendor', notes: 'They went with a local firm' },
  },
  Expired: { deal: undefined, employees: [], lastAction: { kind: 'expire', by: { id: 'system', name: 'Partner Leads' }, at: '2025-11-26T11:00:00Z' } },
};

export function archivedLead(outcome: Outcome, overrides: Partial<Lead> = {}): Lead {
  return acceptedLead({
    stage: 'Archived',
    outcome,
    version: 3,
    revision: 3,
    ...CLOSING[outcome],
    ...overrides,
  });
}

/** A lead accepted in Teams whose Accept is on its way to Partner Center ('pending'), or was refused there ('refused'). */
export function syncedLead(state: 'pending' | 'refused'): Lead {
  const lead = acceptedLead();
  return withPartnerCenter(lead, {
    ...partnerCenterOf(lead),
    synced: { eTag: '"e1"', status: 'New', substatus: 'Pending', team: [] },
    ...(state === 'refused' ? { rejected: { message: 'Partner Center answered 400 invalidRequest: Path /campaignId cannot be changed.', at: NOW.toISOString(), revision: lead.revision } } : {}),
  });
}

/** What the Partner Center slice says of a lead on its card (the sync on). */
export const partnerCenterOutside = (lead: Lead): OutsideView[] => [partnerCenterView(lead, true, 'https://partner.microsoft.com/dashboard/referrals/v2/leads/{id}')];

/** A lead declined in the Partner Center portal. */
export function declinedInPartnerCenter(): Lead {
  return archivedLead('Declined', { lastAction: { kind: 'decline', by: { id: 'partner-center', name: 'Partner Center' }, at: '2025-11-26T10:30:00Z' }, closeReason: { code: 'notACustomer' } });
}

/** Insights with figures in every part (a busy month), and with none (a quiet one). */
export function insightsSamples(): [name: string, insights: Insights][] {
  const { current, previous } = periodDays('30d', NOW);
  const day = (counters: Counters, on: string[]) => Object.fromEntries(on.map((d, i) => [d, i % 3 === 0 ? counters : {}]));
  const busy: Counters = {
    'received.customerInquiry': 2,
    'received.salesQualified': 1,
    answered: 2,
    inTime: 2,
    'rt.8': 2,
    accepted: 1,
    'acceptedValue.EUR': 12000,
    declined: 1,
    'declineReason.budget': 1,
    won: 1,
    'wonCount.EUR': 1,
    'wonValue.EUR': 40000,
  };
  return [
    ['busy', insightsFrom('30d', { current: day(busy, current), previous: day({ 'received.customerInquiry': 1, expired: 1 }, previous) }, { open: 3, 'value.EUR': 90000, 'value.USD': 15000 })],
    ['quiet', insightsFrom('30d', { current: day({}, current), previous: day({}, previous) }, {})],
  ];
}
