/**
 * Entry point (`npm start`, and how App Service starts it: `node dist/index.js`). Telemetry is
 * registered first, before the server and the Azure SDK are loaded, so that they are instrumented.
 */
import { existsSync } from 'node:fs';
import { startTelemetry } from './telemetry';

// Settings may live in a .env file beside package.json (see .env.sample); the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');
startTelemetry(process.env);

// Loaded only now: after telemetry, so that what it instruments is loaded after it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('./main') as typeof import('./main');

main().catch((error: unknown) => {
  process.stderr.write(`Partner Leads failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
