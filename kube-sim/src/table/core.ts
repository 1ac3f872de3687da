import {
  AGE_COLUMN,
  arr,
  at,
  column,
  formatLabels,
  int,
  type Json,
  NAME_COLUMN,
  NAME_DESCRIPTION,
  type Printer,
  rec,
  since,
  str,
  timeOf,
} from './format.ts';

/** Table printers for nodes, namespaces, services, endpoints, config, events, leases and RBAC bindings. */

const age = (o: Json, now: number): string => since(at(o, 'metadata', 'creationTimestamp'), now);
const name = (o: Json): string => str(at(o, 'metadata', 'name'));
/** a printer whose cells are the name, then `cells`, then the age */
const simple = (columns: Printer['columns'], cells: (o: Json) => unknown[]): Printer => ({
  columns: [NAME_COLUMN, ...columns, AGE_COLUMN],
  row: (o, now) => ({ cells: [name(o), ...cells(o), age(o, now)] }),
});

function nodeAddress(node: Json, type: string): string {
  const a = arr(at(node, 'status', 'addresses')).find((x) => str(rec(x)['type']) === type);
  return a === undefined ? '<none>' : str(rec(a)['address']);
}

function nodeRoles(node: Json): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(rec(at(node, 'metadata', 'labels')))) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length)
      roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && str(v) !== '') roles.add(str(v));
  }
  return [...roles].sort().join(',') || '<none>';
}

const nodes: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
    column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
    column(
      'OS-Image',
      'string',
      'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
      1,
    ),
    column(
      'Kernel-Version',
      'string',
      "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
      1,
    ),
    column(
      'Container-Runtime',
      'string',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      1,
    ),
  ],
  row: (o, now) => {
    const ready = arr(at(o, 'status', 'conditions'))
      .map(rec)
      .find((c) => str(c['type']) === 'Ready');
    const status = [ready === undefined ? 'Unknown' : str(ready['status']) === 'True' ? 'Ready' : 'NotReady'];
    if (at(o, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
    const info = rec(at(o, 'status', 'nodeInfo'));
    const known = (k: string): string => str(info[k]) || '<unknown>';
    return {
      cells: [
        name(o),
        status.join(','),
        nodeRoles(o),
        age(o, now),
        str(info['kubeletVersion']),
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        known('osImage'),
        known('kernelVersion'),
        known('containerRuntimeVersion'),
      ],
    };
  },
};

function externalIP(spec: Json, status: Json): string {
  const ips = arr(spec['externalIPs']).map(str);
  switch (str(spec['type']) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return ips.length ? ips.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [
        ...new Set(
          arr(at(status, 'loadBalancer', 'ingress')).map((i) => str(rec(i)['ip']) || str(rec(i)['hostname'])),
        ),
      ]
        .filter(Boolean)
        .sort()
        .join(',');
      if (ips.length) return [...(lb ? lb.split(',') : []), ...ips].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec['externalName']);
    default:
      return '<unknown>';
  }
}

const services: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service.'),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      1,
    ),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const clusterIP = str(arr(spec['clusterIPs'])[0]) || str(spec['clusterIP']) || '<none>';
    const ports = arr(spec['ports'])
      .map(rec)
      .map((p) => {
        const proto = str(p['protocol']) || 'TCP';
        return int(p['nodePort']) > 0
          ? `${int(p['port'])}:${int(p['nodePort'])}/${proto}`
          : `${int(p['port'])}/${proto}`;
      })
      .join(',');
    return {
      cells: [
        name(o),
        str(spec['type']) || 'ClusterIP',
        clusterIP,
        externalIP(spec, rec(o['status'])),
        ports || '<none>',
        age(o, now),
        formatLabels(spec['selector']),
      ],
    };
  },
};

/** formatEndpoints: up to three host:port pairs, then "+ n more..." */
function formatEndpoints(o: Json): string {
  const subsets = arr(o['subsets']).map(rec);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs = arr(ss['addresses']).map((a) => str(rec(a)['ip']));
    const ports = arr(ss['ports']).map((p) => int(rec(p)['port']));
    for (const port of ports.length ? ports : [undefined]) {
      count += addrs.length;
      for (const ip of addrs) {
        if (list.length === 3) break;
        list.push(port === undefined ? ip : ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
      }
    }
  }
  return count > 3 ? `${list.join(',')} + ${count - 3} more...` : list.join(',');
}

const events: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      'string',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'string', 'The object that this event is about.'),
    column(
      'Subobject',
      'string',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      1,
    ),
    column(
      'Source',
      'string',
      'The component reporting this event. Should be a short machine understandable string.',
      1,
    ),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column(
      'First Seen',
      'string',
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
      1,
    ),
    column('Count', 'string', 'The number of times this event has occurred.', 1),
    column('Name', 'string', NAME_DESCRIPTION, 1, 'name'),
  ],
  row: (o, now) => {
    const first =
      timeOf(o['firstTimestamp']) !== undefined
        ? since(o['firstTimestamp'], now)
        : since(o['eventTime'], now);
    let last = timeOf(o['lastTimestamp']) !== undefined ? since(o['lastTimestamp'], now) : first;
    let count = int(o['count']);
    const series = o['series'];
    if (series !== undefined && series !== null) {
      last = since(rec(series)['lastObservedTime'], now);
      count = int(rec(series)['count']);
    } else if (count === 0) count = 1;
    const involved = rec(o['involvedObject']);
    const kind = str(involved['kind']).toLowerCase();
    const target = str(involved['name']) ? `${kind}/${str(involved['name'])}` : kind;
    const src = rec(o['source']);
    const component = str(src['component']) || str(o['reportingController']);
    const host = str(src['host']) || str(o['reportingInstance']);
    return {
      cells: [
        last,
        str(o['type']),
        str(o['reason']),
        target,
        str(involved['fieldPath']),
        host ? `${component}, ${host}` : component,
        str(o['message']).trim(),
        first,
        count,
        name(o),
      ],
    };
  },
};

function bindingPrinter(what: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      column(
        'Role',
        'string',
        'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.',
      ),
      AGE_COLUMN,
      column('Users', 'string', `Users in the ${what}`, 1),
      column('Groups', 'string', `Groups in the ${what}`, 1),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
    ],
    row: (o, now) => {
      const ref = rec(o['roleRef']);
      const subjects = arr(o['subjects']).map(rec);
      const of = (kind: string): string[] =>
        subjects.filter((s) => str(s['kind']) === kind).map((s) => str(s['name']));
      const sas = subjects
        .filter((s) => str(s['kind']) === 'ServiceAccount')
        .map((s) => `${str(s['namespace'])}/${str(s['name'])}`);
      return {
        cells: [
          name(o),
          `${str(ref['kind'])}/${str(ref['name'])}`,
          age(o, now),
          of('User').join(', '),
          of('Group').join(', '),
          sas.join(', '),
        ],
      };
    },
  };
}

/** printers keyed by group-resource */
export const CORE_PRINTERS: Readonly<Record<string, Printer>> = {
  nodes,
  namespaces: simple([column('Status', 'string', 'The status of the namespace')], (o) => [
    str(at(o, 'status', 'phase')),
  ]),
  services,
  endpoints: simple(
    [column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.')],
    (o) => [formatEndpoints(o)],
  ),
  configmaps: simple([column('Data', 'string', 'Data contains the configuration data.')], (o) => [
    Object.keys(rec(o['data'])).length + Object.keys(rec(o['binaryData'])).length,
  ]),
  secrets: simple(
    [
      column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
      column('Data', 'string', 'Data contains the secret data.'),
    ],
    (o) => [str(o['type']) || 'Opaque', Object.keys(rec(o['data'])).length],
  ),
  serviceaccounts: simple(
    [
      column(
        'Secrets',
        'string',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
    ],
    (o) => [arr(o['secrets']).length],
  ),
  events,
  'leases.coordination.k8s.io': simple(
    [column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.')],
    (o) => [str(at(o, 'spec', 'holderIdentity'))],
  ),
  'rolebindings.rbac.authorization.k8s.io': bindingPrinter('roleBinding'),
  'clusterrolebindings.rbac.authorization.k8s.io': bindingPrinter('clusterRoleBinding'),
};
