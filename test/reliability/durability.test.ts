/**
 * The embedded storage (`npm start` without AZURE_TABLES_CONNECTION_STRING): Azurite inside the
 * app, saving to DATA_DIR. A graceful stop (SIGTERM from a service manager, SIGINT from Ctrl-C)
 * in the middle of a burst loses nothing the API acknowledged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { referral } from '../fixtures/referrals';
import { getJson, postJson } from '../support/http';
import { startApp, type AppProcess } from '../support/processes';

const KEY = 'durability-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

describe.each(['SIGTERM', 'SIGINT'] as const)('embedded storage stopped with %s during an ingest burst', (signal) => {
  let dataDir: string;
  let app: AppProcess;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'leads-durability-'));
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged lead across the restart', async () => {
    const env = { DATA_DIR: dataDir, LEADS_API_KEY: KEY };
    app = await startApp(env);
    const acknowledged: string[] = [];
    let next = 0;
    let stopping = false;
    const referrals = Array.from({ length: 2000 }, (_, i) => referral({ name: `Durable lead ${i}` }));
    const caller = async () => {
      while (next < referrals.length) {
        const r = referrals[next++]!;
        try {
          const answer = await postJson(`${app.url}/api/leads`, r, auth);
          if (answer.status === 201) acknowledged.push(r.id);
        } catch {
          return; // refused: the app no longer takes requests
        }
        if (acknowledged.length === 150 && !stopping) {
          stopping = true;
          process.kill(app.pid, signal);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, caller));
    expect(await app.exited).toEqual({ code: 0, signal: null });
    expect(acknowledged.length).toBeGreaterThanOrEqual(150);

    app = await startApp(env);
    const missing: string[] = [];
    for (const id of acknowledged) if ((await getJson(`${app.url}/api/leads/${id}`, auth)).status !== 200) missing.push(id);
    expect(missing).toEqual([]);
  });
});
