#!/usr/bin/env node
// Browser tests drive Debian's Chromium (Playwright never downloads a browser here).
// Installs the `chromium` package when it is missing and we are allowed to (root on Debian).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(CHROMIUM)) process.exit(0);
if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
  console.error(`Chromium is missing at ${CHROMIUM}. Install Debian's chromium package (apt-get install chromium).`);
  process.exit(1);
}
console.log('Installing Debian chromium for the browser tests...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', 'chromium', 'fonts-dejavu-core'], { stdio: 'inherit', env });
if (!existsSync(CHROMIUM)) {
  console.error('chromium did not install');
  process.exit(1);
}
