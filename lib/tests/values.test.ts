import { describe, expect, it } from 'vitest';

import { toConditions, toLabels, toResourceList, toTaints } from '../src/kube/index.ts';

const GI = 2 ** 30;

describe('toResourceList', () => {
  it('answers cpu, memory and pods as fields, and every other resource in extended, by name', () => {
    expect(
      toResourceList({
        'nvidia.com/gpu': '4',
        memory: '128Gi',
        'hugepages-2Mi': '1Gi',
        cpu: '31500m',
        'ephemeral-storage': '100Gi',
        pods: '110',
        'example.com/dongle': 'lots',
      }),
    ).toEqual({
      cpu: '31500m',
      memory: '128Gi',
      pods: 110,
      cpuCores: 31.5,
      memoryBytes: 128 * GI,
      extended: [
        { name: 'ephemeral-storage', quantity: '100Gi', value: 100 * GI },
        { name: 'example.com/dongle', quantity: 'lots', value: null },
        { name: 'hugepages-2Mi', quantity: '1Gi', value: GI },
        { name: 'nvidia.com/gpu', quantity: '4', value: 4 },
      ],
    });
  });

  it('leaves out what is not set, and floors pods', () => {
    expect(toResourceList(undefined)).toEqual({
      cpu: null,
      memory: null,
      pods: null,
      cpuCores: null,
      memoryBytes: null,
      extended: [],
    });
    expect(toResourceList({ pods: '1.5k', memory: 'much' })).toEqual({
      cpu: null,
      memory: 'much',
      pods: 1500,
      cpuCores: null,
      memoryBytes: null,
      extended: [],
    });
  });
});

describe('labels, conditions, taints', () => {
  it('sorts labels by key', () => {
    expect(toLabels({ b: '2', 'a.io/x': '1', a: '' })).toEqual([
      { key: 'a', value: '' },
      { key: 'a.io/x', value: '1' },
      { key: 'b', value: '2' },
    ]);
    expect(toLabels(undefined)).toEqual([]);
  });

  it('keeps conditions in order; an empty reason, message or time is none; no status is Unknown', () => {
    expect(
      toConditions([
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastTransitionTime: 't' },
        { type: 'KSCoreReady', reason: '', message: '' },
        {},
      ]),
    ).toEqual([
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'ok', lastTransitionTime: 't' },
      { type: 'KSCoreReady', status: 'Unknown', reason: null, message: null, lastTransitionTime: null },
      { type: '', status: 'Unknown', reason: null, message: null, lastTransitionTime: null },
    ]);
    expect(toConditions(undefined)).toEqual([]);
  });

  it('maps taints; a taint without a value has none', () => {
    expect(
      toTaints([
        { key: 'gpu', value: 'true', effect: 'NoSchedule' },
        { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      ]),
    ).toEqual([
      { key: 'gpu', value: 'true', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', value: null, effect: 'NoExecute' },
    ]);
    expect(toTaints(undefined)).toEqual([]);
  });
});
