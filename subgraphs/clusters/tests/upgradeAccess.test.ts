import type { Authorizer, ResourceAttributes, UserInfo } from '@fleetgraph/lib/auth';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';
import { silentLogger } from '@fleetgraph/lib/telemetry';
import { describe, expect, it } from 'vitest';

import type { UpgradeSource } from '../src/upgrades/kube.ts';
import type { ClusterUpgradeModel } from '../src/upgrades/model.ts';
import { upgradeEvent, upgradeProgress, type UpgradeProgressEvent } from '../src/upgrades/progress.ts';

/**
 * clusterUpgradeProgress is authorized again whenever roles or bindings change: a subscriber who may no longer read
 * pod logs in the host's kubesphere-system gets nothing more, and the stream ends with FORBIDDEN. In memory: a
 * running upgrade whose pod does not exist yet (so the stream only waits), and an authorizer the test controls.
 */

const RUNNING: ClusterUpgradeModel = {
  id: 'helm-install-ks-core-abc',
  cluster: 'edge',
  action: 'upgrade',
  fromVersion: 'v4.1.3',
  toVersion: 'v4.2.1',
  phase: 'RUNNING',
  startedAt: '2026-12-08T12:00:00Z',
  finishedAt: null,
  message: null,
  jobName: 'helm-install-ks-core-abc',
  podName: null,
  createdAt: '2026-12-08T12:00:00Z',
};

function fakeAuthorizer() {
  const listeners = new Set<() => void>();
  const state = { mayReadHostLogs: true };
  const authorizer = {
    canSeeCluster: () => true,
    authorize: (_user: UserInfo, attrs: ResourceAttributes) => ({
      allowed:
        attrs.namespace === 'kubesphere-system' && attrs.subresource === 'log' ? state.mayReadHostLogs : true,
      reason: 'test',
    }),
    subscribe(l: () => void) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as Authorizer;
  return { authorizer, state, listeners, changed: () => listeners.forEach((l) => l()) };
}

const upgrades = {
  get: (id: string) => (id === RUNNING.id ? RUNNING : undefined),
  list: () => [RUNNING],
  subscribe: () => () => undefined,
} as unknown as UpgradeSource;
const registry = { host: () => ({ name: 'host' }), get: () => undefined } as unknown as ClusterRegistry;
const frank: UserInfo = { name: 'frank', groups: ['system:authenticated'] };

describe('clusterUpgradeProgress access', () => {
  it('ends with FORBIDDEN, and nothing more, once the subscriber may no longer read the upgrade logs', async () => {
    const access = fakeAuthorizer();
    const events = upgradeProgress({ upgrades, registry, log: silentLogger }, RUNNING.id, {
      user: frank,
      authorizer: access.authorizer,
    });
    const first = await events.next();
    expect(upgradeEvent(first.value as UpgradeProgressEvent)).toMatchObject({ kind: 'PHASE' });

    access.changed(); // a change that keeps access: nothing happens
    access.state.mayReadHostLogs = false;
    access.changed();
    const last = await events.next();
    expect(() => upgradeEvent(last.value as UpgradeProgressEvent)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
    );
    expect(await events.next()).toEqual({ value: undefined, done: true });
    expect(access.listeners.size).toBe(0);
  });

  it('is refused at once, as an absent upgrade, without access', () => {
    const access = fakeAuthorizer();
    access.state.mayReadHostLogs = false;
    expect(() =>
      upgradeProgress({ upgrades, registry, log: silentLogger }, RUNNING.id, {
        user: frank,
        authorizer: access.authorizer,
      }),
    ).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UPGRADE_NOT_FOUND' }) }),
    );
  });
});
