/**
 * A recording proxy in front of Azurite: the spawned server talks to storage through it, and every
 * request is written down (when, which table, which operation; the operations inside a batch too).
 * Used only for the round-trip trace, never for a timed figure.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { azuriteConnectionString } from '../services/storage/embeddedAzurite';

export interface TracedRequest {
  at: number;
  op: string;
}

export class StorageTrace {
  readonly requests: TracedRequest[] = [];
  private server?: Server;
  private readonly agent = new Agent({ keepAlive: true });
  connectionString = '';

  constructor(
    private readonly targetPort: number,
    private readonly tablePrefix: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const at = performance.now();
        const upstream = httpRequest(
          { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers, agent: this.agent },
          (answer: IncomingMessage) => {
            this.requests.push({ at, op: this.describe(req, body.toString('utf8'), answer.statusCode ?? 0) });
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as AddressInfo).port;
    this.connectionString = azuriteConnectionString(`http://127.0.0.1:${port}`);
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    this.agent.destroy();
  }

  /** Requests recorded between two instants (performance.now() of this process). */
  between(from: number, to: number): string[] {
    return this.requests.filter((r) => r.at >= from && r.at < to).map((r) => r.op);
  }

  private describe(req: IncomingMessage, body: string, status: number): string {
    const url = new URL(req.url ?? '/', 'http://x');
    const segment = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const failed = status >= 400 ? ` → ${status}` : '';
    if (segment === '$batch') {
      const inner = [...body.matchAll(/^(GET|POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP\/1\.1\r?\n([\s\S]*?)\r?\n\r?\n/gm)].map((m) => {
        const ifMatch = /^If-Match:\s*(.+)$/im.exec(m[3] ?? '')?.[1]?.trim();
        const target = decodeURIComponent(new URL(m[2] ?? '/', 'http://x').pathname.split('/').pop() ?? '');
        return `${operation(m[1] ?? '', target, ifMatch)}${rowHint(target)}`;
      });
      const table = this.table(/^(?:GET|POST|PUT|PATCH|MERGE|DELETE) \S+\/([A-Za-z0-9]+)[(\s]/m.exec(body)?.[1] ?? '?');
      return `batch ${table} [${inner.join(', ')}]${failed}`;
    }
    const table = this.table(/^([A-Za-z0-9]+)/.exec(segment)?.[1] ?? segment);
    const ifMatch = req.headers['if-match'];
    if (req.method === 'GET' && !segment.includes('(PartitionKey=')) {
      const filter = url.searchParams.get('$filter') ?? '';
      return `query ${table}${filter ? ` where ${shorten(filter)}` : ''}${failed}`;
    }
    return `${operation(req.method ?? '', segment, typeof ifMatch === 'string' ? ifMatch : undefined)} ${table}${rowHint(segment)}${failed}`;
  }

  private table(name: string): string {
    return name.startsWith(this.tablePrefix) ? name.slice(this.tablePrefix.length) : name;
  }
}

function operation(method: string, target: string, ifMatch: string | undefined): string {
  const conditional = ifMatch && ifMatch !== '*' ? ' if-ETag' : '';
  switch (method) {
    case 'GET':
      return 'read';
    case 'POST':
      return target === 'Tables' ? 'create table' : 'insert';
    case 'PUT':
      return ifMatch ? `replace${conditional}` : 'upsert';
    case 'PATCH':
    case 'MERGE':
      return ifMatch ? `merge${conditional}` : 'upsert-merge';
    case 'DELETE':
      return `delete${conditional}`;
    default:
      return method;
  }
}

/** The kind of row: RowKey up to its first separator (lead, pending, event, card, a lease's name; a delivery's lead id). */
function rowHint(target: string): string {
  const row = /RowKey='([^']*)'/.exec(target)?.[1];
  return row === undefined ? '' : `(${decodeURIComponent(row).split(/[|-]/)[0]?.slice(0, 14)})`;
}

function shorten(filter: string): string {
  return filter.replace(/'[^']{16,}'/g, "'…'").replace(/\d{10,}L?/g, 'n').slice(0, 90);
}
