"""Fixtures of the browser tests: the device emulator and the daemon (from
tests/integration), a static web server on another origin, and a headless browser driven by
tests/browser/e2e.mjs through JSON lines: Chromium (playwright-core) by default, Firefox ESR
(puppeteer-core over WebDriver BiDi) where a module's `engine` fixture asks for it."""

import functools
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'integration'))

import fixtures  # noqa: E402
from child import tied  # noqa: E402
from fixtures import emu, spawn  # noqa: E402,F401 (the daemon and device fixtures)

WEB_ROOT = REPO / 'web'
ARTIFACTS = Path(os.environ.get('DICTABRIDGE_ARTIFACTS') or REPO / 'build' / 'test-artifacts')


class Browser:
    """One headless browser (one browser context) behind e2e.mjs."""

    def __init__(self, workdir, engine='chromium'):
        env = dict(os.environ)
        # Chromium must not run under umockdev's preload (it is for the daemon only).
        for k in ('LD_PRELOAD', 'UMOCKDEV_DIR', 'ASAN_OPTIONS', 'UBSAN_OPTIONS'):
            env.pop(k, None)
        env['HOME'] = str(workdir)
        self.log_path = Path(workdir) / 'browser.log'
        self._log = open(self.log_path, 'a')
        self.proc = subprocess.Popen(
            tied(['node', str(HERE / 'e2e.mjs'), '--browser', engine]), cwd=str(REPO),
            env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log)
        self._answers = queue.Queue()
        self.console = []
        self.page_errors = []
        self._next = 1
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        ready = self._answers.get(timeout=60)
        if not ready.get('event') == 'ready':
            raise RuntimeError('e2e.mjs did not start: %r\n%s' % (ready, self.log()))
        self.version = ready['version']

    def _read(self):
        for line in self.proc.stdout:
            try:
                msg = json.loads(line)
            except ValueError:
                self._log.write('stdout: ' + line)
                continue
            ev = msg.get('event')
            if ev in ('console', 'pageerror'):
                self._log.write('[%s %s] %s\n' % (msg['page'], msg.get('level', ev), msg['text']))
                self._log.flush()
                (self.page_errors if ev == 'pageerror' else self.console).append(msg)
                continue
            self._answers.put(msg)
        self._answers.put({'event': 'exit'})

    def log(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors='replace')

    def call(self, cmd, timeout=30, **kw):
        msg = dict(kw, cmd=cmd, id=self._next)
        self._next += 1
        self.proc.stdin.write(json.dumps(msg) + '\n')
        self.proc.stdin.flush()
        ans = self._answers.get(timeout=timeout)
        if ans.get('event') == 'exit':
            raise RuntimeError('e2e.mjs exited:\n%s' % self.log())
        assert ans.get('id') == msg['id'], (msg, ans)
        if not ans['ok']:
            raise AssertionError('%s %s: %s' % (cmd, kw, ans['error']))
        return ans['result']

    # conveniences
    def open(self, page, url):
        return self.call('open', page=page, url=url)

    def eval(self, page, expr, frame=None):
        return self.call('eval', page=page, expr=expr, frame=frame)

    def wait(self, page, expr, frame=None, timeout=5.0, what=None):
        try:
            return self.call('wait', page=page, expr=expr, frame=frame,
                             ms=int(timeout * 1000), timeout=timeout + 30)
        except AssertionError as e:
            raise AssertionError('%s: %s never true within %.1fs (%s)' % (
                page, what or expr, timeout, e)) from None

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call('quit', timeout=10)
            except Exception:   # noqa: BLE001 - the browser may already be gone
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


@pytest.fixture
def engine():
    """The browser the `browser` fixture starts; a test module may parametrize it."""
    return 'chromium'


@pytest.fixture
def browser(tmp_path, request, engine):
    b = Browser(tmp_path, engine)
    request.node._browser = b
    yield b
    errors = list(b.page_errors)
    b.close()
    if errors:
        pytest.fail('uncaught errors in the pages: %s' % [e['text'] for e in errors],
                    pytrace=False)


@pytest.fixture
def daemon_args():
    """Every daemon of these tests serves this tree's web/ (the demo page)."""
    return ['--web-root', str(WEB_ROOT)]


@pytest.fixture
def foreign_server():
    """A static server of web/ on http://127.0.0.2:PORT, laid out like the daemon's
    (/demo/ and /web/): an origin the daemon does not allow by default. Yields its origin."""
    handler = functools.partial(_WebHandler, directory=str(WEB_ROOT))
    srv = http.server.ThreadingHTTPServer(('127.0.0.2', 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield 'http://127.0.0.2:%d' % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


class _WebHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path):
        if path.startswith('/web/'):
            path = path[len('/web'):]
        return super().translate_path(path)

    def log_message(self, *args):
        pass


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        rep.sections.extend(fixtures.daemon_log_sections(item, call))
        b = getattr(item, '_browser', None)
        if b is not None:
            rep.sections.append(('browser log', b.log()[-20000:] or '(empty)'))
