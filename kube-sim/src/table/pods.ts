import {
  AGE_COLUMN,
  arr,
  at,
  column,
  hasCondition,
  humanDuration,
  int,
  type Json,
  NAME_COLUMN,
  type Printer,
  rec,
  type RowCondition,
  since,
  str,
  timeOf,
} from './format.ts';

/** The pod printer (kube-apiserver's printPod): READY, STATUS, RESTARTS, AGE, and IP, NODE, ... for -o wide. */

const podCompleted: RowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const podFailed: RowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** printPod: READY, STATUS (the kubelet's reason for the pod's state) and RESTARTS as kubectl shows them */
function podRow(pod: Json, now: number): { cells: unknown[]; conditions?: RowCondition[] } {
  const spec = rec(pod['spec']);
  const status = rec(pod['status']);
  const phase = str(status['phase']);
  let reason = str(status['reason']) || phase;
  for (const c of arr(status['conditions']).map(rec)) {
    if (str(c['type']) === 'PodScheduled' && str(c['reason']) === 'SchedulingGated')
      reason = 'SchedulingGated';
  }
  let restarts = 0;
  let restartableRestarts = 0;
  let total = arr(spec['containers']).length;
  let ready = 0;
  let lastRestart = 0;
  let lastRestartableRestart = 0;
  const initSpecs = new Map(arr(spec['initContainers']).map((c) => [str(rec(c)['name']), rec(c)] as const));
  const restartable = (name: string): boolean => str(initSpecs.get(name)?.['restartPolicy']) === 'Always';
  for (const c of initSpecs.values()) if (str(c['restartPolicy']) === 'Always') total++;
  const finishedAt = (c: Json): number => timeOf(at(c, 'lastState', 'terminated', 'finishedAt')) ?? 0;

  let initializing = false;
  const initStatuses = arr(status['initContainerStatuses']).map(rec);
  for (const [i, c] of initStatuses.entries()) {
    restarts += int(c['restartCount']);
    lastRestart = Math.max(lastRestart, finishedAt(c));
    const name = str(c['name']);
    if (restartable(name)) {
      restartableRestarts += int(c['restartCount']);
      lastRestartableRestart = Math.max(lastRestartableRestart, finishedAt(c));
    }
    const terminated = at(c, 'state', 'terminated');
    const waitingReason = str(at(c, 'state', 'waiting', 'reason'));
    if (terminated !== undefined && int(rec(terminated)['exitCode']) === 0) continue;
    if (restartable(name) && c['started'] === true) {
      if (c['ready'] === true) ready++;
      continue;
    }
    if (terminated !== undefined) {
      const t = rec(terminated);
      reason = str(t['reason'])
        ? `Init:${str(t['reason'])}`
        : int(t['signal']) !== 0
          ? `Init:Signal:${int(t['signal'])}`
          : `Init:ExitCode:${int(t['exitCode'])}`;
    } else if (waitingReason !== '' && waitingReason !== 'PodInitializing') {
      reason = `Init:${waitingReason}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status['conditions'], 'Initialized')) {
    restarts = restartableRestarts;
    lastRestart = lastRestartableRestart;
    let hasRunning = false;
    const statuses = arr(status['containerStatuses']).map(rec);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      restarts += int(c['restartCount']);
      lastRestart = Math.max(lastRestart, finishedAt(c));
      const waiting = str(at(c, 'state', 'waiting', 'reason'));
      const terminated = at(c, 'state', 'terminated');
      if (waiting !== '') reason = waiting;
      else if (terminated !== undefined) {
        const t = rec(terminated);
        reason = str(t['reason'])
          ? str(t['reason'])
          : int(t['signal']) !== 0
            ? `Signal:${int(t['signal'])}`
            : `ExitCode:${int(t['exitCode'])}`;
      } else if (c['ready'] === true && at(c, 'state', 'running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = hasCondition(status['conditions'], 'Ready') ? 'Running' : 'NotReady';
    }
  }
  const deleting = at(pod, 'metadata', 'deletionTimestamp') !== undefined;
  if (deleting && str(status['reason']) === 'NodeLost') reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsCell =
    restarts !== 0 && lastRestart !== 0
      ? `${restarts} (${humanDuration(now - lastRestart)} ago)`
      : String(restarts);
  const podIP = str(rec(arr(status['podIPs'])[0])['ip']) || str(status['podIP']) || '<none>';
  const gates = arr(spec['readinessGates']).map((g) => str(rec(g)['conditionType']));
  const gatesCell = gates.length
    ? `${gates.filter((g) => hasCondition(status['conditions'], g)).length}/${gates.length}`
    : '<none>';
  const row: { cells: unknown[]; conditions?: RowCondition[] } = {
    cells: [
      str(at(pod, 'metadata', 'name')),
      `${ready}/${total}`,
      reason,
      restartsCell,
      since(at(pod, 'metadata', 'creationTimestamp'), now),
      podIP,
      str(spec['nodeName']) || '<none>',
      str(status['nominatedNodeName']) || '<none>',
      gatesCell,
    ],
  };
  if (phase === 'Succeeded') row.conditions = podCompleted;
  if (phase === 'Failed') row.conditions = podFailed;
  return row;
}

export const POD_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    AGE_COLUMN,
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', 1),
    column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', 1),
    column('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods.', 1),
    column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated.', 1),
  ],
  row: podRow,
};
