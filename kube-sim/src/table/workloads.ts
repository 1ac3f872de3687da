import {
  AGE_COLUMN,
  arr,
  at,
  column,
  containerCells,
  formatLabels,
  formatSelector,
  hasCondition,
  humanDuration,
  int,
  type Json,
  NAME_COLUMN,
  type Printer,
  rec,
  selectorString,
  since,
  str,
  timeOf,
} from './format.ts';

/** Table printers for workload kinds, ported from kube-apiserver's pkg/printers/internalversion. */

const CONTAINERS = column('Containers', 'string', 'Names of each container in the template.', 1);
const IMAGES = column('Images', 'string', 'Images referenced by each container in the template.', 1);
const selectorColumn = (description: string) => column('Selector', 'string', description, 1);
const age = (o: Json, now: number): string => since(at(o, 'metadata', 'creationTimestamp'), now);
const replicas = (o: Json): number => {
  const r = at(o, 'spec', 'replicas');
  return typeof r === 'number' ? r : 1; // the apiserver defaults spec.replicas to 1
};
const templateSpec = (o: Json): unknown => at(o, 'spec', 'template', 'spec');

const deployments: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment.'),
    column('Available', 'string', 'Total number of available pods targeted by this deployment.'),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    selectorColumn('Label selector for pods.'),
  ],
  row: (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    const st = rec(o['status']);
    return {
      cells: [
        str(at(o, 'metadata', 'name')),
        `${int(st['readyReplicas'])}/${replicas(o)}`,
        int(st['updatedReplicas']),
        int(st['availableReplicas']),
        age(o, now),
        names,
        images,
        selectorString(at(o, 'spec', 'selector')),
      ],
    };
  },
};

const replicaSets: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'Replicas is the number of desired replicas.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    selectorColumn('Selector is a label query over pods that should match the replica count.'),
  ],
  row: (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    const st = rec(o['status']);
    const cells = [
      str(at(o, 'metadata', 'name')),
      replicas(o),
      int(st['replicas']),
      int(st['readyReplicas']),
    ];
    return { cells: [...cells, age(o, now), names, images, formatSelector(at(o, 'spec', 'selector'))] };
  },
};

const statefulSets: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
  ],
  row: (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    const ready = `${int(at(o, 'status', 'readyReplicas'))}/${replicas(o)}`;
    return { cells: [str(at(o, 'metadata', 'name')), ready, age(o, now), names, images] };
  },
};

const daemonSets: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column('Current', 'integer', 'The number of nodes running at least one daemon pod.'),
    column('Ready', 'integer', 'The number of nodes running the daemon pod with a Ready condition.'),
    column('Up-to-date', 'integer', 'The total number of nodes running the updated daemon pod.'),
    column('Available', 'integer', 'The number of nodes running the daemon pod and available.'),
    column(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    selectorColumn('A label query over pods that are managed by the daemon set.'),
  ],
  row: (o, now) => {
    const [names, images] = containerCells(templateSpec(o));
    const st = rec(o['status']);
    const counts = ['desiredNumberScheduled', 'currentNumberScheduled', 'numberReady'].map((k) => int(st[k]));
    return {
      cells: [
        str(at(o, 'metadata', 'name')),
        ...counts,
        int(st['updatedNumberScheduled']),
        int(st['numberAvailable']),
        formatLabels(at(templateSpec(o), 'nodeSelector')),
        age(o, now),
        names,
        images,
        formatSelector(at(o, 'spec', 'selector')),
      ],
    };
  },
};

function jobStatus(o: Json): string {
  const conds = at(o, 'status', 'conditions');
  if (hasCondition(conds, 'Complete')) return 'Complete';
  if (hasCondition(conds, 'Failed')) return 'Failed';
  if (at(o, 'metadata', 'deletionTimestamp') !== undefined) return 'Terminating';
  if (hasCondition(conds, 'Suspended')) return 'Suspended';
  if (hasCondition(conds, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

const jobs: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  row: (o, now) => {
    const st = rec(o['status']);
    const succeeded = int(st['succeeded']);
    const completions = at(o, 'spec', 'completions');
    const parallelism = int(at(o, 'spec', 'parallelism'));
    const done =
      typeof completions === 'number'
        ? `${succeeded}/${completions}`
        : parallelism > 1
          ? `${succeeded}/1 of ${parallelism}`
          : `${succeeded}/1`;
    const start = timeOf(st['startTime']);
    const end = timeOf(st['completionTime']);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    const [names, images] = containerCells(templateSpec(o));
    const name = str(at(o, 'metadata', 'name'));
    const selector = formatSelector(at(o, 'spec', 'selector'));
    return { cells: [name, jobStatus(o), done, duration, age(o, now), names, images, selector] };
  },
};

const cronJobs: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone name for the given schedule.'),
    column('Suspend', 'boolean', 'This flag tells the controller to suspend subsequent executions.'),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    AGE_COLUMN,
    CONTAINERS,
    IMAGES,
    selectorColumn('A label query over pods that should match the pod count.'),
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const job = at(spec, 'jobTemplate', 'spec');
    const [names, images] = containerCells(at(job, 'template', 'spec'));
    const last = at(o, 'status', 'lastScheduleTime');
    return {
      cells: [
        str(at(o, 'metadata', 'name')),
        str(spec['schedule']),
        str(spec['timeZone']) || '<none>',
        spec['suspend'] === true ? 'True' : 'False',
        arr(at(o, 'status', 'active')).length,
        last === undefined ? '<none>' : since(last, now),
        age(o, now),
        names,
        images,
        formatSelector(at(job, 'selector')),
      ],
    };
  },
};

/** formatHPAMetrics for autoscaling/v2 metric specs and statuses */
function hpaTargets(specs: unknown[], statuses: unknown[]): string {
  if (specs.length === 0) return '<none>';
  const list = specs.map((s, i) => {
    const spec = rec(s);
    const type = str(spec['type']);
    const key = type === 'ContainerResource' ? 'containerResource' : type.toLowerCase();
    const src = rec(spec[key]);
    const target = rec(src['target']);
    const cur = rec(rec(rec(statuses[i])[key])['current']);
    const got = (k: string): string => (cur[k] === undefined ? '<unknown>' : String(cur[k]));
    const res = type === 'Resource' || type === 'ContainerResource' ? `${str(src['name'])}: ` : '';
    if (target['averageValue'] !== undefined)
      return `${res}${got('averageValue')}/${String(target['averageValue'])}${type === 'External' || type === 'Object' ? ' (avg)' : ''}`;
    if (res) {
      const util =
        cur['averageUtilization'] === undefined ? '<unknown>' : `${int(cur['averageUtilization'])}%`;
      const want =
        target['averageUtilization'] === undefined ? '<auto>' : `${int(target['averageUtilization'])}%`;
      return `${res}${util}/${want}`;
    }
    if (type === 'External' || type === 'Object') return `${got('value')}/${String(target['value'] ?? '')}`;
    return '<unknown type>';
  });
  const shown = list.slice(0, 2).join(', ');
  return list.length > 2 ? `${shown} + ${list.length - 2} more...` : shown;
}

const hpas: Printer = {
  columns: [
    NAME_COLUMN,
    column(
      'Reference',
      'string',
      'reference to scaled resource; horizontal pod autoscaler will learn the current resource consumption and will set the desired number of pods by using its Scale subresource.',
    ),
    column('Targets', 'string', 'the specifications for which to use to calculate the desired replica count'),
    column(
      'MinPods',
      'string',
      'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.',
    ),
    column(
      'MaxPods',
      'string',
      'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up.',
    ),
    column(
      'Replicas',
      'string',
      'currentReplicas is current number of replicas of pods managed by this autoscaler.',
    ),
    AGE_COLUMN,
  ],
  row: (o, now) => {
    const spec = rec(o['spec']);
    const ref = rec(spec['scaleTargetRef']);
    const min = spec['minReplicas'];
    return {
      cells: [
        str(at(o, 'metadata', 'name')),
        `${str(ref['kind'])}/${str(ref['name'])}`,
        hpaTargets(arr(spec['metrics']), arr(at(o, 'status', 'currentMetrics'))),
        typeof min === 'number' ? String(min) : '<unset>',
        int(spec['maxReplicas']),
        int(at(o, 'status', 'currentReplicas')),
        age(o, now),
      ],
    };
  },
};

/** printers keyed by group-resource */
export const WORKLOAD_PRINTERS: Readonly<Record<string, Printer>> = {
  'deployments.apps': deployments,
  'replicasets.apps': replicaSets,
  'statefulsets.apps': statefulSets,
  'daemonsets.apps': daemonSets,
  'jobs.batch': jobs,
  'cronjobs.batch': cronJobs,
  'horizontalpodautoscalers.autoscaling': hpas,
};
