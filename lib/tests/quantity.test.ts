import { describe, expect, it } from 'vitest';

import { parseQuantity } from '../src/kube/index.ts';

const KI = 2 ** 10;
const MI = 2 ** 20;
const GI = 2 ** 30;

describe('parseQuantity: the Kubernetes quantity grammar', () => {
  it.each<[string, number]>([
    // plain numbers
    ['0', 0],
    ['1', 1],
    ['32', 32],
    ['1.5', 1.5],
    ['1.', 1],
    ['.5', 0.5],
    ['007', 7],
    // signs
    ['+1', 1],
    ['-1', -1],
    ['-1.5k', -1500],
    ['+.5Ki', 512],
    // decimal SI
    ['3n', 3e-9],
    ['3u', 3e-6],
    ['500m', 0.5],
    ['3m', 0.003],
    ['100m', 0.1],
    ['1k', 1000],
    ['2M', 2e6],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    // binary SI
    ['1Ki', KI],
    ['128Mi', 128 * MI],
    ['1.5Gi', 1.5 * GI],
    ['2Gi', 2147483648],
    ['1Ti', 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    // decimal exponents (e or E, signed)
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1.5e-3', 0.0015],
    ['-2e2', -200],
    ['12e0', 12],
  ])('%s is %d', (q, value) => {
    expect(parseQuantity(q)).toBe(value);
  });

  it.each([
    '',
    ' ',
    '1 ',
    ' 1',
    '1 Gi',
    '.',
    '-',
    '+',
    'Gi',
    '1K', // decimal kilo is k
    '1ki',
    '1gi',
    '1GB',
    '1Gib',
    '1e', // an exponent needs digits; e alone is no suffix
    '1e3k', // no suffix after an exponent
    '1e1.5',
    '1.2.3',
    '--1',
    '0x10',
    '1_000',
    'Infinity',
    'NaN',
    '1e400', // not a finite number
  ])('%j is not a quantity', (q) => {
    expect(parseQuantity(q)).toBeNull();
  });

  it('absent is null', () => {
    expect(parseQuantity(undefined)).toBeNull();
    expect(parseQuantity(null)).toBeNull();
  });
});
