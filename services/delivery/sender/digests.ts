/**
 * More than `digestThreshold` new-lead cards waiting for one conversation become digest cards,
 * one line per lead. Each delivery is marked with its digest's key before the digest is queued,
 * so a crash in between leaves marks without a digest, which `covers` sees: the cards then go out
 * on their own, and no lead is lost or shown twice.
 */
import type { Delivery, DeliveryStore } from '../deliveryStore';
import type { Outbox, OutboxItem } from '../outbox';

/** A delivery covered by a digest card has `digest|<the digest's outbox key>` for its activity id. */
const DIGEST_MARK = 'digest|';
export const isDigestMark = (activityId: string | undefined): boolean => Boolean(activityId?.startsWith(DIGEST_MARK));
/** Lines on one digest card; a bigger burst becomes several digests. */
const DIGEST_MAX_LINES = 20;

export interface DigestDeps {
  outbox: Outbox;
  deliveries: DeliveryStore;
  digestThreshold: number;
  /** How long a claimed item is this instance's. */
  leaseMs: number;
  /** Whether this card is being sent from memory (it is no digest line). */
  sendingFromMemory: (leadId: string, conversationKey: string) => boolean;
}

export class Digests {
  constructor(private readonly deps: DigestDeps) {}

  /** Whether the digest a delivery's mark names was queued (or sent): if not, the card goes out on its own. */
  covers(delivery: Delivery): Promise<boolean> {
    return this.deps.outbox.exists(delivery.activityId?.slice(DIGEST_MARK.length) ?? '');
  }

  /** Turns bursts of first posts among `due` into digests; returns the keys of the items a digest took. */
  async coalesce(due: OutboxItem[], now: Date): Promise<Set<string>> {
    // First posts are the urgent card updates (the projection marks them): no read needed to find them.
    const firstPosts = new Map<string, OutboxItem[]>();
    for (const item of due) {
      if (item.kind !== 'cardUpdate' || !item.urgent || !item.leadId) continue;
      if (this.deps.sendingFromMemory(item.leadId, item.conversationKey)) continue;
      firstPosts.set(item.conversationKey, [...(firstPosts.get(item.conversationKey) ?? []), item]);
    }
    const digested = new Set<string>();
    for (const [conversationKey, items] of firstPosts) {
      if (items.length <= this.deps.digestThreshold) continue;
      for (const key of await this.digest(conversationKey, items, now)) digested.add(key);
    }
    return digested;
  }

  /** A digest sent again after a crash: each of its leads' delivery records says it may show twice there. */
  async mayBeTwice(item: OutboxItem): Promise<void> {
    const ids = JSON.parse(item.leadIds ?? '[]') as string[];
    await Promise.all(
      ids.map(async (id) => {
        const delivery = await this.deps.deliveries.get(id, item.conversationKey);
        if (delivery?.activityId === `${DIGEST_MARK}${item.key}`) {
          await this.deps.deliveries.record(id, { conversationKey: item.conversationKey, activityId: delivery.activityId, renderKey: delivery.renderKey ?? '', maybeDuplicate: true });
        }
      }),
    );
  }

  /** One conversation's burst: claimed, marked and queued as digests of up to DIGEST_MAX_LINES lines. */
  private async digest(conversationKey: string, items: OutboxItem[], now: Date): Promise<string[]> {
    const { outbox } = this.deps;
    const claimed = (await Promise.all(items.map((i) => outbox.claim(i, now, this.deps.leaseMs)))).filter((i): i is OutboxItem => Boolean(i));
    if (claimed.length <= this.deps.digestThreshold) {
      // Another instance took some: give the rest back.
      await Promise.all(claimed.map((i) => outbox.retryLater(i, now.getTime(), 'released', 'released')));
      return [];
    }
    const taken: string[] = [];
    for (let start = 0; start < claimed.length; start += DIGEST_MAX_LINES) {
      const chunk = claimed.slice(start, start + DIGEST_MAX_LINES);
      // Named by its first lead too: two passes in the same millisecond never share a digest's key.
      const key = `digest|${now.getTime()}|${chunk[0]?.leadId ?? start}|${conversationKey}`;
      const lines = (await Promise.all(chunk.map((item) => this.mark(item, key, now)))).filter((i): i is OutboxItem => Boolean(i));
      if (lines.length === 0) continue;
      await outbox.enqueueOnce({ key, kind: 'digest', conversationKey, leadIds: JSON.stringify(lines.map((i) => i.leadId)) }, now);
      await Promise.all(lines.map((i) => outbox.complete(i, now)));
      taken.push(...lines.map((i) => i.key));
    }
    return taken;
  }

  /** Marks a first post as a line of digest `key`; undefined when it was posted after all (an ordinary update now). */
  private async mark(item: OutboxItem, key: string, now: Date): Promise<OutboxItem | undefined> {
    const { deliveries, outbox } = this.deps;
    const conversationKey = item.conversationKey;
    const delivery = await deliveries.get(item.leadId ?? '', conversationKey);
    if (delivery?.activityId) {
      await outbox.retryLater(item, now.getTime(), 'posted before', 'routine');
      return undefined;
    }
    // A first post that a crash cut short may have reached Teams: the line may then show it twice.
    await deliveries.record(item.leadId ?? '', { conversationKey, activityId: `${DIGEST_MARK}${key}`, renderKey: '', maybeDuplicate: Boolean(delivery?.postingSince) || undefined });
    return item;
  }
}
