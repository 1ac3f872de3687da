import type { ClusterStatusModel } from '../fleet/model.ts';

/** The models of member-cluster upgrades (codegen maps ClusterUpgrade, ClusterUpgradeEvent and LogLine onto these). */

export type UpgradePhaseValue = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ClusterUpgradeModel {
  /** the Job's name */
  id: string;
  cluster: string;
  action: string;
  fromVersion: string | null;
  toVersion: string | null;
  phase: UpgradePhaseValue;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
  jobName: string;
  podName: string | null;
  /** the Job's creation time, for ordering */
  createdAt: string;
}

export interface LogLineModel {
  seq: number;
  time: string | null;
  text: string;
}

export interface ClusterUpgradeEventModel {
  upgrade: ClusterUpgradeModel;
  kind: 'PHASE' | 'LOG' | 'COMPLETED';
  line: LogLineModel | null;
}

export const isFinished = (u: ClusterUpgradeModel): boolean =>
  u.phase === 'SUCCEEDED' || u.phase === 'FAILED';

/** the monitor's adjustment: a READY cluster with an unfinished upgrade (of `upgrades`, newest first) is UPGRADING */
export function upgradingStatus(
  status: ClusterStatusModel,
  upgrades: () => readonly ClusterUpgradeModel[],
): ClusterStatusModel {
  const running = status.phase === 'READY' ? upgrades().find((u) => !isFinished(u)) : undefined;
  return running
    ? {
        ...status,
        phase: 'UPGRADING',
        ready: false,
        reason: 'Upgrading',
        message: `KubeSphere is being upgraded${running.toVersion ? ` to ${running.toVersion}` : ''} (job ${running.id})`,
      }
    : status;
}

/** newest first: by creation time, then by name */
export function newestFirst(a: ClusterUpgradeModel, b: ClusterUpgradeModel): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** `v`-prefixed semver, as KubeSphere versions are written (v4.2.1, v4.2.0-rc.1) */
const SEMVER =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  pre: string[];
}

export function parseVersion(v: string | null | undefined): Semver | undefined {
  const m = SEMVER.exec(v ?? '');
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] ? m[4].split('.') : [] };
}

/** semver precedence: negative when a < b */
export function compareVersions(a: Semver, b: Semver): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return d;
  if (a.pre.length === 0 || b.pre.length === 0) return b.pre.length - a.pre.length;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y);
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
