/**
 * Counts what the product asks of storage, from inside its TableClients (a pipeline policy given
 * to `openTables`): requests, and entities read = entities in query answers + point reads.
 */
import type { TableServiceClientOptions } from '@azure/data-tables';

type PolicyConfig = NonNullable<TableServiceClientOptions['additionalPolicies']>[number];

export interface StorageCount {
  requests: number;
  entitiesRead: number;
  byTable: Record<string, { requests: number; entitiesRead: number; queries: number; pointReads: number; writes: number }>;
}

export class StorageCounter {
  private count: StorageCount = { requests: 0, entitiesRead: 0, byTable: {} };

  constructor(private readonly tablePrefix: string) {}

  reset(): void {
    this.count = { requests: 0, entitiesRead: 0, byTable: {} };
  }

  snapshot(): StorageCount {
    return JSON.parse(JSON.stringify(this.count)) as StorageCount;
  }

  /** Counted once per try that reached the service (perRetry). */
  policy(): PolicyConfig {
    return {
      position: 'perRetry',
      policy: {
        name: 'benchStorageCounter',
        sendRequest: async (request, next) => {
          const response = await next(request);
          this.record(request.method, request.url, response.status, response.bodyAsText ?? undefined);
          return response;
        },
      },
    };
  }

  private record(method: string, url: string, status: number, body: string | undefined): void {
    const path = decodeURIComponent(new URL(url).pathname);
    const segment = path.split('/').pop() ?? '';
    const table = (/^([A-Za-z0-9]+)/.exec(segment)?.[1] ?? segment).replace(new RegExp(`^${this.tablePrefix}`), '') || '(service)';
    const t = (this.count.byTable[table] ??= { requests: 0, entitiesRead: 0, queries: 0, pointReads: 0, writes: 0 });
    this.count.requests++;
    t.requests++;
    if (method !== 'GET') {
      t.writes++;
      return;
    }
    let read = 0;
    if (/\(PartitionKey=/.test(segment)) {
      t.pointReads++;
      read = status === 200 ? 1 : 0;
    } else {
      t.queries++;
      try {
        read = status === 200 && body ? ((JSON.parse(body) as { value?: unknown[] }).value?.length ?? 0) : 0;
      } catch {
        read = 0;
      }
    }
    t.entitiesRead += read;
    this.count.entitiesRead += read;
  }
}
