/** Entry point: `npm start`. */
import { main } from './main';

main().catch((error: unknown) => {
  process.stderr.write(`Partner Leads failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
