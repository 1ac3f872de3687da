import { Agent, request } from 'undici';

import { inUse, nowMs } from './harness.ts';

/** A small HTTPS client for the benchmarks: undici with the sim's CA and a bearer token. */

export interface GetResult {
  bytes: number;
  matches: number;
  headersMs: number;
  inUseAtHeaders: number;
}

export class Http {
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  constructor(
    private readonly base: string,
    caPem: string,
    token: string,
  ) {
    this.agent = new Agent({ connect: { ca: caPem }, keepAliveTimeout: 60_000 });
    this.headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  }

  /**
   * GET a path and read the whole body: its size, how often `marker` occurs if given, ms until the headers
   * and the process's heap + external memory at that moment.
   */
  async get(path: string, marker?: Buffer): Promise<GetResult> {
    const t0 = nowMs();
    const res = await request(this.base + path, { dispatcher: this.agent, headers: this.headers });
    const headersMs = nowMs() - t0;
    const inUseAtHeaders = inUse();
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${await res.body.text()}`);
    let bytes = 0;
    let matches = 0;
    let tail = Buffer.alloc(0);
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!marker) continue;
      const joined = Buffer.concat([tail, chunk]);
      matches += countOf(joined, marker);
      tail = joined.subarray(Math.max(0, joined.length - marker.length + 1));
    }
    return { bytes, matches, headersMs, inUseAtHeaders };
  }

  async getBuffer(path: string): Promise<Buffer> {
    const res = await request(this.base + path, { dispatcher: this.agent, headers: this.headers });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${await res.body.text()}`);
    return Buffer.from(await res.body.arrayBuffer());
  }

  /** open a watch; `onLines` gets the number of complete lines in every chunk */
  async watch(path: string, onLines: (n: number) => void): Promise<() => void> {
    const abort = new AbortController();
    const res = await request(this.base + path, {
      dispatcher: this.agent,
      headers: this.headers,
      signal: abort.signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) throw new Error(`WATCH ${path}: ${res.statusCode} ${await res.body.text()}`);
    res.body.on('error', () => undefined);
    res.body.on('data', (chunk: Buffer) => onLines(countOf(chunk, 10)));
    return () => abort.abort();
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** occurrences of a byte or a byte string */
export function countOf(buf: Buffer, needle: Buffer | number): number {
  const step = typeof needle === 'number' ? 1 : needle.length;
  let n = 0;
  for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + step)) n++;
  return n;
}
