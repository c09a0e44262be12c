/** Who may change leads: Referrals admins and MPN partner admins, from settings or granted. */
import { cardTemplate, type CardAttachment } from './cardTemplate';
import { t, type Locale } from './locale';
import rolesJson from './templates/roles.json';

export interface RoleCardEntry {
  id: string;
  role: 'leadAdmin' | 'partnerAdmin';
  source: 'settings' | 'granted';
  name?: string;
}

interface RolesView {
  title: string;
  groups: { heading: string; entries: { text: string }[]; empty: string | null }[];
  howTo: string;
}

const render = cardTemplate<RolesView>(rolesJson);
const ROLE_ORDER = ['partnerAdmin', 'leadAdmin'] as const;

export function renderRolesCard({ locale, entries }: { locale: Locale; entries: RoleCardEntry[] }): CardAttachment {
  return render({
    title: t(locale, 'roles.title'),
    groups: ROLE_ORDER.map((role) => {
      const holders = entries.filter((entry) => entry.role === role);
      return {
        heading: t(locale, `roles.${role}`),
        entries: holders.map((entry) => ({ text: entryLine(entry, locale) })),
        empty: holders.length === 0 ? t(locale, 'roles.none') : null,
      };
    }),
    howTo: t(locale, 'roles.howTo'),
  });
}

/** "Dana Admin (00000000-…) · granted". */
function entryLine({ id, name, source }: RoleCardEntry, locale: Locale): string {
  const who = name ? t(locale, 'roles.named', { name, id }) : id;
  return t(locale, 'roles.entry', { who, source: t(locale, `roles.source.${source}`) });
}
