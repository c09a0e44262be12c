/** What the Partner Center sync tells people: its state (`sync`), a broken or mended connection, a change Partner Center overruled. */
import type { Lead } from '../services/leads/lead';
import { cardTemplate, type CardAttachment } from './cardTemplate';
import { renderMessageCard } from './alerts';
import { stageLabel } from './leadText';
import { formatDateTime, t, type Locale, type StringKey, type Zoned } from './locale';
import syncStatusJson from './templates/syncStatus.json';

/** The sync's state as the `sync` command shows it. */
export type SyncStatusView =
  | { on: false }
  | {
      on: true;
      lastPullAt?: string;
      lastPushAt?: string;
      waiting: number;
      lastError?: string;
      lastErrorAt?: string;
      broken?: 'refused' | 'unauthorized' | 'unavailable' | 'stalled';
      /** Referrals this version could not read, set aside (the first few, oldest first). */
      parked?: { count: number; first: { id: string; name?: string; reason: string }[] };
    };

/** How the bot reaches people in Teams beyond its chats (Microsoft Graph), as it last found it. */
export type TeamsReachView = Record<'activityFeed' | 'proactiveInstall', { state: 'on' | 'off' | 'refused'; reason?: string; since?: string }>;

/** One fact per way of reaching people: on, off (why), or not allowed (what Graph said, what to grant). */
function reachFacts(reach: TeamsReachView | undefined, zoned: Zoned): { title: string; value: string }[] {
  if (!reach) return [];
  const { locale } = zoned;
  return (['activityFeed', 'proactiveInstall'] as const).map((feature) => {
    const { state, reason, since } = reach[feature];
    const value =
      state === 'on'
        ? t(locale, 'sync.reach.on')
        : state === 'off'
          ? t(locale, 'sync.reach.off', { reason: reason ?? '' })
          : t(locale, 'sync.reach.refused', { reason: reason ?? '', since: since ? formatDateTime(since, zoned) : '' });
    return { title: t(locale, `sync.reach.${feature}`), value };
  });
}

interface StatusView {
  title: string;
  intro: string | null;
  state: { text: string; style: string } | null;
  facts: { title: string; value: string }[];
  fix: string | null;
}

const renderStatus = cardTemplate<StatusView>(syncStatusJson);

/** How many referrals are set aside, the first few with why, and how to take one again. */
function parkedFacts(parked: { count: number; first: { id: string; name?: string; reason: string }[] } | undefined, locale: Locale): { title: string; value: string }[] {
  if (!parked || parked.count === 0) return [];
  return [
    { title: t(locale, 'sync.parked'), value: t(locale, 'sync.parkedCount', { count: parked.count }) },
    ...parked.first.map((p) => ({ title: p.id, value: p.name ? `${p.name}: ${p.reason}` : p.reason })),
  ];
}

export function renderSyncStatusCard(status: SyncStatusView, zoned: Zoned, reach?: TeamsReachView): CardAttachment {
  const { locale } = zoned;
  if (!status.on) return renderStatus({ title: t(locale, 'sync.title'), intro: t(locale, 'sync.off'), state: null, facts: reachFacts(reach, zoned), fix: null });
  const when = (at: string | undefined) => (at ? formatDateTime(at, zoned) : t(locale, 'sync.never'));
  const facts = [
    { title: t(locale, 'sync.lastPull'), value: when(status.lastPullAt) },
    { title: t(locale, 'sync.lastPush'), value: when(status.lastPushAt) },
    { title: t(locale, 'sync.waiting'), value: String(status.waiting) },
    ...(status.lastError ? [{ title: t(locale, 'sync.lastError'), value: `${status.lastError}${status.lastErrorAt ? ` (${formatDateTime(status.lastErrorAt, zoned)})` : ''}` }] : []),
    ...parkedFacts(status.parked, locale),
    ...reachFacts(reach, zoned),
  ];
  return renderStatus({
    title: t(locale, 'sync.title'),
    intro: null,
    state: status.broken ? { text: t(locale, `sync.state.${status.broken}`), style: 'attention' } : { text: t(locale, 'sync.state.on'), style: 'good' },
    facts,
    fix: status.broken ? t(locale, `sync.fix.${status.broken}`) : null,
  });
}

/** To partner admins: the connection broke (what, and how to mend it), or works again. */
export function renderSyncHealthCard(notice: { state: 'broken' | 'restored'; cause?: 'refused' | 'unauthorized' | 'unavailable' | 'stalled'; detail?: string }, locale: Locale): CardAttachment {
  if (notice.state === 'restored') {
    return renderMessageCard({ locale, title: t(locale, 'syncHealth.restored.title'), text: t(locale, 'syncHealth.restored.text'), tone: 'good' });
  }
  const text = t(locale, `syncHealth.broken.${notice.cause ?? 'unavailable'}`);
  return renderMessageCard({
    locale,
    title: t(locale, 'syncHealth.broken.title'),
    text: notice.detail ? `${text}\n\n${t(locale, 'syncHealth.detail', { detail: notice.detail })}` : text,
    tone: 'warning',
  });
}

const OVERRULED_ACTIONS = ['accept', 'decline', 'edit', 'addEmployee', 'removeEmployee', 'markWon', 'markLost'] as const;

/** To the person whose change Partner Center's state overruled: what happened, and that the card shows Partner Center's state. */
export function renderOverruledCard(lead: Lead, action: string, zoned: Zoned): CardAttachment {
  const { locale } = zoned;
  const key: StringKey = (OVERRULED_ACTIONS as readonly string[]).includes(action) ? (`overruled.action.${action}` as StringKey) : 'overruled.action.other';
  return renderMessageCard({
    locale,
    title: t(locale, 'overruled.title'),
    text: t(locale, 'overruled.text', {
      action: t(locale, key),
      name: lead.name,
      state: stageLabel(lead.stage, lead.outcome, locale),
      when: formatDateTime(lead.lastAction?.at ?? lead.receivedAt, zoned),
    }),
    tone: 'warning',
  });
}
