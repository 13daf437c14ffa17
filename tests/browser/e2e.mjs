// Drives headless Chromium (Debian's /usr/bin/chromium) with playwright-core for the browser
// tests: tests/browser/test_demo.py starts this script, then sends one JSON command a line
// on stdin and reads one JSON answer a line on stdout ({"id", "ok", "result" | "error"}).
// Lines with "event" (console messages, page errors) are not answers.
//
//   node tests/browser/e2e.mjs [--chromium PATH] [--host-rules RULES]
//
// Commands (page: a name chosen by the caller; frame: "mock" = the reporting iframe):
//   open {page, url}      new tab in the one browser context, real focus (no emulation)
//   goto {page, url} | reload {page} | close {page} | front {page}
//   eval {page, frame?, expr}               the value of a JS expression
//   wait {page, frame?, expr, ms?}             waits until the expression is truthy; its value
//   click {page, frame?, selector} | fill {page, frame?, selector, value}
//   screenshot {page, path} | quit
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const executablePath = opt('--chromium', process.env.CHROMIUM || '/usr/bin/chromium');
const hostRules = opt('--host-rules', '');

const { chromium } = await import(process.env.PLAYWRIGHT_CORE || 'playwright-core');
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync',
         ...(hostRules ? [`--host-resolver-rules=${hostRules}`] : [])],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
const pages = new Map();

function page(name) {
  const p = pages.get(name);
  if (!p) throw new Error(`no page named ${name}`);
  return p;
}

function frame(name, which) {
  const p = page(name);
  if (!which) return p.mainFrame();
  const f = p.frames().find((fr) => fr.url().includes('/mock-radpair/'));
  if (!f) throw new Error(`page ${name} has no reporting iframe (frames: ${p.frames().map((x) => x.url())})`);
  return f;
}

// Playwright makes every page believe it has the focus; the tests need the real thing (only
// the focused tab claims the commands). Set after each navigation: a navigation to another
// site gets a new renderer, which starts with Playwright's emulation again.
async function realFocus(p) {
  const cdp = await context.newCDPSession(p);
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
  await cdp.detach();
}

const commands = {
  async open({ page: name, url }) {
    const p = await context.newPage();
    pages.set(name, p);
    p.on('console', (m) => out({ event: 'console', page: name, level: m.type(), text: m.text() }));
    p.on('pageerror', (e) => out({ event: 'pageerror', page: name, text: String(e && e.stack || e) }));
    await p.goto(url);
    await realFocus(p);
    await p.bringToFront();
    return p.url();
  },
  async goto({ page: name, url }) { await page(name).goto(url); await realFocus(page(name)); return page(name).url(); },
  async reload({ page: name }) { await page(name).reload(); await realFocus(page(name)); return true; },
  async close({ page: name }) { await page(name).close(); pages.delete(name); return true; },
  async front({ page: name }) { await page(name).bringToFront(); return true; },
  async eval({ page: name, frame: f, expr }) { return frame(name, f).evaluate(expr); },
  async wait({ page: name, frame: f, expr, ms = 5000 }) {
    const h = await frame(name, f).waitForFunction(expr, null, { timeout: ms, polling: 50 });
    return h.jsonValue();
  },
  async click({ page: name, frame: f, selector }) { await frame(name, f).click(selector); return true; },
  // A mouse button held down on an element of the page, then let go: a real hold.
  async mousedown({ page: name, selector }) {
    await page(name).hover(selector);
    await page(name).mouse.down();
    return true;
  },
  async mouseup({ page: name }) { await page(name).mouse.up(); return true; },
  async fill({ page: name, frame: f, selector, value }) {
    await frame(name, f).fill(selector, value);
    return true;
  },
  async screenshot({ page: name, path }) { await page(name).screenshot({ path, fullPage: true }); return path; },
  async quit() { await browser.close(); return true; },
};

out({ event: 'ready', version: browser.version() });
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let msg;
  try {
    msg = JSON.parse(line);
    const fn = commands[msg.cmd];
    if (!fn) throw new Error(`unknown command ${msg.cmd}`);
    const result = await fn(msg);
    out({ id: msg.id, ok: true, result: result === undefined ? null : result });
    if (msg.cmd === 'quit') break;
  } catch (e) {
    out({ id: msg && msg.id, ok: false, error: String(e && e.message || e) });
  }
}
await browser.close().catch(() => {});
process.exit(0);
