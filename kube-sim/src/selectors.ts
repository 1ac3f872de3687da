/**
 * Label and field selectors with kube-apiserver's grammar, matching rules and error texts: k8s.io/apimachinery
 * pkg/labels/selector.go, pkg/fields/selector.go and pkg/util/validation, and the per-kind field label
 * conversion and ToSelectableFields funcs of k8s.io/kubernetes.
 */

/** A bad selector; `message` is the text kube-apiserver puts in its 400 BadRequest Status. */
export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

const fail = (message: string): never => {
  throw new SelectorError(message);
};

// Validation (k8s.io/apimachinery/pkg/util/validation), messages verbatim.
const QNAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const VALUE_FMT = `(${QNAME_FMT})?`;
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN_FMT = `${DNS_LABEL_FMT}(\\.${DNS_LABEL_FMT})*`;
const DNS_SUBDOMAIN_MSG =
  "a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const matchesFmt = (fmt: string, s: string): boolean => new RegExp(`^${fmt}$`).test(s);
const regexError = (msg: string, fmt: string, ...examples: string[]): string =>
  `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
/** Go measures strings in bytes. */
const tooLong = (s: string, max: number): boolean => Buffer.byteLength(s, 'utf8') > max;
const maxLenError = (n: number): string => `must be no more than ${n} characters`;

function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  const name = parts.at(-1) ?? '';
  const qnameError = regexError(QNAME_MSG, QNAME_FMT, 'MyName', 'my.name', '123-abc');
  if (parts.length > 2) {
    return [
      `a qualified name ${qnameError} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const prefix = parts.length === 2 ? (parts[0] ?? '') : undefined;
  if (prefix === '') errs.push('prefix part must be non-empty');
  else if (prefix !== undefined) {
    if (tooLong(prefix, 253)) errs.push(`prefix part ${maxLenError(253)}`);
    if (!matchesFmt(DNS_SUBDOMAIN_FMT, prefix)) {
      errs.push(`prefix part ${regexError(DNS_SUBDOMAIN_MSG, DNS_SUBDOMAIN_FMT, 'example.com')}`);
    }
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (tooLong(name, 63)) errs.push(`name part ${maxLenError(63)}`);
  if (!matchesFmt(QNAME_FMT, name)) errs.push(`name part ${qnameError}`);
  return errs;
}

function isValidLabelValue(value: string): string[] {
  const errs = tooLong(value, 63) ? [maxLenError(63)] : [];
  if (!matchesFmt(VALUE_FMT, value))
    errs.push(regexError(VALUE_MSG, VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** Go's %q, for the strings that field errors quote. */
const GO_ESCAPES: Readonly<Record<string, string>> = Object.fromEntries(
  [...'\\"\x07\b\f\n\r\t\v'].map((c, i) => [c, `\\${'\\"abfnrtv'.charAt(i)}`]),
);
const goQuote = (s: string): string =>
  `"${s.replace(/[\\"\x00-\x1f\x7f]/g, (c) => GO_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}"`;

/** field.Invalid(path, value, detail).Error(); non-string values print as JSON, as Go does. */
const invalid = (path: string, value: unknown, detail: string): string =>
  `${path}: Invalid value: ${typeof value === 'string' ? goQuote(value) : JSON.stringify(value ?? null)}: ${detail}`;

/** utilerrors.NewAggregate(errs).Error(): one message as is, several deduplicated in brackets. */
function aggregate(errs: readonly string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** sorted and deduplicated for parsed in/notin, as apimachinery keeps them */
  readonly values: readonly string[];
}

export interface LabelSelector {
  /** true when the selector does not restrict anything */
  readonly empty: boolean;
  /** sorted by key */
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** the canonical text form, as labels.Selector.String() gives it */
  toString(): string;
}

/** strconv.ParseInt(s, 10, 64) */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n < -(2n ** 63n) || n >= 2n ** 63n ? undefined : n;
}

/** labels.NewRequirement: validates, and throws the aggregated field errors. */
function newRequirement(key: string, op: LabelOperator, vals: readonly string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalid('key', key, keyErrs.join('; ')));
  if ((op === 'in' || op === 'notin') && vals.length === 0) {
    errs.push(invalid('values', null, "for 'in', 'notin' operators, values set can't be empty"));
  } else if ((op === '=' || op === '==' || op === '!=') && vals.length !== 1) {
    errs.push(invalid('values', vals, 'exact-match compatibility requires one single value'));
  } else if ((op === 'exists' || op === '!') && vals.length !== 0) {
    errs.push(invalid('values', vals, 'values set must be empty for exists and does not exist'));
  } else if (op === 'gt' || op === 'lt') {
    if (vals.length !== 1)
      errs.push(invalid('values', vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
    vals.forEach((v, i) => {
      if (parseInt64(v) === undefined) {
        errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      }
    });
  }
  vals.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join('; ')));
  });
  if (errs.length > 0) fail(aggregate(errs));
  return { key, operator: op, values: vals };
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const value = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return value !== undefined && r.values.includes(value);
    case 'notin':
    case '!=':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    default: {
      const have = value === undefined ? undefined : parseInt64(value);
      const want = r.values.length === 1 ? parseInt64(r.values[0] ?? '') : undefined;
      if (have === undefined || want === undefined) return false;
      return r.operator === 'gt' ? have > want : have < want;
    }
  }
}

function requirementString({ key, operator, values }: LabelRequirement): string {
  const joined = [...values].sort().join(',');
  if (operator === 'exists') return key;
  if (operator === '!') return `!${key}`;
  if (operator === 'in' || operator === 'notin') return `${key} ${operator} (${joined})`;
  return `${key}${operator === 'gt' ? '>' : operator === 'lt' ? '<' : operator}${joined}`;
}

function makeLabelSelector(reqs: LabelRequirement[]): LabelSelector {
  const requirements = reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    empty: requirements.length === 0,
    requirements,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels ?? {})),
    toString: () => requirements.map(requirementString).join(','),
  };
}

// The lexer and parser follow labels.Parse step by step, so that errors come out in the same words.
type Tok = 'eos' | 'id' | ')' | ',' | '!' | '==' | '=' | '>' | '<' | '!=' | 'in' | 'notin' | '(';
interface Item {
  tok: Tok;
  lit: string;
}
const EOS: Item = { tok: 'eos', lit: '' };
/** Operators (the longest run of special characters that spells one) or identifiers; whitespace separates. */
const LEX_RE = /(==|!=|[=!(),><])|[^ \t\r\n=!(),><]+/g;

function lex(s: string): Item[] {
  const items = [...s.matchAll(LEX_RE)].map(([lit, op]): Item => {
    if (op !== undefined) return { tok: op as Tok, lit };
    return { tok: lit === 'in' || lit === 'notin' ? lit : 'id', lit };
  });
  return [...items, EOS];
}

class LabelParser {
  private pos = 0;
  private readonly items: readonly Item[];
  constructor(text: string) {
    this.items = lex(text);
  }
  /** Where a value may stand, the keywords in and notin are plain identifiers. */
  private peek(values = true): Item {
    const it = this.items[this.pos] ?? EOS;
    return values && (it.tok === 'in' || it.tok === 'notin') ? { tok: 'id', lit: it.lit } : it;
  }
  private next(values = true): Item {
    const it = this.peek(values);
    this.pos++;
    return it;
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (let ahead = this.peek(); ahead.tok !== 'eos'; ahead = this.peek()) {
      if (ahead.tok !== 'id' && ahead.tok !== '!')
        fail(`found '${ahead.lit}', expected: !, identifier, or 'end of string'`);
      try {
        reqs.push(this.requirement());
      } catch (err) {
        throw err instanceof SelectorError
          ? new SelectorError(`unable to parse requirement: ${err.message}`)
          : err;
      }
      const after = this.next();
      if (after.tok === 'eos') break;
      if (after.tok !== ',') fail(`found '${after.lit}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.tok !== 'id' && following.tok !== '!') {
        fail(`found '${following.lit}', expected: identifier after ','`);
      }
    }
    return reqs;
  }

  private requirement(): LabelRequirement {
    let first = this.next();
    const negated = first.tok === '!';
    if (negated) first = this.next();
    if (first.tok !== 'id') fail(`found '${first.lit}', expected: identifier`);
    const key = first.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length > 0) fail(invalid('<nil>', key, keyErrs.join('; ')));
    const ahead = this.peek().tok;
    if (negated || ahead === 'eos' || ahead === ',') return newRequirement(key, negated ? '!' : 'exists', []);
    const op = this.next(false);
    switch (op.tok) {
      case 'in':
      case 'notin':
        return newRequirement(key, op.tok, this.setValues());
      case '=':
      case '==':
      case '!=':
        return newRequirement(key, op.tok, [this.exactValue()]);
      case '>':
      case '<':
        return newRequirement(key, op.tok === '>' ? 'gt' : 'lt', [this.exactValue()]);
      default:
        return fail(`found '${op.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }

  private exactValue(): string {
    const ahead = this.peek().tok;
    if (ahead === 'eos' || ahead === ',') return '';
    const { tok, lit } = this.next();
    return tok === 'id' ? lit : fail(`found '${lit}', expected: identifier`);
  }

  /** `(a,b)`, sorted and deduplicated; `()` and empty items stand for the empty string, as in apimachinery. */
  private setValues(): string[] {
    const open = this.next();
    if (open.tok !== '(') fail(`found '${open.lit}' expected: '('`);
    const first = this.peek();
    if (first.tok === ')') {
      this.next();
      return [''];
    }
    if (first.tok !== 'id' && first.tok !== ',')
      fail(`found '${first.lit}', expected: ',', ')' or identifier`);
    const set = new Set<string>();
    for (;;) {
      const item = this.next();
      const ahead = this.peek();
      if (item.tok === 'id') {
        set.add(item.lit);
        if (ahead.tok === ')') break;
        if (ahead.tok !== ',') fail(`found '${ahead.lit}', expected: ',' or ')'`);
      } else if (item.tok === ',') {
        if (set.size === 0 || ahead.tok === ')' || ahead.tok === ',') set.add('');
        if (ahead.tok === ')') break;
        if (ahead.tok === ',') this.next();
      } else {
        fail(`found '${item.lit}', expected: ',', or identifier`);
      }
    }
    this.next(); // the ')'
    return [...set].sort();
  }
}

/** labels.Parse. '' or undefined gives the empty selector, which matches everything. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  return makeLabelSelector(text === undefined ? [] : new LabelParser(text).parse());
}

/** A metav1.LabelSelector as JSON carries it. */
export interface MetaLabelSelector {
  matchLabels?: Readonly<Record<string, string>> | null | undefined;
  matchExpressions?: readonly MetaLabelSelectorRequirement[] | null | undefined;
}
export interface MetaLabelSelectorRequirement {
  key: string;
  /** In, NotIn, Exists or DoesNotExist */
  operator: string;
  values?: readonly string[] | null | undefined;
}

const META_OPERATORS = new Map<string, LabelOperator>([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/**
 * metav1.LabelSelectorAsSelector, with its error texts. One difference: Kubernetes turns a nil selector into
 * one that matches nothing, but here null or undefined gives the empty selector, which matches everything;
 * a caller for which a missing workload selector must select nothing checks for that itself.
 */
export function labelSelectorFromObject(sel: MetaLabelSelector | null | undefined): LabelSelector {
  const matchLabels = sel?.matchLabels ?? {};
  const reqs = Object.keys(matchLabels)
    .sort()
    .map((key) => newRequirement(key, '=', [matchLabels[key] ?? '']));
  for (const { key, operator, values } of sel?.matchExpressions ?? []) {
    const op =
      META_OPERATORS.get(operator) ?? fail(`${goQuote(operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(key, op, [...(values ?? [])]));
  }
  return makeLabelSelector(reqs);
}

/**
 * The text form of a metav1.LabelSelector, as a scale subresource's status.selector carries it:
 * 'a=b,c in (x,y)' with keys and values sorted; '' when empty or missing. Throws SelectorError if invalid.
 */
export function formatLabelSelector(sel: MetaLabelSelector | null | undefined): string {
  return labelSelectorFromObject(sel).toString();
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly empty: boolean;
  /** in the order of their text, sorted, as apimachinery keeps them */
  readonly requirements: readonly FieldRequirement[];
  matches(obj: unknown): boolean;
  toString(): string;
  /** the value of metadata.name if the selector pins it with = */
  pinnedName(): string | undefined;
}

/** The selectable fields of one kind. */
export interface FieldSet {
  supports(field: string): boolean;
  /** the field's value; undefined (compared as '') when the object lacks it or it is not supported */
  get(obj: unknown, field: string): string | undefined;
  /** the 400 message for a field that is not supported; `field label not supported: <f>` if absent */
  unsupportedMessage?(field: string): string;
}

/** fields.UnescapeValue */
function unescapeValue(s: string): string {
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash && c !== '\\' && c !== ',' && c !== '=')
      fail(`invalid field selector: invalid escape sequence: \\${c}`);
    // Go prints the rune with %v, i.e. as its number
    if (!inSlash && (c === ',' || c === '='))
      fail(`invalid field selector: unescaped character in value: ${c.charCodeAt(0)}`);
    if (!inSlash && c === '\\') {
      inSlash = true;
    } else {
      out += c;
      inSlash = false;
    }
  }
  return inSlash ? fail('invalid field selector: invalid escape sequence: \\') : out;
}

/** fields.ParseSelector (terms split at unescaped commas, then sorted), then every field through the kind's set. */
export function parseFieldSelector(text: string | undefined, fields: FieldSet): FieldSelector {
  const requirements: FieldRequirement[] = [];
  // terms end at commas that are not escaped; the empty matches between terms are skipped below
  const parts = (text ?? '').match(/(?:\\[\s\S]|[^\\,])*\\?/g) ?? [];
  for (const part of parts.sort()) {
    if (part === '') continue;
    const m = /!=|==|=/.exec(part);
    if (!m) return fail(`invalid selector: '${text ?? ''}'; can't understand '${part}'`);
    const value = unescapeValue(part.slice(m.index + m[0].length));
    requirements.push({ field: part.slice(0, m.index), op: m[0] === '!=' ? '!=' : '=', value });
  }
  for (const { field } of requirements) {
    if (!fields.supports(field))
      fail(fields.unsupportedMessage?.(field) ?? `field label not supported: ${field}`);
  }
  const escape = (v: string): string => v.replace(/[\\,=]/g, (c) => `\\${c}`);
  return {
    empty: requirements.length === 0,
    requirements,
    matches: (obj) =>
      requirements.every((r) => ((fields.get(obj, r.field) ?? '') === r.value) === (r.op === '=')),
    toString: () => requirements.map((r) => `${r.field}${r.op}${escape(r.value)}`).join(','),
    pinnedName: () => requirements.find((r) => r.field === 'metadata.name' && r.op === '=')?.value,
  };
}

type Getter = (obj: unknown) => string;

function at(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const key of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** The first of the paths that holds a non-empty scalar, printed as Go prints it; '' if none does. */
const str =
  (...paths: string[]): Getter =>
  (obj) => {
    const found = paths
      .map((p) => at(obj, p))
      .find((v) => v !== '' && ['string', 'number', 'boolean'].includes(typeof v));
    return found === undefined ? '' : String(found);
  };
/** A bool field, "false" when missing. */
const bool =
  (path: string): Getter =>
  (obj) =>
    String(at(obj, path) === true);
/** An integer field, "0" when missing. */
const int =
  (path: string): Getter =>
  (obj) => {
    const v = at(obj, path);
    return typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0';
  };
/** status.podIPs[0].ip, which the apiserver keeps equal to status.podIP */
const podIP: Getter = (obj) => {
  const ips = at(obj, 'status.podIPs');
  return str('ip')(Array.isArray(ips) ? ips[0] : undefined) || str('status.podIP')(obj);
};

const NAME: Readonly<Record<string, Getter>> = { 'metadata.name': str('metadata.name') };
const NAME_NS: Readonly<Record<string, Getter>> = {
  ...NAME,
  'metadata.namespace': str('metadata.namespace'),
};
const INVOLVED = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

interface KindFields {
  fields: Readonly<Record<string, Getter>>;
  reject?: (field: string) => string;
}

/** Kinds with a field label conversion func of their own, by resource[.group]; the rest accept only metadata. */
const KINDS: Readonly<Record<string, KindFields>> = {
  pods: {
    fields: {
      ...NAME_NS,
      'spec.nodeName': str('spec.nodeName'),
      'spec.host': str('spec.nodeName'), // a legacy alias the apiserver rewrites to spec.nodeName
      'spec.restartPolicy': str('spec.restartPolicy'),
      'spec.schedulerName': str('spec.schedulerName'),
      'spec.serviceAccountName': str('spec.serviceAccountName'),
      'spec.hostNetwork': bool('spec.hostNetwork'),
      'status.phase': str('status.phase'),
      'status.podIP': podIP,
      // accepted by the conversion func but never filled by PodToSelectableFields: only '' matches it
      'status.podIPs': () => '',
      'status.nominatedNodeName': str('status.nominatedNodeName'),
    },
  },
  // cluster-scoped kinds with their own conversion func do not accept metadata.namespace
  nodes: { fields: { ...NAME, 'spec.unschedulable': bool('spec.unschedulable') } },
  namespaces: { fields: { ...NAME, 'status.phase': str('status.phase') } },
  secrets: { fields: { ...NAME_NS, type: str('type') } },
  services: {
    fields: { ...NAME_NS, 'spec.clusterIP': str('spec.clusterIP'), 'spec.type': str('spec.type') },
  },
  replicationcontrollers: { fields: { ...NAME_NS, 'status.replicas': int('status.replicas') } },
  // core/v1 and events.k8s.io/v1 share storage: each reads its own shape first, then the other's
  events: {
    fields: {
      ...NAME_NS,
      ...Object.fromEntries(
        INVOLVED.map((f) => [`involvedObject.${f}`, str(`involvedObject.${f}`, `regarding.${f}`)]),
      ),
      reason: str('reason'),
      reportingComponent: str('reportingComponent', 'reportingController'),
      source: str('source.component', 'reportingComponent', 'reportingController'),
      type: str('type'),
    },
  },
  'events.events.k8s.io': {
    fields: {
      ...NAME_NS,
      ...Object.fromEntries(
        INVOLVED.map((f) => [`regarding.${f}`, str(`regarding.${f}`, `involvedObject.${f}`)]),
      ),
      reason: str('reason'),
      reportingController: str('reportingController', 'reportingComponent'),
      type: str('type'),
    },
  },
  'jobs.batch': {
    fields: { ...NAME_NS, 'status.successful': int('status.succeeded') },
    reject: (f) => `field label ${goQuote(f)} not supported for batchv1.Job`,
  },
  'certificatesigningrequests.certificates.k8s.io': {
    fields: { ...NAME, 'spec.signerName': str('spec.signerName') },
  },
};

/** Groups served by kube-apiserver itself: kinds there without a conversion func get the generic one's text. */
const BUILTIN_GROUPS = new Set([
  ...['', 'apps', 'batch', 'autoscaling', 'policy'],
  ...'admissionregistration apiextensions apiregistration authentication authorization certificates coordination discovery events flowcontrol.apiserver internal.apiserver networking node rbac.authorization resource scheduling storage storagemigration'
    .split(' ')
    .map((g) => `${g}.k8s.io`),
]);

export interface FieldSetOptions {
  /** custom resources only: a cluster-scoped one does not accept metadata.namespace */
  clusterScoped?: boolean | undefined;
  /** custom resources only: the CRD version's selectableFields[].jsonPath, e.g. '.spec.color' */
  selectableFields?: readonly string[] | undefined;
}

/**
 * The selectable fields of a resource, as kube-apiserver's field label conversion funcs accept them and its
 * ToSelectableFields funcs fill them. Other built-in kinds, and custom resources, get metadata.name and
 * metadata.namespace only, each with the apiserver's own text for a field it rejects.
 */
export function fieldSetFor(group: string, resource: string, options: FieldSetOptions = {}): FieldSet {
  let kind = KINDS[group === '' ? resource : `${resource}.${group}`];
  if (kind === undefined && BUILTIN_GROUPS.has(group)) {
    const reject = (f: string): string =>
      `${goQuote(f)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
    kind = { fields: NAME_NS, reject };
  } else if (kind === undefined) {
    const custom = { ...(options.clusterScoped ? NAME : NAME_NS) };
    for (const path of options.selectableFields ?? [])
      custom[path.replace(/^\./, '')] = str(path.replace(/^\./, ''));
    kind = { fields: custom };
  }
  const { fields, reject } = kind;
  const set: FieldSet = {
    supports: (field) => Object.hasOwn(fields, field),
    get: (obj, field) => (Object.hasOwn(fields, field) ? fields[field]?.(obj) : undefined),
  };
  if (reject) set.unsupportedMessage = reject;
  return set;
}
