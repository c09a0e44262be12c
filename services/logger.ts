/** One structured logger (pino): JSON lines in production, a child per module; secrets redacted. */
import pino, { type Logger } from 'pino';
import { StorageUnavailableError } from './errors';
import { traceFields } from './telemetry';

export type { Logger };

const redact = {
  paths: [
    '*.MicrosoftAppPassword',
    '*.LEADS_API_KEY',
    '*.AZURE_TABLES_CONNECTION_STRING',
    '*.PARTNER_CENTER_CLIENT_SECRET',
    '*.PARTNER_CENTER_REFRESH_TOKEN',
    '*.PARTNER_CENTER_TOKEN_KEY',
    '*.APPLICATIONINSIGHTS_CONNECTION_STRING',
    '*.refreshToken',
    '*.refresh_token',
    '*.accessToken',
    '*.access_token',
    '*.clientSecret',
    '*.client_secret',
    '*.authorization',
    '*.headers.authorization',
    'req.headers.authorization',
  ],
  censor: '[redacted]',
};

/**
 * An outage repeats on every request and its stack says nothing new (its cause carries the whole
 * request, headers included): it is logged as one line with the reason, wherever it is logged.
 */
const serializers = {
  err: (error: unknown) => (error instanceof StorageUnavailableError ? { type: error.name, storage: error.reason } : pino.stdSerializers.err(error as Error)),
};

/** Each line in a trace carries its trace and span ids: Application Insights joins them up. */
export function createLogger(level: string, options: { destination?: pino.DestinationStream } = {}): Logger {
  return pino({ level, redact, serializers, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceFields }, options.destination);
}

/** A logger that drops everything: for tests and tools that have nothing to say. */
export const silentLogger: Logger = pino({ level: 'silent' });
