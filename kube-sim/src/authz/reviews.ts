import { decodeBody } from '../admission.ts';
import type { UserInfo } from '../auth.ts';
import { isObject } from '../objects.ts';
import { badRequest, invalid } from '../status.ts';
import { apiVersionOf, type FieldError, type ResourceType } from '../types.ts';
import type { Attributes } from './attributes.ts';
import type { Authorizer } from './authorizer.ts';
import { aggregateErrors } from './rbac.ts';

/**
 * The authorization.k8s.io/v1 access reviews (k8s.io/kubernetes pkg/registry/authorization): POST only, answered
 * with 201 and the review plus its status, never stored and never watched.
 */

type Json = Record<string, unknown>;

const str = (o: Json, k: string): string => (typeof o[k] === 'string' ? o[k] : '');
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

/** Go's omitempty on the review's spec: empty strings, lists and objects are not echoed */
function omitEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(omitEmpty);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    const y = omitEmpty(x);
    if (y === '' || y === null || y === undefined) continue;
    if (Array.isArray(y) && y.length === 0) continue;
    if (isObject(y) && Object.keys(y).length === 0 && k !== 'resourceAttributes') continue;
    out[k] = y;
  }
  return out;
}

const invalidValue = (field: string, value: unknown, why: string): FieldError => ({
  field,
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value === undefined ? 'null' : value)}: ${why}`,
});

/** the metadata of a review must be empty (LocalSubjectAccessReview: except for its namespace) */
function checkMetadata(meta: Json, errors: FieldError[], allowNamespace: boolean): void {
  const set = Object.entries(meta).filter(
    ([k, v]) =>
      v !== null &&
      v !== '' &&
      k !== 'managedFields' &&
      !(allowNamespace && k === 'namespace') &&
      !(isObject(v) && Object.keys(v).length === 0),
  );
  if (set.length) {
    errors.push(
      invalidValue(
        'metadata',
        Object.fromEntries(set),
        allowNamespace ? 'must be empty except for namespace' : 'must be empty',
      ),
    );
  }
}

/** validation.ValidateSubjectAccessReviewSpec / ValidateSelfSubjectAccessReviewSpec */
function checkSpec(spec: Json, errors: FieldError[], needsSubject: boolean): void {
  const ra = spec['resourceAttributes'];
  const nra = spec['nonResourceAttributes'];
  if (isObject(ra) && isObject(nra))
    errors.push(
      invalidValue(
        'spec.nonResourceAttributes',
        nra,
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  if (!isObject(ra) && !isObject(nra)) {
    errors.push(
      invalidValue(
        'spec.resourceAttributes',
        undefined,
        'exactly one of nonResourceAttributes or resourceAttributes must be specified',
      ),
    );
  }
  if (needsSubject && str(spec, 'user') === '' && strings(spec['groups']).length === 0)
    errors.push(invalidValue('spec.user', '', 'at least one of user or group must be specified'));
}

/** authorizationutil.AuthorizationAttributesFrom */
function attributesOf(user: UserInfo, spec: Json): Attributes {
  const ra = spec['resourceAttributes'];
  if (isObject(ra)) {
    return {
      resourceRequest: true,
      user,
      verb: str(ra, 'verb'),
      group: str(ra, 'group'),
      version: str(ra, 'version') || '*',
      resource: str(ra, 'resource'),
      subresource: str(ra, 'subresource'),
      namespace: str(ra, 'namespace'),
      name: str(ra, 'name'),
    };
  }
  const nra = isObject(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : {};
  return { resourceRequest: false, user, verb: str(nra, 'verb'), path: str(nra, 'path') };
}

/** the user a SubjectAccessReview asks about: exactly as given, no groups added */
function subjectOf(spec: Json): UserInfo {
  const user: UserInfo = {
    username: str(spec, 'user'),
    uid: str(spec, 'uid'),
    groups: strings(spec['groups']),
  };
  const extra = spec['extra'];
  if (isObject(extra))
    user.extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, strings(v)]));
  return user;
}

/** Answer a POST of an access review by `requester` (the user after impersonation). */
export function accessReview(
  authz: Authorizer,
  requester: UserInfo,
  type: ResourceType,
  namespace: string | undefined,
  body: unknown,
): Json {
  const obj = decodeBody(type, body);
  const spec: Json = isObject(obj['spec']) ? obj['spec'] : {};
  const head = { kind: type.kind, apiVersion: apiVersionOf(type) };
  const errors: FieldError[] = [];
  if (type.resource === 'selfsubjectrulesreviews') {
    const ns = str(spec, 'namespace');
    if (ns === '') throw badRequest('no namespace on request');
    const { rules, errors: evaluation } = authz.rulesFor(requester, ns);
    const status: Json = {
      resourceRules: rules
        .filter((r) => r.resources?.length)
        .map(({ verbs, apiGroups, resources, resourceNames }) =>
          omitEmpty({ verbs, apiGroups, resources, resourceNames }),
        ),
      nonResourceRules: rules
        .filter((r) => r.nonResourceURLs?.length)
        .map(({ verbs, nonResourceURLs }) => ({ verbs, nonResourceURLs })),
      incomplete: false,
    };
    if (evaluation.length) status['evaluationError'] = aggregateErrors(evaluation);
    return { ...head, metadata: { creationTimestamp: null }, spec: {}, status };
  }
  const local = type.resource === 'localsubjectaccessreviews';
  const self = type.resource === 'selfsubjectaccessreviews';
  checkMetadata(obj.metadata, errors, local);
  checkSpec(spec, errors, !self);
  if (local) {
    const ns = obj.metadata.namespace;
    if (ns !== undefined && ns !== '' && ns !== namespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    const ra = spec['resourceAttributes'];
    if (isObject(spec['nonResourceAttributes']))
      errors.push(
        invalidValue(
          'spec.nonResourceAttributes',
          spec['nonResourceAttributes'],
          'disallowed on this kind of request',
        ),
      );
    if (errors.length === 0 && isObject(ra) && str(ra, 'namespace') !== namespace)
      throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace ?? ''}`);
  }
  if (errors.length) throw invalid(type.kind, type.group, '', errors);
  const decision = authz.authorize(attributesOf(self ? requester : subjectOf(spec), spec));
  const status: Json = { allowed: decision.allowed };
  if (decision.reason) status['reason'] = decision.reason;
  const metadata: Json = { creationTimestamp: null };
  if (local) metadata['namespace'] = namespace;
  return { ...head, metadata, spec: omitEmpty(spec), status };
}
