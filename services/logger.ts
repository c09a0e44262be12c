/** One structured logger (pino): JSON lines in production, a child per module; secrets redacted. */
import pino, { type Logger } from 'pino';

export type { Logger };

const redact = {
  paths: [
    '*.MicrosoftAppPassword',
    '*.LEADS_API_KEY',
    '*.AZURE_TABLES_CONNECTION_STRING',
    '*.authorization',
    '*.headers.authorization',
    'req.headers.authorization',
  ],
  censor: '[redacted]',
};

export function createLogger(level: string, options: { destination?: pino.DestinationStream } = {}): Logger {
  return pino({ level, redact, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, options.destination);
}

/** A logger that drops everything: for tests and tools that have nothing to say. */
export const silentLogger: Logger = pino({ level: 'silent' });
