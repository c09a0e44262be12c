/** Every card the bot can send, in every stage, form and locale: for checks that hold for all cards. */
import {
  FORM_MODES,
  renderAssignedCard,
  renderRestrictedCard,
  renderDigestCard,
  renderFlameAlertCard,
  renderHelpCard,
  renderInsightsCard,
  renderNeedsAnswerCard,
  renderSettingsCard,
  renderLeadCard,
  renderLeadList,
  renderMessageCard,
  renderMyLeads,
  renderSnoozedCard,
  renderOverruledCard,
  renderReminderCard,
  renderRolesCard,
  renderSyncHealthCard,
  renderSyncStatusCard,
  renderWelcomeCard,
  type CardAttachment,
  type Locale,
} from '../../cards';
import { OUTCOMES } from '../../services/leads/lead';
import { LISTS, summarize } from '../../services/leads/leadViews';
import { acceptedLead, archivedLead, DANA, declinedInPartnerCenter, insightsSamples, NOW, ownedLead, receivedLead, SAM_ID, syncedLead, partnerCenterOutside } from './fixtures';

export function everyCard(): [name: string, card: CardAttachment][] {
  const cards: [string, CardAttachment][] = [];
  const leads = [
    ['received', receivedLead({ flame: true })],
    ['received without consent or need', receivedLead({ consent: { contact: false, shareWithOthers: false, shareWithMicrosoftSellers: false }, need: undefined })],
    ['accepted', acceptedLead({ favorites: [{ ...DANA }] })],
    ...OUTCOMES.map((outcome) => [`archived ${outcome}`, archivedLead(outcome)] as const),
  ] as const;

  for (const locale of ['en', 'de'] as Locale[]) {
    const base = { locale, now: NOW, flameWindowHours: 72, refreshUserIds: ['29:dana'] };
    for (const [name, lead] of leads) {
      cards.push([`${locale} lead ${name}`, renderLeadCard(lead, { ...base, viewer: DANA, notice: { text: 'Changed meanwhile', tone: 'info' } })]);
    }
    const formContext = { people: [{ title: 'Sam Lee (sam@partner.example)', value: SAM_ID }, { title: DANA.name, value: DANA.id }] };
    for (const mode of FORM_MODES) {
      const lead = mode === 'accept' || mode === 'decline' || mode === 'assign' ? receivedLead() : acceptedLead();
      cards.push([`${locale} form ${mode}`, renderLeadCard(lead, { ...base, mode, formContext })]);
      cards.push([`${locale} form ${mode} with errors`, renderLeadCard(lead, { ...base, mode, formContext, form: { values: { notes: 'x' }, errors: { reason: 'Choose a reason', stray: 'Other problem' } } })]);
    }
    cards.push([`${locale} lead with an owner, assigned`, renderLeadCard(ownedLead(), base)]);
    cards.push([`${locale} new lead with mentions`, renderLeadCard(receivedLead(), { ...base, mentions: [{ teamsUserId: '29:sam', name: 'Sam Lee' }] })]);
    cards.push([`${locale} personal reminder`, renderReminderCard(receivedLead(), { locale, now: NOW, personal: true })]);
    cards.push([`${locale} reminder with a mention`, renderReminderCard(ownedLead(), { locale, now: NOW, mention: { teamsUserId: '29:sam', name: 'Sam Lee' } })]);
    cards.push([`${locale} snoozed`, renderSnoozedCard(receivedLead(), new Date(NOW.getTime() + 86_400_000), { locale })]);
    cards.push([`${locale} my leads`, renderMyLeads({ owned: [summarize(ownedLead()), summarize(acceptedLead())], favorites: [summarize(receivedLead())], moreFavorites: true, pageNumber: 1, next: { view: 'mine' }, locale, now: NOW })]);
    cards.push([`${locale} my leads, empty`, renderMyLeads({ owned: [], favorites: [], moreFavorites: false, pageNumber: 1, locale, now: NOW })]);
    const rows = leads.map(([, lead]) => summarize(lead));
    for (const view of LISTS.filter((l) => l !== 'mine')) {
      cards.push([`${locale} list ${view}`, renderLeadList({ view, rows, pageNumber: 2, next: { view }, previous: { view }, locale, now: NOW })]);
      cards.push([`${locale} empty list ${view}`, renderLeadList({ view, rows: [], pageNumber: 1, locale, now: NOW })]);
    }
    cards.push([`${locale} welcome`, renderWelcomeCard({ locale, adminsConfigured: false })]);
    const channels = [{ id: '19:general@thread.tacv2', name: 'General' }, { id: '19:sales@thread.tacv2', name: 'Sales' }];
    cards.push([`${locale} team welcome`, renderWelcomeCard({ locale, adminsConfigured: true, setup: { kind: 'team', channels, current: '19:general@thread.tacv2' } })]);
    cards.push([`${locale} group chat welcome`, renderWelcomeCard({ locale, adminsConfigured: true, setup: { kind: 'chat' } })]);
    cards.push([`${locale} personal welcome`, renderWelcomeCard({ locale, adminsConfigured: true, everyone: true, setup: { kind: 'personal', streamed: true } })]);
    cards.push([`${locale} welcome, chosen`, renderWelcomeCard({ locale, adminsConfigured: true, setup: { kind: 'chosen', text: 'Chosen' } })]);
    cards.push([`${locale} restricted lead`, renderRestrictedCard('lead-1', { locale, shared: true })]);
    cards.push([`${locale} assigned`, renderAssignedCard(ownedLead(), { locale, mention: { teamsUserId: '29:sam', name: 'Sam Lee' } })]);
    cards.push([`${locale} help`, renderHelpCard(locale)]);
    cards.push([`${locale} reminder`, renderReminderCard(receivedLead(), { locale, now: NOW })]);
    cards.push([`${locale} flame alert`, renderFlameAlertCard(receivedLead({ flame: true }), { locale })]);
    cards.push([`${locale} digest`, renderDigestCard({ count: 2, leads: [receivedLead({ flame: true }), receivedLead({ name: 'Fabrikam ERP' })], locale })]);
    const entries = [
      { id: DANA.id, role: 'partnerAdmin', source: 'granted', name: DANA.name },
      { id: SAM_ID, role: 'leadViewer', source: 'settings' },
    ] as const;
    cards.push([`${locale} roles`, renderRolesCard({ locale, entries: [...entries], streams: [], everyone: false })]);
    cards.push([`${locale} roles, editing`, renderRolesCard({ locale, entries: [...entries], streams: [{ id: SAM_ID, name: 'Sam Lee' }], everyone: true, editing: true, notice: { text: 'Granted', tone: 'good' } })]);
    cards.push([`${locale} roles, adding`, renderRolesCard({ locale, entries: [...entries], streams: [], everyone: false, editing: true, adding: formContext })]);
    cards.push([`${locale} message`, renderMessageCard({ locale, title: 'Title', text: 'Text', tone: 'good' })]);
    cards.push([`${locale} lead reaching Partner Center`, renderLeadCard(syncedLead('pending'), { ...base, outside: partnerCenterOutside(syncedLead('pending')) })]);
    cards.push([`${locale} lead refused by Partner Center`, renderLeadCard(syncedLead('refused'), { ...base, outside: partnerCenterOutside(syncedLead('refused')) })]);
    cards.push([`${locale} lead declined in Partner Center`, renderLeadCard(declinedInPartnerCenter(), { ...base, outside: partnerCenterOutside(declinedInPartnerCenter()) })]);
    cards.push([`${locale} sync off`, renderSyncStatusCard({ on: false }, { locale })]);
    const reach = {
      activityFeed: { state: 'refused' as const, reason: 'Microsoft Graph answered 403 Forbidden — grant TeamsActivity.Send', since: NOW.toISOString() },
      proactiveInstall: { state: 'off' as const, reason: 'PROACTIVE_INSTALL is off' },
    };
    cards.push([`${locale} sync off, Teams reach`, renderSyncStatusCard({ on: false }, { locale }, reach)]);
    cards.push([`${locale} sync on`, renderSyncStatusCard({ on: true, waiting: 2, lastPullAt: NOW.toISOString(), lastPushAt: NOW.toISOString() }, { locale })]);
    cards.push([`${locale} sync broken`, renderSyncStatusCard({ on: true, waiting: 5, broken: 'refused', lastError: 'invalid_grant', lastErrorAt: NOW.toISOString() }, { locale })]);
    const parked = { count: 2, first: [{ id: 'ref-9', name: 'Paused one', reason: 'its status "Paused" is not one this version knows' }, { id: 'sha256:ab', reason: 'it has no id' }] };
    cards.push([`${locale} sync stalled, referrals parked`, renderSyncStatusCard({ on: true, waiting: 0, broken: 'stalled', lastError: 'no referrals pulled for 20 minutes', parked }, { locale })]);
    for (const cause of ['refused', 'unauthorized', 'unavailable', 'stalled'] as const) cards.push([`${locale} sync broken (${cause})`, renderSyncHealthCard({ state: 'broken', cause, detail: 'AADSTS70000' }, locale)]);
    cards.push([`${locale} sync restored`, renderSyncHealthCard({ state: 'restored' }, locale)]);
    cards.push([`${locale} overruled`, renderOverruledCard(declinedInPartnerCenter(), 'accept', { locale })]);
    for (const [name, insights] of insightsSamples()) cards.push([`${locale} insights ${name}`, renderInsightsCard(insights, { locale })]);
    cards.push([`${locale} needs an answer`, renderNeedsAnswerCard({ rows: leads.slice(0, 2).map(([, lead]) => summarize(lead)), locale, now: NOW })]);
    const settings = { leadKinds: ['marketplace' as const], flameAlerts: true, reminders: false, digest: true, insights: true, language: 'auto' as const, activityFeed: false };
    cards.push([`${locale} settings`, renderSettingsCard({ values: settings, locale, canChange: true, notice: { text: 'Saved', tone: 'good' }, errors: { leadKinds: 'Choose' } })]);
    cards.push([`${locale} settings, read only`, renderSettingsCard({ values: settings, locale, canChange: false })]);
    cards.push([`${locale} settings, personal`, renderSettingsCard({ values: settings, locale, canChange: true, personal: true })]);
  }
  return cards;
}
