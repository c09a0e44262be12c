/**
 * Where a lead's card is posted, as recorded on the lead's own row: one JSON property per
 * conversation (see DeliveryStore). Here: the record and its stored form.
 */
import { createHash } from 'node:crypto';

export interface Delivery {
  leadId: string;
  conversationKey: string;
  activityId?: string;
  /** What the posted card shows (lead version + time-dependent state); differs → update it. */
  renderKey?: string;
  /** Posted again after a crash cut the first try short: Teams may show this card twice. */
  maybeDuplicate?: boolean;
  /** A first post began then (ms) and has not been recorded: if it is tried again, Teams may already have it. */
  postingSince?: number;
}

/** What a send leaves on record for one conversation. */
export type DeliveryRecord = Pick<Delivery, 'conversationKey' | 'activityId' | 'renderKey' | 'maybeDuplicate' | 'postingSince'>;

/** The stored form: short names, one JSON property per conversation. */
interface Entry {
  c: string;
  a?: string;
  r?: string;
  d?: boolean;
  p?: number;
}

const PREFIX = 'to_';
/** The lead row's property for a conversation (a hash: conversation keys hold characters property names may not). */
export const deliveryProperty = (conversationKey: string) => `${PREFIX}${createHash('sha1').update(conversationKey).digest('hex')}`;

/** The properties that record these deliveries, to merge into the lead's row. */
export function deliveryProperties(records: DeliveryRecord[]): Record<string, string> {
  return Object.fromEntries(
    records.map((r) => {
      const entry: Entry = { c: r.conversationKey, a: r.activityId, r: r.renderKey, d: r.maybeDuplicate || undefined, p: r.postingSince };
      return [deliveryProperty(r.conversationKey), JSON.stringify(entry)];
    }),
  );
}

/** The deliveries recorded on a lead's row. */
export function deliveriesOf(leadId: string, row: Record<string, unknown>): Delivery[] {
  return Object.entries(row).flatMap(([name, value]) => {
    if (!name.startsWith(PREFIX) || typeof value !== 'string') return [];
    const e = JSON.parse(value) as Entry;
    return [{ leadId, conversationKey: e.c, activityId: e.a, renderKey: e.r, maybeDuplicate: e.d, postingSince: e.p }];
  });
}

