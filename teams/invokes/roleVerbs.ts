/**
 * The roles card: who may read and change leads, and who gets the team's new leads in their
 * personal chat. Partner admins add people with the people picker (no AAD object ids to type) and
 * remove them with a button; everyone else sees the card without them.
 */
import { renderRolesCard, t, type CardAttachment } from '../../cards';
import type { Role } from '../../services/useCases/roles';
import { AAD_OBJECT_ID, grantFormSchema, roleRemovalSchema } from '../activityParsers';
import { logRefusal } from './access';
import { peoplePicker, type CardDeps } from './cardViews';
import { cardResponse, errorResponse, messageResponse, type VerbHandler } from './cardVerbs';
import type { Clicker } from './clicker';

/** The roles card as this person sees it; with a notice after a change; `adding`: with the form to add someone (partner admins). */
export async function rolesCard(clicker: Clicker, deps: CardDeps, options: { notice?: { text: string; tone: 'good' | 'warning' }; adding?: boolean } = {}): Promise<CardAttachment> {
  const { roles } = deps.product;
  const editing = clicker.access.admin;
  const [entries, streams, adding] = await Promise.all([roles.list(), roles.streams(), editing && options.adding ? peoplePicker(clicker, deps) : undefined]);
  return renderRolesCard({ locale: clicker.locale, entries, streams, everyone: roles.everyone, editing, adding, notice: options.notice });
}

/** roles.show (Cancel), roles.add (Add…): the card again, with the form to add someone for roles.add. */
export const showRoles: VerbHandler = async (_data, clicker, deps, verb) => {
  if (verb === 'roles.add' && !clicker.access.admin) return refused(clicker, deps, verb);
  return cardResponse(await rolesCard(clicker, deps, { adding: verb === 'roles.add' }));
};

/**
 * A person picked: their AAD object id and name, as Teams knows them here; an AAD object id alone
 * when Teams does not say (picked from the whole organization); undefined for anything else.
 */
async function picked(personId: string, clicker: Clicker, deps: CardDeps): Promise<{ id: string; name?: string } | undefined> {
  const member = await deps.product.people.findAnywhere(clicker.where, personId).catch(() => undefined);
  if (member) return { id: member.aadObjectId, name: member.name };
  return AAD_OBJECT_ID.test(personId) ? { id: personId.toLowerCase() } : undefined;
}

/** How the roles card names someone: by the name it knows, else the id. */
async function nameOf(id: string, deps: CardDeps): Promise<string> {
  const { roles } = deps.product;
  const known = (await Promise.all([roles.list(), roles.streams()])).flat().find((entry) => entry.id.toLowerCase() === id.toLowerCase() && entry.name);
  return known?.name ?? id;
}

const who = (person: { id: string; name?: string }) => person.name ?? person.id;

/** Add… on the roles card: a partner admin gives the person picked a role, and the team's stream if ticked. */
export const grantRole: VerbHandler = async (data, clicker, deps, verb) => {
  const { locale } = clicker;
  if (!clicker.access.admin) return refused(clicker, deps, verb);
  const form = grantFormSchema.safeParse(data);
  if (!form.success) return errorResponse(400, 'BadRequest', 'Choose a person and a role.');
  const person = await picked(form.data.personId, clicker, deps);
  if (!person) return errorResponse(400, 'BadRequest', 'Choose a person.');
  const role: Role = form.data.role;
  if ((await deps.product.roles.grant(clicker.actor.id, person.id, role, person.name)) === 'forbidden') return refused(clicker, deps, verb);
  const stream = form.data.stream === true && (await deps.product.roles.stream(clicker.actor.id, person, true)) === 'changed';
  const text = t(locale, stream ? 'roles.grantedStream' : 'roles.granted', { who: who(person), role: t(locale, `role.${role}`) });
  return cardResponse(await rolesCard(clicker, deps, { notice: { text, tone: 'good' } }));
};

/** What a Remove button does to the person it names: the notice saying so; undefined when the use case refused. */
type Removal = (personId: string, name: string, clicker: Clicker, deps: CardDeps) => Promise<string | undefined>;

/** A Remove button on the roles card (partner admins): the person's `remove`al, then the card again with its notice. */
function removeButton(unnamed: string, remove: Removal): VerbHandler {
  return async (data, clicker, deps, verb) => {
    if (!clicker.access.admin) return refused(clicker, deps, verb);
    const removal = roleRemovalSchema.safeParse(data);
    if (!removal.success) return errorResponse(400, 'BadRequest', unnamed);
    const { personId } = removal.data;
    const text = await remove(personId, await nameOf(personId, deps), clicker, deps);
    if (text === undefined) return refused(clicker, deps, verb);
    return cardResponse(await rolesCard(clicker, deps, { notice: { text, tone: 'good' } }));
  };
}

/** Remove beside a granted role. */
export const revokeRole = removeButton('Name the person whose role goes.', async (personId, name, clicker, deps) => {
  const revoked = await deps.product.roles.revoke(clicker.actor.id, personId);
  return revoked === 'forbidden' ? undefined : t(clicker.locale, revoked === 'revoked' ? 'roles.revoked' : 'command.revokeNothing', { who: name, id: name });
});

/** Remove beside someone who gets the team's new leads in their personal chat. */
export const stopStream = removeButton('Name the person.', async (personId, name, clicker, deps) =>
  (await deps.product.roles.stream(clicker.actor.id, { id: personId }, false)) === 'forbidden' ? undefined : t(clicker.locale, 'roles.streamOff', { who: name }),
);

function refused(clicker: Clicker, deps: CardDeps, verb: string) {
  logRefusal(clicker, deps, verb, 'admin');
  return messageResponse(t(clicker.locale, 'command.onlyPartnerAdmins'));
}
