import { waitFor } from '@fleetgraph/lib/testing';
import { KubeConfig } from '@kubernetes/client-node';
import { GraphQLError } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeObject, type KubeSim } from '../../kube-sim/src/index.ts';
import { followLogs } from '../src/kube/index.ts';

const NS = 'logs';

function runningPod(name: string, containers: string[] = ['app']): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { nodeName: 'sim-node-1', containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2026-11-26T10:00:00Z' } },
      })),
    },
  };
}

/** iterate in the background, collecting lines */
function collect(it: AsyncIterable<string>) {
  const lines: string[] = [];
  const done = (async () => {
    for await (const line of it) lines.push(line);
  })();
  return { lines, done };
}

describe('followLogs against kube-sim', () => {
  let sim: KubeSim;
  let kubeConfig: KubeConfig;
  const fired: unknown[] = [];
  const onFault = (e: unknown) => fired.push(e);

  beforeAll(async () => {
    sim = await createKubeSim({
      seed: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }],
      controllers: false,
    });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.cluster().kubeconfig());
  });
  afterAll(async () => {
    await sim.close();
  });
  beforeEach(() => {
    fired.length = 0;
    process.on('unhandledRejection', onFault);
    process.on('uncaughtException', onFault);
  });
  afterEach(() => {
    process.off('unhandledRejection', onFault);
    process.off('uncaughtException', onFault);
  });

  const logPath = (pod: string) => `/api/v1/namespaces/${NS}/pods/${pod}/log`;
  const openFollows = (pod: string) => sim.cluster().requestLog.filter((e) => e.path === logPath(pod)).length;

  it('follows a live log in order and ends when the container terminates', async () => {
    sim.apply([runningPod('live')]);
    const logs = sim.cluster().logs;
    logs.append(NS, 'live', 'app', 'before 1');
    logs.append(NS, 'live', 'app', 'before 2');
    const { lines, done } = collect(followLogs({ kubeConfig, namespace: NS, pod: 'live', tailLines: 1 }));
    await waitFor(() => lines.length === 1, 'the tail line');
    expect(lines).toEqual(['before 2']);
    logs.append(NS, 'live', 'app', 'live 1');
    await waitFor(() => lines.length === 2, 'a live line');
    logs.append(NS, 'live', 'app', 'héllo wörld');
    logs.append(NS, 'live', 'app', 'live 3');
    await waitFor(() => lines.length === 4, 'more live lines');
    logs.terminate(NS, 'live', 'app');
    await done;
    expect(lines).toEqual(['before 2', 'live 1', 'héllo wörld', 'live 3']);
    const req = sim
      .cluster()
      .requestLog.filter((e) => e.path === logPath('live'))
      .at(-1);
    const q = new URLSearchParams(req?.query);
    expect(q.get('follow')).toBe('true');
    expect(q.get('tailLines')).toBe('1');
    expect(fired).toEqual([]);
  });

  it('passes container and timestamps', async () => {
    sim.apply([runningPod('two', ['app', 'side'])]);
    const logs = sim.cluster().logs;
    logs.append(NS, 'two', 'side', 'sidecar up');
    logs.terminate(NS, 'two', 'side');
    const lines: string[] = [];
    for await (const l of followLogs({
      kubeConfig,
      namespace: NS,
      pod: 'two',
      container: 'side',
      timestamps: true,
    }))
      lines.push(l);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z sidecar up$/);
  });

  it('aborting mid-stream ends the iteration quietly, without crashing the process', async () => {
    sim.apply([runningPod('abort-me')]);
    const logs = sim.cluster().logs;
    logs.append(NS, 'abort-me', 'app', 'first');
    const ac = new AbortController();
    const { lines, done } = collect(
      followLogs({ kubeConfig, namespace: NS, pod: 'abort-me', signal: ac.signal }),
    );
    await waitFor(() => lines.length === 1, 'the first line');
    ac.abort();
    await expect(done).resolves.toBeUndefined();
    // lines written after the abort are not seen, and nothing blew up asynchronously
    logs.append(NS, 'abort-me', 'app', 'after');
    await new Promise((r) => setTimeout(r, 200));
    expect(lines).toEqual(['first']);
    expect(fired).toEqual([]);
    expect(openFollows('abort-me')).toBe(1);
  });

  it('an already aborted signal yields nothing and sends no request', async () => {
    sim.apply([runningPod('never')]);
    const lines: string[] = [];
    for await (const l of followLogs({
      kubeConfig,
      namespace: NS,
      pod: 'never',
      signal: AbortSignal.abort(),
    }))
      lines.push(l);
    expect(lines).toEqual([]);
    expect(openFollows('never')).toBe(0);
  });

  it('breaking out of the loop early closes the stream quietly', async () => {
    sim.apply([runningPod('break-me')]);
    const logs = sim.cluster().logs;
    logs.append(NS, 'break-me', 'app', 'a');
    logs.append(NS, 'break-me', 'app', 'b');
    const lines: string[] = [];
    for await (const l of followLogs({ kubeConfig, namespace: NS, pod: 'break-me' })) {
      lines.push(l);
      if (lines.length === 1) break;
    }
    expect(lines).toEqual(['a']);
    await new Promise((r) => setTimeout(r, 100));
    expect(fired).toEqual([]);
  });

  it('400 for an unknown container → BAD_USER_INPUT; 404 for a missing pod → NOT_FOUND', async () => {
    sim.apply([runningPod('one')]);
    const first = async (it: AsyncIterable<string>) => {
      for await (const l of it) return l;
      return undefined;
    };
    const bad = await first(
      followLogs({ kubeConfig, namespace: NS, pod: 'one', container: 'nope', cluster: 'host' }),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(GraphQLError);
    expect((bad as GraphQLError).message).toBe('container nope is not valid for pod one');
    expect((bad as GraphQLError).extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      kubeStatus: 400,
      kubeReason: 'BadRequest',
      cluster: 'host',
    });
    const missing = await first(followLogs({ kubeConfig, namespace: NS, pod: 'ghost' })).catch(
      (e: unknown) => e,
    );
    expect((missing as GraphQLError).extensions).toMatchObject({ code: 'NOT_FOUND', kubeStatus: 404 });
    expect(fired).toEqual([]);
  });

  it('a refused connection → KUBE_UNAVAILABLE', async () => {
    await sim.cluster().faults.offline('refuse');
    try {
      const err = await (async () => {
        for await (const _ of followLogs({ kubeConfig, namespace: NS, pod: 'one' })) void _;
      })().catch((e: unknown) => e);
      expect((err as GraphQLError).extensions).toMatchObject({
        code: 'KUBE_UNAVAILABLE',
        networkCode: 'ECONNREFUSED',
      });
    } finally {
      await sim.cluster().faults.online();
    }
  });
});
