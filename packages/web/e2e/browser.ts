import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium, headless, with nothing reaching the network on its own. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A browser with a fresh profile (launch() refuses a user-data-dir in args, so a persistent context
 * in a new temporary folder), which `close()` removes once the browser has exited (the context's
 * 'close' event comes while Chromium may still be writing its profile).
 */
export async function launchChromium(options: Parameters<typeof chromium.launchPersistentContext>[1] = {}): Promise<BrowserContext> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'cinder-chromium-'));
  const remove = (): void => rmSync(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, ...options });
  } catch (error) {
    remove();
    throw error;
  }
  const close = context.close.bind(context);
  context.close = async (closeOptions) => {
    try {
      await close(closeOptions);
    } finally {
      remove();
    }
  };
  return context;
}
