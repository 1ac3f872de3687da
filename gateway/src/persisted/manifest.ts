import { readFileSync } from 'node:fs';

/**
 * Trusted documents: the operations a gateway may run when REQUIRE_PERSISTED_OPERATIONS is on, and the ones any
 * client may call by id. Read from PERSISTED_OPERATIONS_FILE, in either of two shapes:
 *
 * - Apollo's persisted query manifest (what `@apollo/generate-persisted-query-manifest` writes):
 *   `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [{ "id", "name", "type", "body" }] }`
 * - a plain map of id to document: `{ "<id>": "<document>" }` (what Relay, GraphQL Codegen's client preset and most
 *   other tools write).
 *
 * Ids are compared as given; clients may send them as `documentId` (with or without the draft's `sha256:` prefix)
 * or as APQ's `extensions.persistedQuery.sha256Hash`.
 */

/** manifest id → document text */
export type PersistedOperations = ReadonlyMap<string, string>;

const APOLLO_FORMAT = 'apollo-persisted-query-manifest';

/** the operations of a parsed manifest; throws an Error naming what is wrong */
export function parseManifest(json: unknown): PersistedOperations {
  if (!json || typeof json !== 'object' || Array.isArray(json))
    throw new Error('a persisted operations manifest must be a JSON object');
  const record = json as Record<string, unknown>;
  const out = new Map<string, string>();
  if ('format' in record || 'operations' in record) {
    if (record['format'] !== APOLLO_FORMAT || record['version'] !== 1)
      throw new Error(
        `expected "format": "${APOLLO_FORMAT}" and "version": 1, got ${JSON.stringify(record['format'])} version ${JSON.stringify(record['version'])}`,
      );
    const operations = record['operations'];
    if (!Array.isArray(operations)) throw new Error('"operations" must be an array');
    operations.forEach((op: unknown, i) => {
      const o = (op ?? {}) as Record<string, unknown>;
      if (typeof o['id'] !== 'string' || o['id'] === '' || typeof o['body'] !== 'string' || o['body'] === '')
        throw new Error(`operations[${i}] needs a non-empty string "id" and "body"`);
      if (o['type'] !== undefined && !['query', 'mutation', 'subscription'].includes(o['type'] as string))
        throw new Error(`operations[${i}].type must be query, mutation or subscription`);
      out.set(o['id'], o['body']);
    });
    return out;
  }
  for (const [id, body] of Object.entries(record)) {
    if (typeof body !== 'string' || body === '')
      throw new Error(`the document of id ${JSON.stringify(id)} must be a non-empty string`);
    out.set(id, body);
  }
  return out;
}

/** reads and parses a manifest file; throws an Error naming the file and the fault */
export function loadManifestFile(path: string): PersistedOperations {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return parseManifest(json);
  } catch (e) {
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
