import type { ServerResponse } from 'node:http';

import type { Filter } from './listing.ts';
import type { WatchSink } from './store.ts';
import { StatusError } from './status.ts';
import type { StoredObject, WatchEventType } from './types.ts';

/** A watch over HTTP: one JSON event per line on a chunked response, as kube-apiserver streams them. */

const objectJson = new WeakMap<StoredObject, string>();

/** JSON of a stored object, computed once however many watchers receive it (kept only when `remember`) */
export function jsonOf(obj: StoredObject, remember = true): string {
  let s = objectJson.get(obj);
  if (s === undefined) {
    s = JSON.stringify(obj);
    if (remember) objectJson.set(obj, s);
  }
  return s;
}

export interface HttpWatchOptions {
  res: ServerResponse;
  gr: string;
  namespace: string | undefined;
  filter: Filter;
  /** the apiVersion the client asked for (objects stored at another version are relabelled) */
  apiVersion: string;
  kind: string;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds: number | undefined;
  currentRv: () => number;
  onClose: (sink: WatchSink) => void;
  /** a watcher that falls this far behind is closed, as the apiserver closes slow watchers; @default 64 MiB */
  maxBufferedBytes?: number;
  /**
   * the JSON of an event's object when the client asked for another representation (a one-row Table);
   * by default the object itself at `apiVersion`. BOOKMARK and ERROR objects are never transformed.
   */
  encode?: ((obj: StoredObject) => string) | undefined;
}

export interface HttpWatch extends WatchSink {
  start(): void;
  bookmark(annotations?: Record<string, string>): void;
  error(err: StatusError): void;
}

export function createHttpWatch(o: HttpWatchOptions): HttpWatch {
  const { res } = o;
  const maxBuffered = o.maxBufferedBytes ?? 64 * 1024 * 1024;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let ticker: NodeJS.Timeout | undefined;

  const write = (line: string): void => {
    if (closed) return;
    res.write(line);
    if (res.writableLength > maxBuffered) sink.close('destroy');
  };

  const finish = (): void => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    if (ticker) clearInterval(ticker);
    o.onClose(sink);
  };

  const sink: HttpWatch = {
    gr: o.gr,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    matches: (obj) => o.filter.matches(obj),
    send(type: WatchEventType, obj: StoredObject): void {
      if (closed) return;
      const body = o.encode
        ? o.encode(obj)
        : obj.apiVersion === o.apiVersion
          ? jsonOf(obj)
          : JSON.stringify({ ...obj, apiVersion: o.apiVersion });
      write(`{"type":"${type}","object":${body}}\n`);
    },
    bookmark(annotations?: Record<string, string>): void {
      const metadata: Record<string, unknown> = { resourceVersion: String(o.currentRv()) };
      if (annotations) metadata['annotations'] = annotations;
      write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { kind: o.kind, apiVersion: o.apiVersion, metadata } })}\n`,
      );
    },
    error(err: StatusError): void {
      write(`${JSON.stringify({ type: 'ERROR', object: err.toStatus() })}\n`);
      sink.close('end');
    },
    close(how: 'end' | 'destroy'): void {
      if (closed) return;
      finish();
      if (how === 'destroy') res.socket?.destroy();
      else res.end();
    },
    start(): void {
      res.on('close', finish);
      if (o.timeoutSeconds !== undefined && o.timeoutSeconds > 0) {
        timer = setTimeout(() => {
          if (o.bookmarks) sink.bookmark();
          sink.close('end');
        }, o.timeoutSeconds * 1000);
        timer.unref();
      }
      if (o.bookmarks && o.bookmarkIntervalMs > 0) {
        ticker = setInterval(() => sink.bookmark(), o.bookmarkIntervalMs);
        ticker.unref();
      }
    },
  };
  return sink;
}
