/**
 * Search over the stored leads (schedulerBench.ts stores them: "Stored lead <i>", id
 * "<tag>-<i>", all of customer Fabrikam Ltd): for each query, the index rows it reads and its
 * latency. The same queries over 10,000 and 1,000 stored leads read the same number of rows.
 */
import { LeadViewIndex } from '../services/storage/leadIndex';
import { openTables } from '../services/storage/tables';
import { searchLeads } from '../services/useCases/readLeads';
import { StorageCounter } from './storageCounter';
import { latency, timed, type Latency } from './stats';

export interface SearchFigures {
  stored: number;
  /** Per query: what it found on its first page and the index rows that page read. */
  queries: { query: string; found: number; rowsRead: number; requests: number }[];
  /** Every query's first page, RUNS times each. */
  latency: Latency;
}

const RUNS = 100;

/** One word every lead has, one two-letter prefix, one lead by a number in its name, two words, and a word none has. */
export const searchQueries = (stored: number): string[] => ['fabrikam', 'st', `lead ${Math.floor(stored / 2)}`, 'stored lead', 'zebra'];

export async function benchSearch(storage: string, prefix: string, stored: number): Promise<SearchFigures> {
  const counter = new StorageCounter(prefix);
  const tables = openTables(storage, prefix, { additionalPolicies: [counter.policy()] });
  const index = new LeadViewIndex(tables.LeadIndex, tables.SearchIndex);
  const queries: SearchFigures['queries'] = [];
  for (const query of searchQueries(stored)) {
    counter.reset();
    const answer = await searchLeads(index, query);
    if (!answer.ok) throw new Error(`the bench query "${query}" was refused: ${answer.reason}`);
    const count = counter.snapshot();
    queries.push({ query, found: answer.page.items.length, rowsRead: answer.rowsRead, requests: count.requests });
  }
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) for (const query of searchQueries(stored)) samples.push((await timed(() => searchLeads(index, query))).ms);
  return { stored, queries, latency: latency(samples) };
}
