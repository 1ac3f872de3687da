import { describe, expect, it } from 'vitest';
import {
  fieldSetFor,
  formatLabelSelector,
  labelSelectorFromObject,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../src/selectors.ts';

const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** The SelectorError message that parsing `text` throws. */
function labelError(text: string): string {
  try {
    parseLabelSelector(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SelectorError);
    return (err as SelectorError).message;
  }
  throw new Error(`no error for ${text}`);
}

function matching(text: string, sets: Record<string, Record<string, string> | undefined>): string[] {
  const sel = parseLabelSelector(text);
  return Object.keys(sets).filter((name) => sel.matches(sets[name]));
}

const LABELS = {
  web: { app: 'web', tier: 'front' },
  db: { app: 'db', tier: 'back' },
  bare: {},
  none: undefined,
  blank: { app: '' },
};

describe('parseLabelSelector', () => {
  it('gives an empty selector that matches everything for no text', () => {
    for (const text of [undefined, '', '   ']) {
      const sel = parseLabelSelector(text);
      expect(sel.empty).toBe(true);
      expect(sel.toString()).toBe('');
      expect(sel.matches(undefined)).toBe(true);
      expect(sel.matches({ a: 'b' })).toBe(true);
    }
  });

  it('matches equality operators, with != also matching objects without the key', () => {
    expect(matching('app=web', LABELS)).toEqual(['web']);
    expect(matching('app==web', LABELS)).toEqual(['web']);
    expect(matching('app!=web', LABELS)).toEqual(['db', 'bare', 'none', 'blank']);
    expect(matching('app=', LABELS)).toEqual(['blank']);
    expect(matching('app!=', LABELS)).toEqual(['web', 'db', 'bare', 'none']);
  });

  it('matches set operators, with notin also matching objects without the key', () => {
    expect(matching('app in (web,db)', LABELS)).toEqual(['web', 'db']);
    expect(matching('app notin (web)', LABELS)).toEqual(['db', 'bare', 'none', 'blank']);
    // () and empty items stand for the empty value, as in apimachinery
    expect(matching('app in ()', LABELS)).toEqual(['blank']);
    expect(parseLabelSelector('x in (a,)').requirements[0]?.values).toEqual(['', 'a']);
    expect(parseLabelSelector('x in (,a)').requirements[0]?.values).toEqual(['', 'a']);
    expect(parseLabelSelector('x notin (b,,a,b)').requirements[0]?.values).toEqual(['', 'a', 'b']);
  });

  it('matches existence, absence and ANDs requirements', () => {
    expect(matching('app', LABELS)).toEqual(['web', 'db', 'blank']);
    expect(matching('!app', LABELS)).toEqual(['bare', 'none']);
    expect(matching('app,tier=back', LABELS)).toEqual(['db']);
    expect(matching('!tier,app', LABELS)).toEqual(['blank']);
  });

  it('matches gt and lt numerically', () => {
    const sets = { one: { n: '1' }, ten: { n: '10' }, word: { n: 'x' }, none: {} };
    expect(matching('n>5', sets)).toEqual(['ten']);
    expect(matching('n<5', sets)).toEqual(['one']);
  });

  it('allows whitespace around operators and inside parentheses', () => {
    const sel = parseLabelSelector('  tier in ( b , a ) ,  app = web ,\t!old,  env  ');
    expect(sel.toString()).toBe('app=web,env,!old,tier in (a,b)');
    expect(sel.matches({ app: 'web', tier: 'a', env: 'x' })).toBe(true);
    expect(parseLabelSelector('a != b').toString()).toBe('a!=b');
    expect(parseLabelSelector('a == b').toString()).toBe('a==b');
  });

  it('keeps in and notin usable as keys and values', () => {
    const sel = parseLabelSelector('in in (notin,in)');
    expect(sel.requirements).toEqual([{ key: 'in', operator: 'in', values: ['in', 'notin'] }]);
    expect(parseLabelSelector('notin=in').matches({ notin: 'in' })).toBe(true);
  });

  it('accepts prefixed keys and canonicalises the text sorted by key', () => {
    const sel = parseLabelSelector('z=1,app.kubernetes.io/name=web,a>3');
    expect(sel.toString()).toBe('a>3,app.kubernetes.io/name=web,z=1');
    expect(sel.empty).toBe(false);
  });

  it('rejects invalid keys in the apiserver words', () => {
    expect(labelError('-bad')).toBe(
      `unable to parse requirement: <nil>: Invalid value: "-bad": ${NAME_PART}`,
    );
    // kubectl's own tests show this message for `app: nginx`
    expect(labelError('app: nginx')).toBe(
      `unable to parse requirement: <nil>: Invalid value: "app:": ${NAME_PART}`,
    );
    expect(labelError(`${'k'.repeat(64)}=v`)).toBe(
      `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
    );
    expect(labelError('Example.com/app')).toBe(
      "unable to parse requirement: <nil>: Invalid value: \"Example.com/app\": prefix part a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    expect(labelError('/app')).toBe(
      'unable to parse requirement: <nil>: Invalid value: "/app": prefix part must be non-empty',
    );
    expect(labelError('a/')).toBe(
      `unable to parse requirement: <nil>: Invalid value: "a/": name part must be non-empty; ${NAME_PART}`,
    );
    expect(labelError('a/b/c')).toMatch(
      /^unable to parse requirement: <nil>: Invalid value: "a\/b\/c": a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/,
    );
  });

  it('rejects invalid values in the apiserver words', () => {
    expect(labelError('app=bad/value')).toBe(
      `unable to parse requirement: values[0][app]: Invalid value: "bad/value": ${LABEL_VALUE}`,
    );
    expect(labelError(`app=${'v'.repeat(64)}`)).toBe(
      `unable to parse requirement: values[0][app]: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`,
    );
    // several bad values aggregate, indexed in sorted order
    expect(labelError('x in (ok,_b,-a)')).toBe(
      `unable to parse requirement: [values[0][x]: Invalid value: "-a": ${LABEL_VALUE}, values[1][x]: Invalid value: "_b": ${LABEL_VALUE}]`,
    );
    expect(labelError('n>x')).toBe(
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  });

  it('reports syntax errors as the apimachinery parser does', () => {
    const cases: [string, string][] = [
      [',', "found ',', expected: !, identifier, or 'end of string'"],
      ['a=b,', "found '', expected: identifier after ','"],
      ['a,,b', "found ',', expected: identifier after ','"],
      ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['a in (b', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['a in (b c)', "unable to parse requirement: found 'c', expected: ',' or ')'"],
      ['a in b', "unable to parse requirement: found 'b' expected: '('"],
      ['a in', "unable to parse requirement: found '' expected: '('"],
      ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
      ['a in (b,,)', "unable to parse requirement: found ')', expected: ',', or identifier"],
      ['a=(', "unable to parse requirement: found '(', expected: identifier"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
      ['!a=b', "found '=', expected: ',' or 'end of string'"],
      ['a===b', "unable to parse requirement: found '=', expected: identifier"],
      ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ];
    for (const [text, message] of cases) expect(labelError(text), text).toBe(message);
  });
});

describe('labelSelectorFromObject and formatLabelSelector', () => {
  const sel = {
    matchLabels: { tier: 'front', app: 'web' },
    matchExpressions: [
      { key: 'env', operator: 'In', values: ['prod', 'dev'] },
      { key: 'legacy', operator: 'DoesNotExist' },
      { key: 'zone', operator: 'NotIn', values: ['a'] },
      { key: 'owner', operator: 'Exists', values: [] },
    ],
  };

  it('builds a selector that matches like the parsed text form', () => {
    const s = labelSelectorFromObject(sel);
    const labels = { app: 'web', tier: 'front', env: 'dev', owner: 'me' };
    expect(s.matches(labels)).toBe(true);
    expect(s.matches({ ...labels, legacy: 'yes' })).toBe(false);
    expect(s.matches({ ...labels, zone: 'a' })).toBe(false);
    expect(s.matches({ ...labels, env: 'qa' })).toBe(false);
    expect(parseLabelSelector(s.toString()).matches(labels)).toBe(true);
  });

  it('formats sorted by key, with sorted values, as status.selector shows it', () => {
    expect(formatLabelSelector(sel)).toBe(
      'app=web,env in (dev,prod),!legacy,owner,tier=front,zone notin (a)',
    );
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
  });

  it('treats a missing or empty selector as matching everything', () => {
    for (const s of [undefined, null, {}, { matchLabels: {}, matchExpressions: [] }]) {
      expect(labelSelectorFromObject(s).empty).toBe(true);
      expect(labelSelectorFromObject(s).matches({ a: 'b' })).toBe(true);
      expect(formatLabelSelector(s)).toBe('');
    }
  });

  it('rejects bad operators, keys and values in the apiserver words', () => {
    const err = (s: Parameters<typeof labelSelectorFromObject>[0]): string => {
      try {
        labelSelectorFromObject(s);
      } catch (e) {
        expect(e).toBeInstanceOf(SelectorError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })).toBe(
      '"Gt" is not a valid label selector operator',
    );
    expect(err({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toBe(
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(err({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] })).toBe(
      'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
    );
    expect(err({ matchLabels: { '-x': 'ok' } })).toBe(`key: Invalid value: "-x": ${NAME_PART}`);
    expect(err({ matchLabels: { app: 'bad value!' } })).toBe(
      `values[0][app]: Invalid value: "bad value!": ${LABEL_VALUE}`,
    );
    expect(err({ matchLabels: { '-x': 'a\tb' } })).toBe(
      `[key: Invalid value: "-x": ${NAME_PART}, values[0][-x]: Invalid value: "a\\tb": ${LABEL_VALUE}]`,
    );
  });
});

function fieldError(text: string, group: string, resource: string): string {
  try {
    parseFieldSelector(text, fieldSetFor(group, resource));
  } catch (err) {
    expect(err).toBeInstanceOf(SelectorError);
    return (err as SelectorError).message;
  }
  throw new Error(`no error for ${text}`);
}

function fieldMatches(
  text: string,
  group: string,
  resource: string,
  objs: Record<string, unknown>,
): string[] {
  const sel = parseFieldSelector(text, fieldSetFor(group, resource));
  return Object.keys(objs).filter((name) => sel.matches(objs[name]));
}

const PODS = {
  running: {
    metadata: { name: 'running', namespace: 'apps' },
    spec: { nodeName: 'node-1', restartPolicy: 'Always', schedulerName: 'default-scheduler' },
    status: { phase: 'Running', podIP: '10.0.0.1', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
  },
  pending: {
    metadata: { name: 'pending', namespace: 'kube-system' },
    spec: { serviceAccountName: 'builder', hostNetwork: true },
    status: { phase: 'Pending', nominatedNodeName: 'node-2' },
  },
};

describe('parseFieldSelector', () => {
  const pods = fieldSetFor('', 'pods');

  it('gives an empty selector for no text', () => {
    for (const text of [undefined, '', ',']) {
      const sel = parseFieldSelector(text, pods);
      expect(sel.empty).toBe(true);
      expect(sel.matches({})).toBe(true);
      expect(sel.pinnedName()).toBeUndefined();
    }
  });

  it('parses =, == and !=, sorting the terms as apimachinery does', () => {
    const sel = parseFieldSelector('status.phase!=Failed,metadata.name==web', pods);
    expect(sel.requirements).toEqual([
      { field: 'metadata.name', op: '=', value: 'web' },
      { field: 'status.phase', op: '!=', value: 'Failed' },
    ]);
    expect(sel.toString()).toBe('metadata.name=web,status.phase!=Failed');
    expect(sel.pinnedName()).toBe('web');
    expect(parseFieldSelector('metadata.name!=web', pods).pinnedName()).toBeUndefined();
  });

  it('matches pod fields, missing ones as the empty string', () => {
    const m = (text: string): string[] => fieldMatches(text, '', 'pods', PODS);
    expect(m('metadata.name=running')).toEqual(['running']);
    expect(m('metadata.namespace=kube-system')).toEqual(['pending']);
    expect(m('spec.nodeName=node-1')).toEqual(['running']);
    expect(m('spec.host=node-1')).toEqual(['running']);
    expect(m('spec.nodeName=')).toEqual(['pending']);
    expect(m('spec.nodeName!=')).toEqual(['running']);
    expect(m('spec.restartPolicy=Always')).toEqual(['running']);
    expect(m('spec.schedulerName=default-scheduler')).toEqual(['running']);
    expect(m('spec.serviceAccountName=builder')).toEqual(['pending']);
    expect(m('spec.hostNetwork=true')).toEqual(['pending']);
    expect(m('spec.hostNetwork=false')).toEqual(['running']);
    expect(m('status.phase=Running,metadata.namespace=apps')).toEqual(['running']);
    expect(m('status.phase!=Running')).toEqual(['pending']);
    expect(m('status.podIP=10.0.0.1')).toEqual(['running']);
    expect(m('status.nominatedNodeName=node-2')).toEqual(['pending']);
    // accepted, but the apiserver never fills it in: only the empty value matches
    expect(m('status.podIPs=10.0.0.1')).toEqual([]);
    expect(m('status.podIPs=')).toEqual(['running', 'pending']);
  });

  it('matches event fields in both event APIs', () => {
    const events = {
      core: {
        metadata: { name: 'e1', namespace: 'apps' },
        involvedObject: { kind: 'Pod', name: 'web', namespace: 'apps', uid: 'u1', fieldPath: 'spec' },
        reason: 'Started',
        type: 'Normal',
        source: { component: 'kubelet' },
      },
      modern: {
        metadata: { name: 'e2', namespace: 'apps' },
        regarding: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1', resourceVersion: '7' },
        reason: 'ScalingReplicaSet',
        type: 'Warning',
        reportingController: 'deployment-controller',
      },
    };
    const core = (text: string): string[] => fieldMatches(text, '', 'events', events);
    expect(core('involvedObject.kind=Pod')).toEqual(['core']);
    expect(core('involvedObject.name=web,involvedObject.namespace=apps')).toEqual(['core']);
    expect(core('involvedObject.uid=u1,involvedObject.fieldPath=spec')).toEqual(['core']);
    expect(core('involvedObject.apiVersion=apps/v1,involvedObject.resourceVersion=7')).toEqual(['modern']);
    expect(core('reason=Started')).toEqual(['core']);
    expect(core('type=Warning')).toEqual(['modern']);
    expect(core('source=kubelet')).toEqual(['core']);
    expect(core('source=deployment-controller')).toEqual(['modern']);
    expect(core('reportingComponent=deployment-controller')).toEqual(['modern']);
    const modern = (text: string): string[] => fieldMatches(text, 'events.k8s.io', 'events', events);
    expect(modern('regarding.kind=Pod')).toEqual(['core']);
    expect(modern('reportingController=deployment-controller,reason=ScalingReplicaSet')).toEqual(['modern']);
    expect(fieldError('involvedObject.kind=Pod', 'events.k8s.io', 'events')).toBe(
      'field label not supported: involvedObject.kind',
    );
  });

  it('matches the fields of secrets, namespaces, nodes, replication controllers and jobs', () => {
    const secrets = { tls: { type: 'kubernetes.io/tls' }, opaque: { type: 'Opaque' } };
    expect(fieldMatches('type=Opaque', '', 'secrets', secrets)).toEqual(['opaque']);
    const namespaces = { live: { status: { phase: 'Active' } }, dying: { status: { phase: 'Terminating' } } };
    expect(fieldMatches('status.phase=Terminating', '', 'namespaces', namespaces)).toEqual(['dying']);
    const nodes = { cordoned: { spec: { unschedulable: true } }, open: { spec: {} } };
    expect(fieldMatches('spec.unschedulable=false', '', 'nodes', nodes)).toEqual(['open']);
    expect(fieldMatches('spec.unschedulable=true', '', 'nodes', nodes)).toEqual(['cordoned']);
    const rcs = { three: { status: { replicas: 3 } }, fresh: {} };
    expect(fieldMatches('status.replicas=3', '', 'replicationcontrollers', rcs)).toEqual(['three']);
    expect(fieldMatches('status.replicas=0', '', 'replicationcontrollers', rcs)).toEqual(['fresh']);
    const jobs = { done: { status: { succeeded: 1 } }, running: { status: { active: 1 } } };
    expect(fieldMatches('status.successful=1', 'batch', 'jobs', jobs)).toEqual(['done']);
    expect(fieldMatches('status.successful=0', 'batch', 'jobs', jobs)).toEqual(['running']);
    const services = { lb: { spec: { type: 'LoadBalancer', clusterIP: '10.96.0.9' } } };
    expect(fieldMatches('spec.type=LoadBalancer,spec.clusterIP=10.96.0.9', '', 'services', services)).toEqual(
      ['lb'],
    );
  });

  it('rejects unsupported fields with each kind of apiserver message', () => {
    expect(fieldError('spec.foo=x', '', 'pods')).toBe('field label not supported: spec.foo');
    expect(fieldError('metadata.namespace=x', '', 'nodes')).toBe(
      'field label not supported: metadata.namespace',
    );
    expect(fieldError('metadata.namespace=x', '', 'namespaces')).toBe(
      'field label not supported: metadata.namespace',
    );
    expect(fieldError('status.active=1', 'batch', 'jobs')).toBe(
      'field label "status.active" not supported for batchv1.Job',
    );
    // built-in kinds without a conversion func of their own
    expect(fieldError('data.x=1', '', 'configmaps')).toBe(
      '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(fieldError('status.replicas=1', 'apps', 'replicasets')).toBe(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(fieldError('spec.color=red', 'example.com', 'widgets')).toBe(
      'field label not supported: spec.color',
    );
    expect(
      fieldMatches('metadata.name=a', 'apps', 'deployments', { a: { metadata: { name: 'a' } } }),
    ).toEqual(['a']);
  });

  it('gives custom resources metadata fields, scope and selectable fields', () => {
    const widgets = fieldSetFor('example.com', 'widgets');
    expect(widgets.supports('metadata.namespace')).toBe(true);
    const clustered = fieldSetFor('example.com', 'gadgets', {
      clusterScoped: true,
      selectableFields: ['.spec.color'],
    });
    expect(clustered.supports('metadata.namespace')).toBe(false);
    const sel = parseFieldSelector('spec.color=red', clustered);
    expect(sel.matches({ spec: { color: 'red' } })).toBe(true);
    expect(sel.matches({ spec: { color: 'blue' } })).toBe(false);
  });

  it('unescapes values and escapes them again in the text form', () => {
    const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d', pods);
    expect(sel.requirements).toEqual([{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]);
    expect(sel.pinnedName()).toBe('a,b=c\\d');
    expect(sel.toString()).toBe('metadata.name=a\\,b\\=c\\\\d');
    expect(sel.matches({ metadata: { name: 'a,b=c\\d' } })).toBe(true);
  });

  it('reports syntax and escaping errors before unsupported fields', () => {
    expect(fieldError('metadata.name', '', 'pods')).toBe(
      "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    );
    expect(fieldError('spec.foo=1,zzz', '', 'pods')).toBe(
      "invalid selector: 'spec.foo=1,zzz'; can't understand 'zzz'",
    );
    expect(fieldError('metadata.name in (a)', '', 'pods')).toBe(
      "invalid selector: 'metadata.name in (a)'; can't understand 'metadata.name in (a)'",
    );
    expect(fieldError('metadata.name=a\\b', '', 'pods')).toBe(
      'invalid field selector: invalid escape sequence: \\b',
    );
    expect(fieldError('metadata.name=a\\', '', 'pods')).toBe(
      'invalid field selector: invalid escape sequence: \\',
    );
    expect(fieldError('metadata.name=a=b', '', 'pods')).toBe(
      'invalid field selector: unescaped character in value: 61',
    );
    expect(fieldError(' metadata.name=a', '', 'pods')).toBe('field label not supported:  metadata.name');
  });
});
