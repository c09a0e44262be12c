import { StorageUnavailableError } from '../../services/errors';
import { createLogger } from '../../services/logger';

function capture() {
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('info', { destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { log, lines };
}

describe('the log', () => {
  it('says a storage outage in one short line, wherever it is logged: the reason, no stack, no request', () => {
    const { log, lines } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10002'), {
      code: 'ECONNREFUSED',
      request: { headers: { authorization: 'SharedKey devstoreaccount1:secret-signature' } },
    });
    log.warn({ err: new StorageUnavailableError(cause) }, 'background pass failed; retried on the next one');
    expect(lines[0]?.err).toEqual({ type: 'StorageUnavailableError', storage: 'ECONNREFUSED' });
    expect(JSON.stringify(lines)).not.toContain('secret-signature');
  });

  it('keeps the stack of any other error', () => {
    const { log, lines } = capture();
    log.error({ err: new TypeError('boom') }, 'request failed');
    expect(lines[0]?.err).toMatchObject({ type: 'TypeError', message: 'boom', stack: expect.stringContaining('TypeError: boom') });
  });
});
