/**
 * Runs `work` over the items with at most `lanes` in flight; results in the items' order: storage
 * and Partner Center are called a few requests at a time, not one by one and not all at once.
 */
export async function inParallel<T, R>(items: T[], lanes: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i] as T);
      }
    }),
  );
  return results;
}
