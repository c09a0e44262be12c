/**
 * Who may do what with leads: Lead viewers read them, Referrals admins and MPN partner admins also
 * change them (partner admins also grant roles), from settings or granted; and who gets the team's
 * new leads in their personal chat. A partner admin adds people (Add… opens a form with the people
 * picker) and removes them with a button.
 */
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { PEOPLE_DATASETS, type FormContext } from './leadForm';
import { t, type Locale } from './locale';
import rolesJson from './templates/roles.json';

const CARD_ROLES = ['partnerAdmin', 'leadAdmin', 'leadViewer'] as const;
type CardRole = (typeof CARD_ROLES)[number];

export interface RoleCardEntry {
  id: string;
  role: CardRole;
  source: 'settings' | 'granted';
  name?: string;
}

interface StreamCardEntry {
  id: string;
  name?: string;
}

export interface RolesCardOptions {
  locale: Locale;
  entries: RoleCardEntry[];
  streams: StreamCardEntry[];
  /** Leads are readable by everyone (LEADS_VISIBLE_TO=everyone), not only by roles. */
  everyone: boolean;
  /** The reader is a partner admin: Add… and Remove. */
  editing?: boolean;
  /** Add… was clicked: the form to add someone, with the people picker's context. */
  adding?: FormContext;
  notice?: { text: string; tone: 'good' | 'warning' };
}

interface RolesView {
  title: string;
  visibility: string;
  notice: string | null;
  noticeStyle: 'good' | 'warning';
  groups: { heading: string; entries: { text: string; remove: ActionView | null }[]; empty: string | null }[];
  howTo: string;
  actions: ActionView[];
  add: {
    personLabel: string;
    placeholder: string;
    personRequired: string;
    people: { title: string; value: string }[];
    dataset: string;
    roleLabel: string;
    roles: { title: string; value: string }[];
    streamLabel: string;
    streamTitle: string;
  } | null;
}

const render = cardTemplate<RolesView>(rolesJson);

export function renderRolesCard({ locale, entries, streams, everyone, editing, adding, notice }: RolesCardOptions): CardAttachment {
  const remove = (verb: string, payload: object) => (editing ? executeAction(t(locale, 'roles.remove'), verb, payload) : null);
  const groups = CARD_ROLES.map((role) => {
    const holders = entries.filter((entry) => entry.role === role);
    return {
      heading: t(locale, `roles.${role}`),
      entries: holders.map((entry) => ({ text: entryLine(entry, locale), remove: entry.source === 'granted' ? remove('roles.revoke', { personId: entry.id }) : null })),
      empty: holders.length === 0 ? t(locale, 'roles.none') : null,
    };
  });
  groups.push({
    heading: t(locale, 'roles.streams'),
    entries: streams.map((entry) => ({ text: entry.name ? t(locale, 'roles.named', { name: entry.name, id: entry.id }) : entry.id, remove: remove('roles.stream', { personId: entry.id, on: false }) })),
    empty: streams.length === 0 ? t(locale, 'roles.none') : null,
  });
  return render({
    title: t(locale, 'roles.title'),
    visibility: t(locale, everyone ? 'roles.visibleToEveryone' : 'roles.visibleToRoles'),
    notice: notice?.text ?? null,
    noticeStyle: notice?.tone ?? 'good',
    groups,
    howTo: t(locale, 'roles.howTo'),
    actions: !editing
      ? []
      : adding
        ? [executeAction(t(locale, 'roles.grant'), 'roles.grant', {}, { style: 'positive' }), executeAction(t(locale, 'roles.cancel'), 'roles.show', {}, { associatedInputs: 'none' })]
        : [executeAction(t(locale, 'roles.add'), 'roles.add', {}, { associatedInputs: 'none' })],
    add: adding
      ? {
          personLabel: t(locale, 'roles.person'),
          placeholder: t(locale, 'form.assign.placeholder'),
          personRequired: t(locale, 'form.required.person'),
          people: adding.people ?? [],
          dataset: PEOPLE_DATASETS[adding.peopleScope ?? 'conversation'],
          roleLabel: t(locale, 'roles.role'),
          roles: [...CARD_ROLES].reverse().map((role) => ({ title: t(locale, `role.${role}`), value: role })),
          streamLabel: t(locale, 'roles.streamLabel'),
          streamTitle: t(locale, 'roles.streamToggle'),
        }
      : null,
  });
}

/** "Dana Admin (00000000-…) · granted". */
function entryLine({ id, name, source }: RoleCardEntry, locale: Locale): string {
  const who = name ? t(locale, 'roles.named', { name, id }) : id;
  return t(locale, 'roles.entry', { who, source: t(locale, `roles.source.${source}`) });
}
