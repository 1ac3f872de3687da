import type { IncomingMessage } from 'node:http';

import { parse as parseYaml } from 'yaml';

import type { DeleteOptions, FieldValidation, WriteOptions } from './api.ts';
import type { ListOptions } from './listing.ts';
import { isObject } from './objects.ts';
import { badRequest, StatusError } from './status.ts';

/** Request bodies and query parameters of the REST API, parsed and checked as the apiserver does. */

export function parseBody(raw: Buffer, contentType: string | undefined, allowYaml: boolean): unknown {
  if (raw.length === 0) return undefined;
  const mime = (contentType ?? 'application/json').split(';')[0]?.trim().toLowerCase() ?? '';
  const text = raw.toString('utf8');
  const yaml = mime === 'application/yaml' || mime === 'application/apply-patch+yaml';
  if (yaml && allowYaml) {
    try {
      return parseYaml(text) as unknown;
    } catch (e) {
      throw badRequest(`error converting YAML to JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw badRequest(
      `couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export const bool = (q: URLSearchParams, key: string): boolean => q.get(key) === 'true' || q.get(key) === '1';
export const str = (q: URLSearchParams, key: string): string | undefined => q.get(key) ?? undefined;

export function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid value for ${key}: ${v}`);
  return n;
}

export function writeOptions(q: URLSearchParams): WriteOptions {
  const opts: WriteOptions = {};
  const dryRun = q.getAll('dryRun');
  if (dryRun.length) {
    if (dryRun.some((d) => d !== 'All'))
      throw badRequest(`dryRun: Unsupported value: "${dryRun.join(',')}": supported values: "All"`);
    opts.dryRun = true;
  }
  const fm = q.get('fieldManager');
  if (fm !== null) {
    if (fm.length > 128) throw badRequest('fieldManager: Too long: may not be longer than 128 characters');
    opts.fieldManager = fm;
  }
  const fv = q.get('fieldValidation');
  if (fv !== null && fv !== '') {
    if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
      throw badRequest(
        `fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`,
      );
    }
    opts.fieldValidation = fv satisfies FieldValidation;
  }
  return opts;
}

export function listOptions(q: URLSearchParams): ListOptions {
  return {
    labelSelector: str(q, 'labelSelector'),
    fieldSelector: str(q, 'fieldSelector'),
    limit: intParam(q, 'limit'),
    continue: str(q, 'continue'),
    resourceVersion: str(q, 'resourceVersion'),
    resourceVersionMatch: str(q, 'resourceVersionMatch'),
  };
}

export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const opts: DeleteOptions = {};
  const b = isObject(body) ? body : {};
  const policy = (b['propagationPolicy'] ?? q.get('propagationPolicy') ?? undefined) as unknown;
  if (policy !== undefined && policy !== null) {
    if (policy !== 'Background' && policy !== 'Foreground' && policy !== 'Orphan') {
      throw badRequest(
        `propagationPolicy: Unsupported value: "${String(policy)}": supported values: "Foreground", "Background", "Orphan"`,
      );
    }
    opts.propagationPolicy = policy;
  }
  if (b['orphanDependents'] === true) opts.propagationPolicy = 'Orphan';
  if (isObject(b['preconditions'])) {
    const p = b['preconditions'];
    opts.preconditions = {};
    if (typeof p['uid'] === 'string') opts.preconditions.uid = p['uid'];
    if (typeof p['resourceVersion'] === 'string') opts.preconditions.resourceVersion = p['resourceVersion'];
  }
  const dry = Array.isArray(b['dryRun']) ? b['dryRun'] : q.getAll('dryRun');
  if (dry.includes('All')) opts.dryRun = true;
  return opts;
}

/** Serve one API request. The body has been read; authentication happened before. */

const MAX_BODY = 3 * 1024 * 1024;

/** the whole request body, refused with 413 above 3 MiB (the apiserver's default limit) */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728', {}),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
