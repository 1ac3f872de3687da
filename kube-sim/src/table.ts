import { badRequest } from './status.ts';
import type { ServerResponse } from 'node:http';

import { CORE_PRINTERS } from './table/core.ts';
import {
  at,
  column,
  CREATED_DESCRIPTION,
  humanDuration,
  type Json,
  NAME_COLUMN,
  type Printer,
  timeOf,
} from './table/format.ts';
import { compileJsonPath } from './table/jsonPath.ts';
import { POD_PRINTER } from './table/pods.ts';
import { STORAGE_PRINTERS } from './table/storage.ts';
import { WORKLOAD_PRINTERS } from './table/workloads.ts';
import {
  apiVersionOf,
  groupResource,
  type PrinterColumn,
  type ResourceType,
  type StoredObject,
} from './types.ts';

/**
 * Server-side printing: answers `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` with a meta.k8s.io Table,
 * as kube-apiserver does for `kubectl get`. Built-in kinds get the apiserver's own columns (table/*.ts),
 * custom resources their CRD's additionalPrinterColumns, and everything else Name and Created At.
 */

export interface TableRequest {
  /** the meta.k8s.io version the client asked for */
  version: 'v1' | 'v1beta1';
  includeObject: 'Object' | 'Metadata' | 'None';
}

/**
 * The Table the client asked for, or undefined when it prefers plain JSON. The first acceptable media range wins,
 * as the apiserver's negotiation does; an as=Table of an unknown group or version is skipped.
 */
export function tableRequest(accept: string | undefined, q: URLSearchParams): TableRequest | undefined {
  for (const range of (accept ?? '').split(',')) {
    const [mime = '', ...paramList] = range.split(';').map((s) => s.trim());
    const params = new Map(
      paramList.map((p) => {
        const i = p.indexOf('=');
        return [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()] as const;
      }),
    );
    if (params.get('q') === '0') continue;
    const as = params.get('as');
    if (as === undefined) {
      if (['application/json', 'application/*', '*/*', 'application/yaml'].includes(mime.toLowerCase()))
        return;
      continue;
    }
    const v = params.get('v');
    if (as !== 'Table' || params.get('g') !== 'meta.k8s.io' || (v !== 'v1' && v !== 'v1beta1')) continue;
    if (mime.toLowerCase() !== 'application/json') continue;
    const include = q.get('includeObject') ?? '';
    if (include !== '' && include !== 'Object' && include !== 'Metadata' && include !== 'None') {
      throw badRequest(
        `Unable to convert to Table as requested: includeObject: Invalid value: "${include}": must be 'Metadata', 'Object', 'None', or empty`,
      );
    }
    return { version: v, includeObject: include === '' ? 'Metadata' : include };
  }
  return undefined;
}

const CREATED_AT = column('Created At', 'date', CREATED_DESCRIPTION);

/** rest.NewDefaultTableConvertor: the name and the creation timestamp, for kinds without a printer */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME_COLUMN, CREATED_AT],
  row: (o) => ({ cells: [at(o, 'metadata', 'name'), at(o, 'metadata', 'creationTimestamp') ?? null] }),
};

const BUILTIN: Readonly<Record<string, Printer>> = {
  pods: POD_PRINTER,
  ...WORKLOAD_PRINTERS,
  ...CORE_PRINTERS,
  ...STORAGE_PRINTERS,
};
const crdPrinters = new WeakMap<ResourceType, Printer>();

/** the printer for a served type */
export function printerFor(type: ResourceType): Printer {
  if (!type.crd) return BUILTIN[groupResource(type)] ?? DEFAULT_PRINTER;
  let p = crdPrinters.get(type);
  if (!p) {
    p = crdPrinter(type.printerColumns);
    crdPrinters.set(type, p);
  }
  return p;
}

/** a CRD version without additionalPrinterColumns is served with Age alone (serveDefaultColumnsIfEmpty) */
const DEFAULT_CRD_COLUMNS: readonly PrinterColumn[] = [
  { name: 'Age', type: 'date', description: CREATED_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' },
];

/** the apiextensions-apiserver's table convertor: Name, then one cell per printer column */
function crdPrinter(columns: readonly PrinterColumn[] | undefined): Printer {
  const cols = columns && columns.length > 0 ? columns : DEFAULT_CRD_COLUMNS;
  const paths = cols.map((c) => compileJsonPath(c.jsonPath));
  return {
    columns: [
      NAME_COLUMN,
      ...cols.map((c) =>
        column(
          c.name,
          c.type,
          c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
          c.priority ?? 0,
          c.format ?? '',
        ),
      ),
    ],
    row: (o, now) => ({
      cells: [
        at(o, 'metadata', 'name'),
        ...cols.map((c, i) => {
          const found = paths[i]?.(o) ?? [];
          return found.length === 0 || found[0] === null ? null : cellFor(c.type, found[0], now);
        }),
      ],
    }),
  };
}

/** cellForJSONValue, and jsonpath's text printing for string columns */
function cellFor(type: string, value: unknown, now: number): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '') return '<unknown>';
      const t = timeOf(value);
      return t === undefined || !/^\d{4}-\d\d-\d\dT/.test(value) ? '<invalid>' : humanDuration(now - t);
    }
    default:
      return null;
  }
}

/** the JSON of one table row: cells, conditions, and the object (at `apiVersion`) as includeObject asks */
export function rowJson(
  p: Printer,
  obj: StoredObject,
  apiVersion: string,
  req: TableRequest,
  now: number,
): string {
  const { cells, conditions } = p.row(obj as Json, now);
  const object =
    req.includeObject === 'None'
      ? null
      : req.includeObject === 'Object'
        ? obj.apiVersion === apiVersion
          ? obj
          : { ...obj, apiVersion }
        : { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${req.version}`, metadata: obj.metadata };
  return JSON.stringify(conditions ? { cells, conditions, object } : { cells, object });
}

/**
 * The start of a Table's JSON up to its first row; finish it with rows joined by "," and then "]}".
 * `columns` false writes `"columnDefinitions":null`, as the apiserver does after the first event of a watch.
 */
export function tableHead(
  p: Printer,
  req: TableRequest,
  metadata: Record<string, unknown>,
  columns = true,
): string {
  const defs = columns ? JSON.stringify(p.columns) : 'null';
  return `{"kind":"Table","apiVersion":"meta.k8s.io/${req.version}","metadata":${JSON.stringify(metadata)},"columnDefinitions":${defs},"rows":[`;
}

/** a Table with one row: the answer to a single GET, or a watch event's object */
function singleRowTable(
  type: ResourceType,
  req: TableRequest,
  obj: StoredObject,
  now: number,
  columns: boolean,
) {
  const p = printerFor(type);
  const head = tableHead(p, req, { resourceVersion: obj.metadata.resourceVersion }, columns);
  return `${head}${rowJson(p, obj, apiVersionOf(type), req, now)}]}`;
}

/** answer a GET of one object with a one-row Table */
export function sendTable(
  res: ServerResponse,
  type: ResourceType,
  req: TableRequest,
  obj: StoredObject,
  now: number,
): void {
  const json = singleRowTable(type, req, obj, now, true);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(json)),
  });
  res.end(json);
}

/**
 * The object of each watch event as a one-row Table. Only the first carries the column definitions: the
 * apiserver's watch encoder sets NoHeaders after the first event, and kubectl reuses the columns it has.
 */
export function watchTableEncoder(
  type: ResourceType,
  req: TableRequest,
  now: () => number,
): (obj: StoredObject) => string {
  let first = true;
  return (obj) => {
    const json = singleRowTable(type, req, obj, now(), first);
    first = false;
    return json;
  };
}
