/**
 * The one port through which what follows from a lead change subscribes to it: Teams cards, an
 * outside system's write-back, the lists, the search rows, the insights sums, the schedule. The
 * projector publishes every change once, a batch at a time; each reaction does its own writes in
 * its own tables or queue partition, from what the change owes (recorded in the change's own
 * transaction), and may be run again after a crash: every reaction is idempotent.
 */
import type { Lead } from '../leads/lead';
import type { PendingEffects, StoredLead } from '../storage/leadStore';

export interface LeadChange {
  /** The lead as stored now, its row's ETag, and where its cards are posted (recorded on its row). */
  stored: StoredLead;
  /** What the change owes (merged across changes not yet projected). */
  owed: PendingEffects;
  /** Made on this instance, which knows it without a read (no earlier change was waiting). */
  fresh: boolean;
}

export interface ChangeBatch {
  changes: LeadChange[];
  now: Date;
  /**
   * A reaction takes over finishing a change (its cards go out from memory): the projector leaves
   * its pending row and hint, and the reaction calls `finish` once it is done.
   */
  hold(change: LeadChange): HeldChange;
}

export interface HeldChange {
  /**
   * `first` runs (say, queuing what could not be done from memory), then `properties` are merged
   * into the lead's row and its pending row is cleared, in one transaction, if the lead is still
   * at `etag`; if it changed meanwhile, the properties are written alone and the newer change is
   * projected as usual. A failure is tried again on every projection pass.
   */
  finish(outcome: { properties: Record<string, string>; etag: string; first?: () => Promise<void> }): Promise<void>;
}

export interface Reaction {
  /**
   * Does what these changes owe this reaction, with one request per partition it shares between
   * them. A failure fails the batch: it is projected again, and every reaction runs again. May
   * return what to run once every reaction's writes are in (say, hand cards to the sender).
   */
  react(batch: ChangeBatch): Promise<(() => void) | void>;
  /**
   * A newer change came in while this one was projected (its pending row could not be cleared):
   * what this reaction derived from `was` is brought up to `now`, which the newer change's own
   * projection may have written before this one overwrote it.
   */
  overtaken?(was: Lead, now: Lead): Promise<void>;
}
