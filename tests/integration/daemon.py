"""Spawning and stopping the real daemon for the integration tests."""

import asyncio
import errno
import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from child import tied

REPO = Path(__file__).resolve().parents[2]
SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                     'ERROR: ThreadSanitizer', 'WARNING: ThreadSanitizer')

# A test configuration: fast identification and a short long-press.
TEST_CONFIG = {'identify_timeout_ms': 200, 'hold_ms': 300, 'log_level': 'debug'}


def binary():
    path = os.environ.get('DICTABRIDGED') or str(REPO / 'build' / 'daemon' / 'dictabridged')
    if not os.access(path, os.X_OK):
        raise RuntimeError('daemon binary not found: %s (set DICTABRIDGED)' % path)
    return path


def cli_binary():
    """The `dictabridge` command-line client (DICTABRIDGE_CLI, else the build's)."""
    path = os.environ.get('DICTABRIDGE_CLI') or str(REPO / 'build' / 'cli' / 'dictabridge')
    if not os.access(path, os.X_OK):
        raise RuntimeError('dictabridge binary not found: %s (set DICTABRIDGE_CLI)' % path)
    return path


def _port_free(port):
    for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
        s = socket.socket(fam, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError as e:
            if e.errno == errno.EADDRNOTAVAIL:
                continue  # no such address family on this machine
            return False
        finally:
            s.close()
    return True


def free_port():
    """A TCP port free on both 127.0.0.1 and ::1."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        if _port_free(port):
            return port
    raise RuntimeError('no free port')


def base_env(home):
    """The daemon's environment: the caller's (so the umockdev preload and UMOCKDEV_DIR
    are inherited) with a private HOME and XDG_CONFIG_HOME."""
    env = dict(os.environ)
    try:
        from gi.repository import GLib
        d = GLib.getenv('UMOCKDEV_DIR')   # set by the testbed in the C environment
        if d:
            env['UMOCKDEV_DIR'] = d
    except ImportError:
        pass
    asan = env.get('ASAN_OPTIONS', '')
    env['ASAN_OPTIONS'] = 'verify_asan_link_order=0' + (':' + asan if asan else '')
    # The test-only shim that keeps ALSA's card probing away from umockdev (see
    # tests/nosound-preload.c) comes first in the preload list.
    shim = os.environ.get('DICTABRIDGE_NOSOUND_PRELOAD') or str(
        REPO / 'build' / 'tests' / 'nosound-preload.so')
    if os.path.exists(shim) and shim not in env.get('LD_PRELOAD', ''):
        env['LD_PRELOAD'] = shim + (' ' + env['LD_PRELOAD'] if env.get('LD_PRELOAD') else '')
    env['HOME'] = str(home)
    env['XDG_CONFIG_HOME'] = str(Path(home) / '.config')
    env.pop('XDG_RUNTIME_DIR', None)
    return env


def run_cli(args, home, timeout=10):
    """Runs the daemon to completion (e.g. --version). Returns CompletedProcess (text)."""
    Path(home).mkdir(parents=True, exist_ok=True)
    return subprocess.run([binary()] + list(args), env=base_env(home), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def http_request(port, path='/status', host=None, origin=None, method='GET', headers=None,
                 addr='127.0.0.1', timeout=3.0):
    """A raw HTTP/1.1 request (so the Host header is exactly what we say).
    Returns (status, headers dict lower-case, body bytes)."""
    if host is None:
        host = '127.0.0.1:%d' % port
    lines = ['%s %s HTTP/1.1' % (method, path)]
    if host is not False:
        lines.append('Host: %s' % host)
    if origin is not None:
        lines.append('Origin: %s' % origin)
    for k, v in (headers or {}).items():
        lines.append('%s: %s' % (k, v))
    lines.append('Connection: close')
    req = ('\r\n'.join(lines) + '\r\n\r\n').encode()
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((addr, port))
        s.sendall(req)
        data = b''
        deadline = time.monotonic() + timeout
        while b'\r\n\r\n' not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        if not head:
            raise ConnectionError('no HTTP answer')
        status_line, *hdr_lines = head.decode('latin-1').split('\r\n')
        status = int(status_line.split()[1])
        hdrs = {}
        for ln in hdr_lines:
            k, _, v = ln.partition(':')
            hdrs[k.strip().lower()] = v.strip()
        if status == 101:
            return status, hdrs, body
        # read the body (Content-Length or until close)
        clen = hdrs.get('content-length')
        while time.monotonic() < deadline:
            if clen is not None and len(body) >= int(clen):
                break
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            body += chunk
        if hdrs.get('transfer-encoding', '').lower() == 'chunked':
            body = _dechunk(body)
        return status, hdrs, body


def _dechunk(body):
    out = b''
    while body:
        size_line, _, rest = body.partition(b'\r\n')
        size = int(size_line.split(b';')[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return out


def upgrade_request(port):
    """The bytes of a valid WebSocket upgrade, for a client on a plain socket."""
    return ('GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: dictabridge.v1\r\n\r\n'
            % port).encode()


def ws_upgrade(port, host=None, origin=None, subprotocol='dictabridge.v1', addr='127.0.0.1',
               path='/'):
    """A raw WebSocket upgrade request. Returns (status, headers)."""
    headers = {'Upgrade': 'websocket', 'Connection': 'Upgrade',
               'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13'}
    if subprotocol is not None:
        headers['Sec-WebSocket-Protocol'] = subprotocol
    # http_request adds its own "Connection: close"; send the upgrade by hand instead.
    if host is None:
        host = '127.0.0.1:%d' % port
    lines = ['GET %s HTTP/1.1' % path]
    if host is not False:
        lines.append('Host: %s' % host)
    if origin is not None:
        lines.append('Origin: %s' % origin)
    lines += ['%s: %s' % kv for kv in headers.items()]
    req = ('\r\n'.join(lines) + '\r\n\r\n').encode()
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(3.0)
        s.connect((addr, port))
        s.sendall(req)
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head = data.partition(b'\r\n\r\n')[0].decode('latin-1')
    if not head:
        raise ConnectionError('connection closed without an HTTP answer')
    status_line, *hdr_lines = head.split('\r\n')
    hdrs = {}
    for ln in hdr_lines:
        k, _, v = ln.partition(':')
        hdrs[k.strip().lower()] = v.strip()
    return int(status_line.split()[1]), hdrs


class Daemon:
    """One daemon process. `config`: a dict (written as JSON), a str (written verbatim),
    or None (no --config). `extra_args` follow --port and --config."""

    def __init__(self, workdir, config=TEST_CONFIG, extra_args=(), port=None, name='daemon',
                 pass_port=True, env=None):
        self.workdir = Path(workdir)
        self.home = self.workdir / 'home'
        (self.home / '.config').mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.name = name
        self.config_path = None
        if config is not None:
            self.config_path = self.workdir / ('%s-config.json' % name)
            self.write_config(config)
        self.extra_args = list(extra_args)
        self.pass_port = pass_port      # False: no --port (config file or default port)
        self.env = dict(env or {})      # added to base_env (audio sources, for one)
        self.log_path = self.workdir / ('%s.log' % name)
        self.proc = None
        self.returncode = None
        self.killed = False

    # --- files ---
    def write_config(self, config, path=None):
        path = Path(path or self.config_path)
        text = config if isinstance(config, str) else json.dumps(config, indent=1)
        tmp = path.with_suffix('.tmp')
        tmp.write_text(text)
        os.replace(tmp, path)   # atomic: a SIGHUP never sees half a file
        return path

    def log(self):
        try:
            return self.log_path.read_text(errors='replace')
        except FileNotFoundError:
            return ''

    # --- process ---
    def argv(self):
        argv = [binary()]
        if self.pass_port:
            argv += ['--port', str(self.port)]
        if self.config_path is not None:
            argv += ['--config', str(self.config_path)]
        return argv + self.extra_args

    def start(self, wait=True, timeout=10.0, output=None):
        """output: a descriptor the daemon writes to instead of its log file (a LogPipe's)."""
        if output is None:
            self._logf = open(self.log_path, 'ab')
            output = self._logf
        env = base_env(self.home)
        env.update(self.env)
        self.proc = subprocess.Popen(tied(self.argv()), env=env, stdin=subprocess.DEVNULL,
                                     stdout=output, stderr=subprocess.STDOUT,
                                     cwd=str(self.workdir))
        if wait:
            self.wait_ready(timeout)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError('daemon exited with %s before it was ready:\n%s' % (
                    self.proc.returncode, self.log()))
            try:
                st, _, body = http_request(self.port, '/status', timeout=1.0)
                if st == 200:
                    return json.loads(body)
                last = 'HTTP %d' % st
            except (OSError, ValueError) as e:
                last = repr(e)
            time.sleep(0.02)
        raise AssertionError('daemon not ready within %.0fs (%s):\n%s' % (timeout, last, self.log()))

    def status(self):
        st, hdrs, body = http_request(self.port, '/status')
        assert st == 200, 'GET /status answered %d' % st
        return json.loads(body)

    def wait_status(self, pred, timeout=5.0, what='condition'):
        """Polls /status until pred(status) is true; returns the status."""
        deadline = time.monotonic() + timeout
        st = None
        while time.monotonic() < deadline:
            st = self.status()
            if pred(st):
                return st
            time.sleep(0.02)
        raise AssertionError('/status: %s not reached within %.1fs; last: %s' % (
            what, timeout, json.dumps(st)))

    def wait_devices(self, n, timeout=5.0, identified=False):
        """Waits until /status lists n devices (and, with identified, all of them have a
        non-zero model_code). Returns the device list."""
        def ok(st):
            devs = st.get('devices', [])
            return len(devs) == n and (not identified or all(d['model_code'] for d in devs))
        return self.wait_status(ok, timeout, '%d device(s)' % n)['devices']

    def wait_log(self, pattern, timeout=5.0, since=0):
        """Waits until the log (from character `since`) matches the regex; returns the match."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log(), since)
            if m:
                return m
            if time.monotonic() >= deadline:
                raise AssertionError('log never matched %r within %.1fs:\n%s' % (
                    pattern, timeout, self.log()[since:]))
            time.sleep(0.02)

    def log_mark(self):
        return len(self.log())

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=5.0):
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError('daemon did not exit within %.1fs:\n%s' % (timeout, self.log()))
        finally:
            self._close_log()
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Stops the daemon; returns its exit status (negative: killed by a signal).
        Kills it (and records that) when it does not exit in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.killed = True
                self.proc.kill()
                self.proc.wait(5)
        self.returncode = self.proc.returncode
        self._close_log()
        return self.returncode

    def _close_log(self):
        f = getattr(self, '_logf', None)
        if f is not None and not f.closed:
            f.close()

    def sanitizer_report(self):
        text = self.log()
        for m in SANITIZER_MARKERS:
            if m in text:
                return text
        return None


def stop_and_check(daemons):
    """Stops every started daemon with SIGTERM and returns the problems: one that ignored
    SIGTERM, died of a signal or crashed, or left a sanitizer report in its log."""
    problems = []
    for d in daemons:
        if d.proc is None:
            continue
        was_running = d.running()
        rc = d.stop(signal.SIGTERM)
        if d.killed:
            problems.append('%s did not exit within 5 s of SIGTERM' % d.name)
        elif rc is not None and rc < 0 and rc != -signal.SIGKILL:
            problems.append('%s %s (signal %d)' % (
                d.name, 'died of a signal' if was_running else 'crashed', -rc))
        if d.sanitizer_report():
            problems.append('%s: sanitizer report in its log' % d.name)
    return problems


class LogPipe:
    """A daemon's output through a FIFO a test drains, or stops draining and fills:
    then the daemon's next log line blocks its loop wherever it is, as a loop starved by
    the scheduler (memcheck under load) or a stuck log reader does."""

    def __init__(self, path):
        os.mkfifo(path)
        self.r = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        fcntl.fcntl(self.r, fcntl.F_SETPIPE_SZ, 4096)
        self.w = os.open(path, os.O_WRONLY)                     # the daemon's, blocking
        self.filler = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        self.text = bytearray()
        self.conns = []
        self.draining = threading.Event()
        self.draining.set()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while not self.done.is_set():
            if self.draining.wait(0.05) and select.select([self.r], [], [], 0.05)[0]:
                try:
                    self.text += os.read(self.r, 65536)
                except BlockingIOError:
                    pass

    async def stall(self, d, timeout=10.0):
        """Stalls d's loop: stops draining, fills the pipe, and opens a connection that the
        loop logs ("client connected"); returns once the loop waits in that write. Resume
        with self.draining.set()."""
        self.draining.clear()
        await asyncio.sleep(0.1)              # a read under way ends
        try:
            while True:
                os.write(self.filler, b'-' * 4096)
        except BlockingIOError:
            pass
        self.conns.append(socket.create_connection(('127.0.0.1', d.port)))
        self.conns[-1].sendall(upgrade_request(d.port))
        deadline = time.monotonic() + timeout
        while not blocked_in_write(d.proc.pid):
            assert time.monotonic() < deadline, 'the daemon never blocked on its log'
            await asyncio.sleep(0.02)

    def checked(self, d):
        """The output of d, stopped: what the spawn fixture checks of its daemons (a clean
        exit, no sanitizer report) asserted."""
        text = self.text.decode(errors='replace')
        assert d.returncode == 0 and not any(m in text for m in SANITIZER_MARKERS), text
        return text

    def close(self):
        self.draining.set()
        self.done.set()
        self.thread.join(5)
        for c in self.conns:
            c.close()
        for fd in (self.r, self.w, self.filler):
            os.close(fd)


def blocked_in_write(pid):
    """The process's main thread (the daemon's loop) waits to write into a pipe."""
    with open('/proc/%d/wchan' % pid) as f:
        return f.read().endswith('pipe_write')      # anon_pipe_write on newer kernels
