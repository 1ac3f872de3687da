import { Writable } from 'node:stream';

import { Log } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeObject, type KubeSim } from '../src/index.ts';
import { rfc3339Nano } from '../src/podLogsHttp.ts';
import { KubectlHarness, kubectlAvailable } from './kubectlHarness.ts';
import { kubeConfigOf, raw, waitFor } from './support.ts';

/** pods/log: the PodLogStore, GET .../log with its options and errors, follow; kubectl logs and client-node Log. */

const T0 = Date.parse('2026-11-26T10:00:00Z');
const hasKubectl = await kubectlAvailable();

function pod(
  name: string,
  containers: string[] = ['app'],
  status: Record<string, unknown> | null = { phase: 'Running' },
  nodeName = 'sim-node-1',
): KubeObject {
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'logs' },
    spec: { nodeName, containers: containers.map((c) => ({ name: c, image: 'busybox:1.36' })) },
  };
  if (status) p['status'] = status;
  return p;
}

const running = (container: string, extra: Record<string, unknown> = {}) => ({
  name: container,
  ready: true,
  restartCount: 0,
  state: { running: { startedAt: '2026-11-26T10:00:00Z' } },
  ...extra,
});

const SEED: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'logs' } },
  pod('one', ['app'], { phase: 'Running', containerStatuses: [running('app')] }),
  pod('two', ['app', 'side']),
  pod('pending', ['app'], null),
  pod('pulling', ['app'], {
    phase: 'Pending',
    containerStatuses: [
      { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImagePull' } } },
    ],
  }),
  pod('unscheduled', ['app'], { phase: 'Pending' }, ''),
  pod('restarted', ['app'], {
    phase: 'Running',
    containerStatuses: [running('app', { restartCount: 1 })],
  }),
];

interface Stream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text(): string;
  ended: Promise<void>;
  close(): void;
}

/** a GET whose body is read as it arrives */
async function stream(sim: KubeSim, path: string, headers: Record<string, string> = {}): Promise<Stream> {
  const { request } = await import('node:https');
  const c = sim.cluster();
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, c.url),
      { headers: { Authorization: `Bearer ${c.adminToken}`, ...headers }, ca: sim.caPem },
      (res) => {
        let body = '';
        const ended = new Promise<void>((r) => {
          res.on('end', r);
          res.on('close', r);
        });
        res.on('data', (d: Buffer) => (body += d.toString('utf8')));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: () => body,
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const LOG = '/api/v1/namespaces/logs/pods';

describe('pods/log over HTTP', () => {
  let sim: KubeSim;
  let now = T0;

  beforeAll(async () => {
    sim = await createKubeSim({ seed: SEED, now: () => now, controllers: false });
    const logs = sim.cluster().logs;
    logs.append('logs', 'one', 'app', 'starting', T0 - 60_000);
    logs.append('logs', 'one', 'app', 'listening on :8080', T0 - 10_000);
    logs.append('logs', 'one', 'app', 'héllo wörld', T0 - 1_000);
    logs.append('logs', 'two', 'side', 'sidecar up', T0);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers text/plain with one line per append, each ending in a newline', async () => {
    const r = await raw(sim, 'GET', `${LOG}/one/log`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain');
    expect(r.text).toBe('starting\nlistening on :8080\nhéllo wörld\n');
  });

  it('tailLines, timestamps, sinceSeconds, sinceTime and limitBytes select and shape the lines', async () => {
    const get = async (query: string) => (await raw(sim, 'GET', `${LOG}/one/log?${query}`)).text;
    expect(await get('tailLines=2')).toBe('listening on :8080\nhéllo wörld\n');
    expect(await get('tailLines=0')).toBe('');
    expect(await get('timestamps=true&tailLines=1')).toBe('2026-11-26T09:59:59.000000000Z héllo wörld\n');
    expect(await get('sinceSeconds=30')).toBe('listening on :8080\nhéllo wörld\n');
    expect(await get('sinceTime=2026-11-26T09:59:55Z')).toBe('héllo wörld\n');
    expect(await get('limitBytes=12')).toBe('starting\nlis');
    // limitBytes counts bytes, not characters
    expect(Buffer.byteLength(await get('tailLines=1&limitBytes=3'))).toBe(3);
    // tail first, then since, as the kubelet reads a log file
    expect(await get('tailLines=2&sinceSeconds=5')).toBe('héllo wörld\n');
    expect(rfc3339Nano(T0 + 123)).toBe('2026-11-26T10:00:00.123000000Z');
  });

  it('picks the only container, and asks which one when there are several', async () => {
    const r = await raw(sim, 'GET', `${LOG}/two/log`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
      message: 'a container name must be specified for pod two, choose one of: [app side]',
    });
    expect((await raw(sim, 'GET', `${LOG}/two/log?container=side`)).text).toBe('sidecar up\n');
    const bad = await raw(sim, 'GET', `${LOG}/two/log?container=nope`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ message: 'container nope is not valid for pod two' });
    expect((await raw(sim, 'GET', `${LOG}/ghost/log`)).status).toBe(404);
  });

  it('refuses bad options as the apiserver validates PodLogOptions', async () => {
    const both = await raw(sim, 'GET', `${LOG}/one/log?sinceSeconds=5&sinceTime=2026-11-26T09:00:00Z`);
    expect(both.status).toBe(422);
    expect(both.json).toMatchObject({
      reason: 'Invalid',
      message:
        'PodLogOptions "one" is invalid: []: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
    const tail = await raw(sim, 'GET', `${LOG}/one/log?tailLines=-1`);
    expect(tail.status).toBe(422);
    expect(tail.json).toMatchObject({
      message:
        'PodLogOptions "one" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    });
    expect((await raw(sim, 'GET', `${LOG}/one/log?limitBytes=0`)).status).toBe(422);
    expect((await raw(sim, 'GET', `${LOG}/one/log?tailLines=x`)).status).toBe(400);
    expect((await raw(sim, 'GET', `${LOG}/one/log?sinceTime=yesterday`)).status).toBe(400);
  });

  it('a container still waiting to start has no log; an unscheduled pod has an empty one', async () => {
    const waiting = await raw(sim, 'GET', `${LOG}/pending/log`);
    expect(waiting.status).toBe(400);
    expect(waiting.json).toMatchObject({
      reason: 'BadRequest',
      message: 'container "app" in pod "pending" is waiting to start: ContainerCreating',
    });
    const pulling = await raw(sim, 'GET', `${LOG}/pulling/log`);
    expect(pulling.json).toMatchObject({
      message: `container "app" in pod "pulling" is waiting to start: image can't be pulled`,
    });
    const unscheduled = await raw(sim, 'GET', `${LOG}/unscheduled/log?follow=true`);
    expect(unscheduled.status).toBe(200);
    expect(unscheduled.text).toBe('');
  });

  it('previous is the instance before the last restart, and 400 when there is none', async () => {
    const none = await raw(sim, 'GET', `${LOG}/restarted/log?previous=true`);
    expect(none.status).toBe(400);
    expect(none.json).toMatchObject({
      message: 'previous terminated container "app" in pod "restarted" not found',
    });
    const logs = sim.cluster().logs;
    logs.append('logs', 'restarted', 'app', 'first run');
    logs.append('logs', 'restarted', 'app', 'panic: boom');
    logs.restart('logs', 'restarted', 'app');
    logs.append('logs', 'restarted', 'app', 'second run');
    expect((await raw(sim, 'GET', `${LOG}/restarted/log?previous=true`)).text).toBe(
      'first run\npanic: boom\n',
    );
    expect((await raw(sim, 'GET', `${LOG}/restarted/log`)).text).toBe('second run\n');
  });

  it('follow streams new lines as they are written and ends when the container terminates', async () => {
    sim.apply([pod('follow-1', ['app'], { phase: 'Running', containerStatuses: [running('app')] })]);
    const logs = sim.cluster().logs;
    logs.append('logs', 'follow-1', 'app', 'before');
    const s = await stream(sim, `${LOG}/follow-1/log?follow=true&timestamps=true`);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('text/plain');
    expect(s.headers['transfer-encoding']).toBe('chunked');
    await waitFor(() => s.text().endsWith('before\n'), 'the existing line');
    now += 1_000;
    logs.append('logs', 'follow-1', 'app', 'live 1');
    await waitFor(() => s.text().endsWith(`${rfc3339Nano(now)} live 1\n`), 'a live line');
    logs.append('logs', 'follow-1', 'app', 'live 2');
    await waitFor(() => s.text().includes('live 2\n'), 'another live line');
    logs.terminate('logs', 'follow-1', 'app');
    await s.ended;
    expect(s.text().split('\n').filter(Boolean)).toHaveLength(3);
    // a follow of a terminated container returns what there is and ends at once
    expect((await raw(sim, 'GET', `${LOG}/follow-1/log?follow=true`)).text).toBe('before\nlive 1\nlive 2\n');
  });

  it('follow ends when the pod is deleted, when it completes, and when limitBytes is reached', async () => {
    sim.apply([
      pod('follow-2', ['app'], { phase: 'Running' }),
      pod('follow-3', ['app'], { phase: 'Running' }),
      pod('follow-4', ['app'], { phase: 'Running' }),
    ]);
    const deleted = await stream(sim, `${LOG}/follow-2/log?follow=1`);
    const completed = await stream(sim, `${LOG}/follow-3/log?follow=1`);
    const limited = await stream(sim, `${LOG}/follow-4/log?follow=1&limitBytes=10`);
    sim.cluster().logs.append('logs', 'follow-4', 'app', 'just six');
    await waitFor(() => limited.text() === 'just six\n', 'the first line');
    sim.cluster().logs.append('logs', 'follow-4', 'app', 'and more');
    await limited.ended;
    expect(limited.text()).toBe('just six\na');
    expect((await raw(sim, 'DELETE', `${LOG}/follow-2`)).status).toBe(200);
    await deleted.ended;
    sim.apply([pod('follow-3', ['app'], { phase: 'Succeeded' })]);
    await completed.ended;
  });

  it('a new pod with the name of a deleted one starts with an empty log', async () => {
    sim.apply([pod('reborn', ['app'], { phase: 'Running' })]);
    sim.cluster().logs.append('logs', 'reborn', 'app', 'old life');
    expect((await raw(sim, 'GET', `${LOG}/reborn/log`)).text).toBe('old life\n');
    await raw(sim, 'DELETE', `${LOG}/reborn`);
    sim.apply([pod('reborn', ['app'], { phase: 'Running' })]);
    expect((await raw(sim, 'GET', `${LOG}/reborn/log`)).text).toBe('');
  });

  it('client-node Log.log follows a live log until the server ends it', async () => {
    sim.apply([pod('client', ['app'], { phase: 'Running', containerStatuses: [running('app')] })]);
    const logs = sim.cluster().logs;
    logs.append('logs', 'client', 'app', 'one');
    let got = '';
    let finished = false;
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        got += chunk.toString('utf8');
        done();
      },
    });
    out.on('finish', () => (finished = true));
    await new Log(kubeConfigOf(sim)).log('logs', 'client', 'app', out, { follow: true, tailLines: 10 });
    await waitFor(() => got === 'one\n', 'the first line');
    logs.append('logs', 'client', 'app', 'two');
    await waitFor(() => got === 'one\ntwo\n', 'a live line');
    // aborting client-node's follow crashes the process: the server ends it
    logs.terminate('logs', 'client', 'app');
    await waitFor(() => finished, 'the stream to end');
    const log = sim.cluster().requestLog.filter((e) => e.path === `${LOG}/client/log`);
    expect(new URLSearchParams(log.at(-1)?.query).get('container')).toBe('app');
  });
});

describe.skipIf(!hasKubectl)('kubectl logs', () => {
  let h: KubectlHarness;
  const now = T0 + 120_000;

  beforeAll(async () => {
    h = await KubectlHarness.start({
      seed: [
        ...SEED,
        pod('web', ['app', 'side'], {
          phase: 'Running',
          containerStatuses: [running('app', { restartCount: 1 }), running('side')],
        }),
      ],
      now: () => now,
      controllers: false,
    });
    const logs = h.cluster.logs;
    logs.append('logs', 'web', 'app', 'crashed once', T0);
    logs.restart('logs', 'web', 'app');
    for (let i = 1; i <= 5; i++) logs.append('logs', 'web', 'app', `line ${i}`, T0 + i * 20_000);
    logs.append('logs', 'web', 'side', 'proxy ready', T0);
  });
  afterAll(async () => {
    await h.close();
  });

  it('prints a container log, with -c, --tail, --timestamps, --since, --previous and --limit-bytes', async () => {
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'side'])).toBe('proxy ready\n');
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--tail=2'])).toBe('line 4\nline 5\n');
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--tail=1', '--timestamps'])).toBe(
      '2026-11-26T10:01:40.000000000Z line 5\n',
    );
    // now is 10:02:00: the last 30 seconds hold lines 4 (10:01:20 is outside) and 5
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--since=30s'])).toBe('line 5\n');
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--since-time=2026-11-26T10:01:00Z'])).toBe(
      'line 3\nline 4\nline 5\n',
    );
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--previous'])).toBe('crashed once\n');
    expect(await h.ok(['logs', 'web', '-n', 'logs', '-c', 'app', '--limit-bytes=9'])).toBe('line 1\nli');
    const bad = await h.run(['logs', 'web', '-n', 'logs', '-c', 'nope']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('container nope is not valid for pod web');
    const waiting = await h.run(['logs', 'pending', '-n', 'logs']);
    expect(waiting.stderr).toContain(
      'container "app" in pod "pending" is waiting to start: ContainerCreating',
    );
    const none = await h.run(['logs', 'one', '-n', 'logs', '--previous']);
    expect(none.stderr).toContain('previous terminated container "app" in pod "one" not found');
  });

  it('logs -f follows a live log and exits 0 when the container terminates', async () => {
    h.sim.apply([pod('tail-me', ['app'], { phase: 'Running', containerStatuses: [running('app')] })]);
    const logs = h.cluster.logs;
    logs.append('logs', 'tail-me', 'app', 'booting');
    const k = h.spawn(['logs', '-f', 'tail-me', '-n', 'logs']);
    await k.waitForLine('the existing line', (l) => l === 'booting');
    logs.append('logs', 'tail-me', 'app', 'serving');
    await k.waitForLine('a live line', (l) => l === 'serving');
    expect(k.running).toBe(true);
    logs.append('logs', 'tail-me', 'app', 'shutting down');
    logs.terminate('logs', 'tail-me', 'app');
    expect(await k.exit()).toBe(0);
    expect(k.lines()).toEqual(['booting', 'serving', 'shutting down']);
  });
});
