// A small OTLP/HTTP trace receiver for tests: a plain HTTP server that accepts
// `POST /v1/traces` in the JSON encoding (what the services' exporter sends), keeps every
// span it is given with the `service.name` of its resource, and answers 200 — the part of
// a collector (Jaeger) the services talk to.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** SpanKind as OTLP numbers it. */
export const OtlpSpanKind = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface ReceivedSpan {
  /** `service.name` of the exporting process */
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  /** null for a root span */
  parentSpanId: string | null;
  attributes: Record<string, string | number | boolean>;
  /** span status code: 0 unset, 1 ok, 2 error */
  status: number;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

function attributeValue(v: OtlpValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return '';
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, attributeValue(a.value)]));
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** requests that were not a JSON trace export, with why */
  readonly refused: string[] = [];

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const problem = receiver!.take(req.method ?? '', req.url ?? '', String(req.headers['content-type'] ?? ''), Buffer.concat(chunks));
        res.writeHead(problem ? 400 : 200, { 'content-type': 'application/json' });
        res.end(problem ? JSON.stringify({ error: problem }) : '{}');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private take(method: string, url: string, contentType: string, body: Buffer): string | null {
    if (method !== 'POST' || url !== '/v1/traces') return this.refuse(`${method} ${url}`);
    if (!contentType.startsWith('application/json')) return this.refuse(`content-type ${contentType}`);
    let parsed: OtlpExport;
    try {
      parsed = JSON.parse(body.toString('utf8')) as OtlpExport;
    } catch (err) {
      return this.refuse(`not JSON: ${(err as Error).message}`);
    }
    for (const rs of parsed.resourceSpans ?? []) {
      const service = String(attributes(rs.resource?.attributes)['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service,
            name: s.name,
            kind: s.kind,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ? s.parentSpanId : null,
            attributes: attributes(s.attributes),
            status: s.status?.code ?? 0,
          });
        }
      }
    }
    return null;
  }

  private refuse(why: string): string {
    this.refused.push(why);
    return why;
  }
}
