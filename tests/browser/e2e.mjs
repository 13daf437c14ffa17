// Drives a headless browser for the browser tests: Chromium (Debian's /usr/bin/chromium)
// with playwright-core, or Firefox ESR (Debian's /usr/bin/firefox-esr) with puppeteer-core
// over WebDriver BiDi (playwright drives only its own patched Firefox builds). The tests
// (conftest.py) start this script, then send one JSON command a line on stdin and read one
// JSON answer a line on stdout ({"id", "ok", "result" | "error"}). Lines with "event"
// (console messages, page errors) are not answers.
//
//   node tests/browser/e2e.mjs [--browser chromium|firefox] [--chromium PATH]
//                              [--firefox PATH] [--host-rules RULES]
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
const engine = opt('--browser', 'chromium');
const hostRules = opt('--host-rules', '');
const VIEWPORT = { width: 1400, height: 860 };
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

/** What the commands need from an engine: pages, frames by URL, real focus. */
async function chromiumEngine() {
  const { chromium } = await import(process.env.PLAYWRIGHT_CORE || 'playwright-core');
  const browser = await chromium.launch({
    executablePath: opt('--chromium', process.env.CHROMIUM || '/usr/bin/chromium'),
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync',
           ...(hostRules ? [`--host-resolver-rules=${hostRules}`] : [])],
  });
  const context = await browser.newContext({ viewport: VIEWPORT });
  return {
    browser,
    version: browser.version(),
    newPage: () => context.newPage(),
    // Playwright makes every page believe it has the focus; the tests need the real thing
    // (only the focused tab claims the commands). Set after each navigation: a navigation
    // to another site gets a new renderer, which starts with Playwright's emulation again.
    async realFocus(p) {
      const cdp = await context.newCDPSession(p);
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
      await cdp.detach();
    },
    fill: (f, selector, value) => f.fill(selector, value),
    waitFor: (f, expr, ms) => f.waitForFunction(expr, null, { timeout: ms, polling: 50 }),
    isPageError: () => true,
  };
}

async function firefoxEngine() {
  const { default: puppeteer } = await import(process.env.PUPPETEER_CORE || 'puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: opt('--firefox', process.env.FIREFOX || '/usr/bin/firefox-esr'),
    headless: true,
    defaultViewport: VIEWPORT,
  });
  return {
    browser,
    version: await browser.version(),
    newPage: () => browser.newPage(),
    realFocus: async () => {},   // no focus emulation to turn off
    // Like Playwright's fill: focus, replace the value, and the input event.
    fill: (f, selector, value) => f.$eval(selector, (el, v) => {
      el.focus();
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value),
    waitFor: (f, expr, ms) => f.waitForFunction(expr, { timeout: ms, polling: 50 }),
    // Firefox logs a refused WebSocket as a script error ("Firefox can't establish a
    // connection to the server at ws://..."), which BiDi reports like an uncaught one; the
    // page handles it (the socket's error and close events), so it is a console line here.
    isPageError: (text) => !/establish a connection to the server at wss?:/.test(text),
  };
}

if (!['chromium', 'firefox'].includes(engine)) throw new Error(`unknown browser ${engine}`);
const eng = engine === 'firefox' ? await firefoxEngine() : await chromiumEngine();
const browser = eng.browser;
const realFocus = eng.realFocus;
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

const commands = {
  async open({ page: name, url }) {
    const p = await eng.newPage();
    pages.set(name, p);
    p.on('console', (m) => out({ event: 'console', page: name, level: m.type(), text: m.text() }));
    p.on('pageerror', (e) => {
      const text = String(e && e.stack || e);
      out(eng.isPageError(text) ? { event: 'pageerror', page: name, text }
        : { event: 'console', page: name, level: 'error', text });
    });
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
    const h = await eng.waitFor(frame(name, f), expr, ms);
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
    await eng.fill(frame(name, f), selector, value);
    return true;
  },
  async screenshot({ page: name, path }) { await page(name).screenshot({ path, fullPage: true }); return path; },
  async quit() { await browser.close(); return true; },
};

out({ event: 'ready', version: eng.version });
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
