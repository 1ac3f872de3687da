import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium: /usr/bin/chromium, or the first `chromium` on PATH. */
export function findChromium(): string | undefined {
  const candidates = [
    '/usr/bin/chromium',
    ...(process.env['PATH'] ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'chromium')),
  ];
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** a headless Chromium, or a clear failure saying how to install one */
export async function launchChromium(what: string): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      `${what} needs Chromium and found none at /usr/bin/chromium or on PATH. ` +
        "Install Debian's chromium package (apt-get install -y chromium), as .ci/run does.",
    );
  }
  return chromium.launch({ executablePath, args: ['--no-sandbox'] });
}
