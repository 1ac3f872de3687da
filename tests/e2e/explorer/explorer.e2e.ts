import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';

import { launchChromium } from '../../harness/browser.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * What a new user does first, in a real browser: open the gateway's URL, get the explorer, run the README's
 * subscription, and watch a member cluster go offline and come back.
 */

const LOAD_TIMEOUT = 30_000;
let stack: Stack;
let browser: Browser | undefined;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-explorer-'));
  [stack, browser] = await Promise.all([
    startStack({ port: 0, outDir, probePeriodMs: 500, logLevel: 'warn' }),
    launchChromium('The explorer end-to-end test'),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe('the explorer, served by the gateway', () => {
  it(
    'runs the README subscription and shows a member going offline and back',
    { timeout: 120_000 },
    async () => {
      const context = await browser!.newContext();
      const origin = new URL(stack.gatewayUrl).origin;
      // the explorer sends the saved Authorization header (as connectionParams for subscriptions); GraphiQL keeps
      // it in localStorage. (Init scripts also run in about:blank, where localStorage is off limits.)
      const headers = JSON.stringify(
        JSON.stringify({ Authorization: `Bearer ${await stack.token('admin')}` }),
      );
      await context.addInitScript({
        content: `if (location.protocol === 'http:') localStorage.setItem('graphiql:headers', ${headers});`,
      });
      const foreign: string[] = [];
      const problems: string[] = [];
      context.on('request', (r) => {
        if (!r.url().startsWith(`${origin}/`)) foreign.push(r.url());
      });
      const page = await context.newPage();
      page.on('pageerror', (e) => problems.push(e.message));
      const subscription =
        'subscription { clusterStatusChanged(names: ["edge"]) { name status { phase reason } podCount } }';
      await page.goto(`${stack.gatewayUrl}#query=${encodeURIComponent(subscription)}`);
      const run = page.locator('.graphiql-execute-button');
      await run.waitFor({ state: 'visible', timeout: LOAD_TIMEOUT });
      await page
        .locator('.graphiql-query-editor')
        .filter({ hasText: 'clusterStatusChanged' })
        .waitFor({ timeout: LOAD_TIMEOUT });
      await run.click();
      const result = page.locator('.result-window');
      await result.filter({ hasText: '"phase": "READY"' }).waitFor({ timeout: LOAD_TIMEOUT });
      await expect(result.textContent()).resolves.toMatch(/"podCount": \d+/);

      const kc = loadKubeConfig({ kind: 'kubeconfig', path: stack.kubeconfigs['edge'] ?? '' });
      await kubeRequest(kc, '/__sim/offline', { method: 'POST', body: { mode: 'refuse', forMs: 2000 } });
      await result.filter({ hasText: '"phase": "UNREACHABLE"' }).waitFor({ timeout: LOAD_TIMEOUT });
      await result.filter({ hasText: '"phase": "READY"' }).waitFor({ timeout: LOAD_TIMEOUT });

      expect(foreign).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    },
  );
});
