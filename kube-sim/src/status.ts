import type { FieldError } from './types.ts';

/** A metav1.Status body, as kube-apiserver sends it for every failure. */
export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    uid?: string;
    causes?: unknown[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** An error that becomes a Status response. Thrown anywhere inside a request handler. */
export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusBody['details'];

  constructor(code: number, reason: string, message: string, details?: StatusBody['details']) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    const body: StatusBody = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) body.details = this.details;
    return body;
  }
}

interface Target {
  group: string;
  resource: string;
  name?: string | undefined;
}

function details(t: Target): NonNullable<StatusBody['details']> {
  const d: NonNullable<StatusBody['details']> = { kind: t.resource };
  if (t.name !== undefined) d.name = t.name;
  if (t.group !== '') d.group = t.group;
  return d;
}

function qualified(t: Target): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

export const notFound = (t: Target): StatusError =>
  new StatusError(404, 'NotFound', `${qualified(t)} "${t.name ?? ''}" not found`, details(t));

export const unknownPath = (): StatusError =>
  new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export const alreadyExists = (t: Target): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualified(t)} "${t.name ?? ''}" already exists`, details(t));

export const conflict = (
  t: Target,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): StatusError =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(t)} "${t.name ?? ''}": ${why}`,
    details(t),
  );

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

export const invalid = (kind: string, group: string, name: string, causes: FieldError[]): StatusError => {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  const text = causes.length > 1 ? `[${summary}]` : summary;
  const d: NonNullable<StatusBody['details']> = {
    name,
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  };
  if (group !== '') d.group = group;
  return new StatusError(
    422,
    'Invalid',
    `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${text}`,
    d,
  );
};

export const unsupportedMediaType = (accepted: readonly string[]): StatusError =>
  new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    {},
  );

export const methodNotAllowed = (): StatusError =>
  new StatusError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    {},
  );

export const unauthorized = (): StatusError => new StatusError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (message: string, t?: Target): StatusError =>
  new StatusError(403, 'Forbidden', message, t ? details(t) : {});

export const expired = (message: string): StatusError => new StatusError(410, 'Expired', message);

export const tooOld = (requested: string, oldest: number): StatusError =>
  expired(`too old resource version: ${requested} (${oldest})`);

export const internalError = (message: string): StatusError =>
  new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

export const tooLargeResourceVersion = (requested: string, current: number): StatusError =>
  new StatusError(504, 'Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });

export function isStatusError(err: unknown): err is StatusError {
  return err instanceof StatusError;
}
