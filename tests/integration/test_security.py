"""Who may connect: only the daemon's own user (the kernel's sock_diag answer for each
connection), only the daemon's own origins plus the configured ones, and the transport
limits that keep one client from starving the others."""

import ast
import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time

import pytest

import emu as E
from client import Client
from daemon import (TEST_CONFIG, Daemon, base_env, cli_binary, free_port, http_request, run_cli,
                    upgrade_request, ws_upgrade)

# A client run as another user: a raw TCP connection that sends a WebSocket upgrade or a
# GET /status and prints what came back (nothing when the daemon closed it unread).
FOREIGN_CLIENT = r'''
import socket, sys
port, family, addr, kind = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
fam = socket.AF_INET6 if family == '6' else socket.AF_INET
host = '[::1]' if family == '6' else '127.0.0.1'
if kind == 'ws':
    req = ('GET / HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
           'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
           'Sec-WebSocket-Protocol: dictabridge.v1\r\n\r\n' % (host, port))
else:
    req = 'GET /status HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n' % (host, port)
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(5)
s.connect((addr, port))
try:
    s.sendall(req.encode())
    data = b''
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
        if kind == 'ws' and b'\r\n\r\n' in data:
            break
except (ConnectionResetError, BrokenPipeError):
    pass
sys.stdout.write(repr(data[:200]))
'''


def run_as(user, port, family, kind):
    """FOREIGN_CLIENT as `user` (None: as ourselves); returns the bytes it received."""
    argv = [sys.executable, '-c', FOREIGN_CLIENT, str(port), family,
            '::1' if family == '6' else '127.0.0.1', kind]
    if user:
        ids = subprocess.check_output(['id', '-u', user]), subprocess.check_output(['id', '-g', user])
        argv = ['setpriv', '--reuid=%d' % int(ids[0]), '--regid=%d' % int(ids[1]),
                '--clear-groups'] + argv
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin')}   # no test preloads
    r = subprocess.run(argv, capture_output=True, text=True, timeout=15, env=env,
                       stdin=subprocess.DEVNULL, cwd='/')
    assert r.returncode == 0, r.stderr
    return ast.literal_eval(r.stdout)


def test_other_user_refused_own_user_served(spawn):
    if os.geteuid() != 0:
        pytest.skip('needs root to run a client as another user')
    d = spawn()
    p = d.port
    for family in ('4', '6'):
        for kind in ('ws', 'http'):
            got = run_as('nobody', p, family, kind)
            assert got == b'', 'a client of uid nobody got %r (%s, IPv%s)' % (got, kind, family)
            mine = run_as(None, p, family, kind)
            want = b'HTTP/1.1 101' if kind == 'ws' else b'HTTP/1.1 200'
            assert mine.startswith(want), (kind, family, mine)
    nobody = int(subprocess.check_output(['id', '-u', 'nobody']).strip())
    lines = [l for l in d.log().splitlines() if 'refused connections from uid' in l]
    assert len(lines) == 1, lines   # four refusals, one line
    assert 'uid %d' % nobody in lines[0], lines
    assert d.running()


def test_origin_on_another_loopback_port_refused(spawn):
    d = spawn()
    p = d.port
    for origin in ('http://127.0.0.1:%d' % (p + 1), 'http://localhost:8888',
                   'http://[::1]:%d' % (p - 1)):
        assert ws_upgrade(p, origin=origin)[0] == 403, origin
        assert http_request(p, '/status', origin=origin)[0] == 403, origin
    assert ws_upgrade(p, origin='http://[::1]:%d' % p)[0] == 101


def test_null_origin_needs_the_opt_in(spawn, tmp_path):
    d = spawn()
    assert ws_upgrade(d.port, origin='null')[0] == 403
    assert http_request(d.port, '/status', origin='null')[0] == 403
    assert 'allow_null_origin' not in d.log()
    # "null" in the allow-list is no way around it: the file is refused with the reason
    bad = tmp_path / 'null-listed.json'
    bad.write_text('{"allowed_origins": ["null"]}')
    r = run_cli(['--config', str(bad), '--check-config'], tmp_path / 'h1')
    assert r.returncode == 1 and 'allow_null_origin' in r.stderr, r.stderr

    d2 = spawn(config=dict(TEST_CONFIG, allow_null_origin=True))
    assert ws_upgrade(d2.port, origin='null')[0] == 101
    st, hdrs, _ = http_request(d2.port, '/status', origin='null')
    assert st == 200 and hdrs.get('access-control-allow-origin') == 'null', hdrs
    assert 'allow_null_origin is set' in d2.log()
    # other foreign origins stay refused
    assert ws_upgrade(d2.port, origin='https://evil.example')[0] == 403


# ---- transport ------------------------------------------------------------------------------

def _upgrade_answer(port, subprotocol):
    """The daemon's answer to an upgrade offering `subprotocol`: its status, or None when
    it closed the connection without one."""
    try:
        return ws_upgrade(port, subprotocol=subprotocol)[0]
    except (ConnectionError, OSError):
        return None


async def test_only_dictabridge_v1_is_ever_selected(spawn):
    d = spawn()
    p = d.port
    # lws binds the first offered name it knows: the daemon's internal handlers refuse
    for offer in ('http, dictabridge.v1', 'dictabridge-fd, dictabridge.v1',
                  'x;http, dictabridge.v1', 'http,dictabridge.v1'):
        assert _upgrade_answer(p, offer) is None, offer
    assert _upgrade_answer(p, 'chat, dictabridge.v1') == 101
    # with the 32 client slots taken, the same offers still get nowhere
    clients = [await Client.connect(p, name='c%d' % i) for i in range(32)]
    d.wait_status(lambda s: s['clients'] == 32, what='32 clients')
    for offer in ('http, dictabridge.v1', 'dictabridge-fd, dictabridge.v1', 'dictabridge.v1'):
        assert _upgrade_answer(p, offer) in (None, 503), offer
    assert d.status()['clients'] == 32
    for c in clients:
        await c.close()
    assert 'a WebSocket may only be dictabridge.v1' in d.log()
    assert d.running()


def _cpu_seconds(pid):
    fields = open('/proc/%d/stat' % pid).read().rpartition(')')[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _closed_within(sock, seconds):
    """True when the daemon closes `sock` (EOF or reset) within `seconds`."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1) == b''
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_connection_cap_counts_handshakes(spawn):
    d = spawn()
    held = [socket.create_connection(('127.0.0.1', d.port)) for _ in range(64)]
    try:
        extra = socket.create_connection(('127.0.0.1', d.port))
        assert _closed_within(extra, 2.0), 'a 65th connection was kept'
        extra.close()
        assert not _closed_within(held[0], 0.3), 'the first connections stay open'
        d.wait_log(r'64 connections are open')
    finally:
        for s in held:
            s.close()
    # the slots come back as soon as those end
    deadline = time.monotonic() + 3
    while _upgrade_answer(d.port, 'dictabridge.v1') != 101:
        assert time.monotonic() < deadline, 'not served again after the 64 ended'
        time.sleep(0.05)
    assert d.log().count('64 connections are open') == 1


def test_out_of_descriptors_does_not_spin(spawn):
    """With no descriptor left (prlimit's RLIMIT_NOFILE below what is open), accept fails
    with EMFILE: the loop must sleep, not spin, and serve the waiting connection once
    descriptors are back."""
    d = spawn()
    pid = d.proc.pid
    d.wait_status(lambda s: s['clients'] == 0, what='started')
    saved = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    subprocess.run(['prlimit', '--pid', str(pid), '--nofile=8:%d' % saved[1]], check=True)
    waiting = socket.create_connection(('127.0.0.1', d.port))
    try:
        waiting.sendall(('GET /status HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n'
                         'Connection: close\r\n\r\n' % d.port).encode())
        time.sleep(0.5)
        cpu0 = _cpu_seconds(pid)
        time.sleep(3.0)
        cpu = _cpu_seconds(pid) - cpu0
        print('out of descriptors: %.2f s of CPU in 3 s' % cpu)
        assert cpu < 0.3, 'the daemon used %.2f s of CPU in 3 s out of descriptors' % cpu
        d.wait_log(r'out of file descriptors')
        assert not _closed_within(waiting, 0.1), 'the waiting connection was dropped'
        resource.prlimit(pid, resource.RLIMIT_NOFILE, saved)
        waiting.settimeout(3.0)
        assert waiting.recv(12) == b'HTTP/1.1 200', 'not served once descriptors are back'
    finally:
        waiting.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, saved)
    assert d.log().count('out of file descriptors') == 1
    assert d.running()


def test_silent_client_is_dropped_after_the_ping_timeout(spawn):
    """A client that completes the handshake and then answers nothing (no pong) is closed
    30 s after it last answered; one that answers pings stays."""
    d = spawn()
    loop = asyncio.new_event_loop()
    good = loop.run_until_complete(Client.connect(d.port, name='answers'))
    silent = socket.create_connection(('127.0.0.1', d.port))
    silent.sendall(upgrade_request(d.port))
    try:
        d.wait_status(lambda s: s['clients'] == 2, what='both connected')
        t0 = time.monotonic()
        # the good client's library answers pings while the loop runs
        loop.run_until_complete(asyncio.sleep(27))
        assert d.status()['clients'] == 2, 'dropped before the timeout'
        loop.run_until_complete(asyncio.sleep(6))
        d.wait_status(lambda s: s['clients'] == 1, timeout=5, what='the silent client dropped')
        assert time.monotonic() - t0 < 40
        data = b''
        silent.settimeout(2)
        while True:
            try:
                chunk = silent.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            data += chunk
        assert b'\x89' in data.partition(b'\r\n\r\n')[2], 'no ping was sent: %r' % data
        pong = loop.run_until_complete(good.ping('still-here'))
        assert pong['id'] == 'still-here'
    finally:
        silent.close()
        loop.run_until_complete(good.close())
        loop.close()


# ---- strings from devices and files -----------------------------------------------------

async def test_device_serial_cannot_forge_a_log_line(spawn):
    """A serial number holding a newline and "<0>" (and a byte that is not UTF-8) reaches
    the journal as one escaped line, and clients as valid JSON text."""
    evil = 'SN1\n<0>forged emergency\udcff'          # \udcff: the raw byte 0xff
    u = E.speechmike(serial=evil)
    d = spawn(u, env={'JOURNAL_STREAM': '8:1234'})
    d.wait_log(r'attached')
    lines = d.log().splitlines()
    assert not any(l.startswith('<0>') for l in lines), d.log()
    attached = [l for l in lines if 'attached' in l]
    assert attached and attached[0].startswith('<6>'), attached
    assert 'SN1\\x0a<0>forged emergency\\xff' in attached[0], attached
    c = await Client.connect(d.port)       # websockets rejects a text frame that is not UTF-8
    [dev] = c.hello['devices']
    assert dev['serial'] == 'SN1\\x0a<0>forged emergency\\xff', dev
    assert dev['id'] == '0911-0c1c-SN1_x0a_0_forged_emergency_xff', dev
    await c.close()


def test_config_strings_must_be_utf8(spawn, tmp_path):
    bad = tmp_path / 'latin1.json'
    bad.write_bytes(b'{"audio": {"device": "Mikrofon \xe4"}}')
    r = run_cli(['--config', str(bad), '--check-config'], tmp_path / 'h')
    assert r.returncode == 1, r.stdout + r.stderr
    assert "'audio.device'" in r.stderr and 'UTF-8' in r.stderr, r.stderr
    good = tmp_path / 'utf8.json'
    good.write_bytes(b'{"audio": {"device": "Mikrofon \xc3\xa4"}}')
    r = run_cli(['--config', str(good), '--check-config'], tmp_path / 'h')
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli(['--audio-device', 'Mic\xff'.encode('latin-1').decode('utf-8', 'surrogateescape'),
                 '--check-config'], tmp_path / 'h')
    assert r.returncode == 1 and 'UTF-8' in r.stderr, r.stderr


# ---- port squatting ---------------------------------------------------------------------------

# Another user's program on the daemon's port (taken while the daemon was not running),
# pretending to be dictabridged: it accepts on 127.0.0.1 and ::1 and answers every
# request with a made-up /status.
SQUATTER = r'''
import json, socket, sys, threading
port = int(sys.argv[1])
body = json.dumps({'name': 'dictabridged', 'version': '0.1.0', 'protocol': 1,
                   'clients': 0, 'devices': []}).encode()
def serve(s):
    while True:
        c, _ = s.accept()
        try:
            c.recv(4096)
            c.sendall(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n'
                      b'content-length: %d\r\nconnection: close\r\n\r\n%s' % (len(body), body))
        except OSError:
            pass
        c.close()
for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print('ready', flush=True)
sys.stdin.read()
'''


@pytest.fixture
def squatter():
    """Starts SQUATTER as nobody on a free port; yields (port, uid)."""
    if os.geteuid() != 0:
        pytest.skip('needs root to run a program as another user')
    port = free_port()
    uid = int(subprocess.check_output(['id', '-u', 'nobody']))
    gid = int(subprocess.check_output(['id', '-g', 'nobody']))
    p = subprocess.Popen(['setpriv', '--reuid=%d' % uid, '--regid=%d' % gid, '--clear-groups',
                          sys.executable, '-c', SQUATTER, str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                         env={'PATH': os.environ.get('PATH', '/usr/bin:/bin')}, cwd='/')
    try:
        assert p.stdout.readline().strip() == 'ready'
        yield port, uid
    finally:
        p.stdin.close()
        p.kill()
        p.wait(5)


def test_daemon_names_another_users_program_on_its_port(tmp_path, squatter):
    port, uid = squatter
    d = Daemon(tmp_path, port=port)
    try:
        d.start(wait=False)
        assert d.wait_exit(10) == 1
        log = d.log()
        assert 'port %d on 127.0.0.1 is already in use by a program of another user ' \
               '(uid %d): this is a security problem' % (port, uid) in log, log
    finally:
        d.stop(signal.SIGKILL)


def test_port_held_by_own_program_is_no_security_problem(tmp_path):
    port = free_port()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(1)
    d = Daemon(tmp_path, port=port)
    try:
        d.start(wait=False)
        assert d.wait_exit(10) == 1
        assert 'in use by a program of this user (uid %d' % os.geteuid() in d.log(), d.log()
        assert 'security' not in d.log()
    finally:
        d.stop(signal.SIGKILL)
        s.close()


def test_cli_does_not_trust_another_users_program(tmp_path, squatter):
    """Every command that connects refuses it alike: exit status 4 (the documented code for
    a port held by something that is not your dictabridged), never 1 as if your daemon had
    refused the request; with --json, error "untrusted"."""
    port, uid = squatter
    env = base_env(tmp_path / 'home')
    for args in (['status'], ['devices'], ['monitor'], ['led', 'X1', 'record', 'red'],
                 ['mode', 'X1', 'hid'], ['press', 'record'], ['slide', 'stop'],
                 ['record', '--seconds', '1', '--out', str(tmp_path / 'x.wav')]):
        r = subprocess.run([cli_binary()] + args + ['--port', str(port)], env=env,
                           capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)
        assert r.returncode == 4, (args, r)
        assert 'another user (uid %d)' % uid in r.stderr and 'not trusted' in r.stderr, \
            (args, r.stderr)
        assert '"dictabridged"' not in r.stdout and 'devices' not in r.stdout, r.stdout
        j = json.loads(subprocess.run([cli_binary()] + args + ['--port', str(port), '--json'],
                                      env=env, capture_output=True, text=True, timeout=20,
                                      stdin=subprocess.DEVNULL).stdout.splitlines()[-1])
        assert j['ok'] is False and j['error'] == 'untrusted', (args, j)
    assert not (tmp_path / 'x.wav').exists()
    env['DICTABRIDGE_UDEV_RULES_DIRS'] = '/nonexistent'
    r = subprocess.run([cli_binary(), 'doctor', '--port', str(port)], env=env,
                       capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r.stdout
    port_line = [l for l in r.stdout.splitlines() if l.startswith('FAIL  port')]
    assert port_line and 'another user (uid %d)' % uid in port_line[0] and \
        'security problem' in port_line[0], r.stdout
