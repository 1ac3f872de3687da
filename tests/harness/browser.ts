import { type Browser, chromium } from 'playwright-core';

import { findChromium } from './clients.ts';

/**
 * A headless Chromium (clients.ts says which one: FLEETGRAPH_CHROMIUM, the machine's, or @sparticuz/chromium's), or a
 * clear failure saying how to get one.
 *
 * Only `--no-sandbox` (the tests run as root), for every build. @sparticuz/chromium's `args` are for AWS Lambda:
 * `--single-process`/`--no-zygote` for Lambda's process limits, and `--disable-web-security`,
 * `--allow-running-insecure-content` and no site isolation, which would switch off the browser checks (CSP, origins)
 * that the explorer tests rely on. Its build is chrome-headless-shell, which Playwright's default headless launch
 * drives as is.
 */
export async function launchChromium(what: string): Promise<Browser> {
  const client = await findChromium();
  if (!client) {
    throw new Error(
      `${what} needs Chromium and found none: not FLEETGRAPH_CHROMIUM, /usr/bin/chromium or chromium on PATH, ` +
        `and @sparticuz/chromium (a devDependency) is a Linux x64 build, not one for ${process.platform} ${process.arch}.`,
    );
  }
  return chromium.launch({
    executablePath: client.path,
    args: ['--no-sandbox'],
    ...(client.env ? { env: client.env } : {}),
  });
}
