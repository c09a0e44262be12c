/** Named marks in the Leases table: "this occurrence of a scheduled job is done", shared by every instance. */
import type { TableClient } from '@azure/data-tables';
import { createIfAbsent, getOrUndefined } from './tables';

const PARTITION = 'done';

export class OnceMarks {
  constructor(private readonly table: TableClient) {}

  async has(name: string): Promise<boolean> {
    return Boolean(await getOrUndefined(this.table, PARTITION, name));
  }

  /** Marks it done; false when it already was. */
  mark(name: string): Promise<boolean> {
    return createIfAbsent(this.table, { partitionKey: PARTITION, rowKey: name });
  }
}
