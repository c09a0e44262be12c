/**
 * Decisions out, queued: a lead changed in Teams that Partner Center does not have yet waits here
 * (its own partition of the Outbox table, one coalescing item per lead however often it changes)
 * until the write-back sender brings the referral in line. The reaction queues it.
 */
import type { TableClient } from '@azure/data-tables';
import type { Reaction } from '../../changes/reaction';
import { Queue, type QueueItem } from '../../storage/queue';
import { syncState } from '../referrals/referralSync';

/** The Outbox table's partition of write-backs. */
export const WRITE_BACK_QUEUE = 'partnerCenter';
const WRITE_BACK = 'writeBack';

export interface WriteBackItem extends QueueItem {
  leadId: string;
}

export class WriteBackQueue extends Queue<WriteBackItem> {
  constructor(table: TableClient, dead: TableClient) {
    super(table, dead, WRITE_BACK_QUEUE, { coalescing: new Set([WRITE_BACK]) });
  }

  async enqueueWriteBacks(leadIds: string[], now: Date): Promise<void> {
    await this.enqueueCoalescing(leadIds.map((leadId) => ({ rowKey: `${WRITE_BACK}|${leadId}`, kind: WRITE_BACK, conversationKey: '', leadId })), now);
  }
}

/** Every change whose lead says something Partner Center does not have yet queues its write-back; the sender is woken after. */
export function writeBackReaction(queue: WriteBackQueue, wake: () => void): Reaction {
  return {
    react: async ({ changes, now }) => {
      const owing = changes.filter(({ stored }) => syncState(stored.lead) === 'pending').map(({ stored }) => stored.lead.id);
      if (owing.length > 0) await queue.enqueueWriteBacks(owing, now);
      return wake;
    },
  };
}
