"""Load and fault tests against the real daemon: the full complement of 32 clients sharing
one SpeechMike's buttons and microphone (and one of them stalling), connect/disconnect
churn, a long run of button reports, and faults the other files do not cover (a client
reset while much is queued for it, a burst of SIGHUPs, kill -9 and restart on the same
port, plug/unplug churn during identification).

The full sizes (10,000 connect/disconnect cycles, 100,000 button reports) keep the file
near 20-25 s, also under ASan, on two cores; DICTABRIDGE_LOAD_CYCLES and
DICTABRIDGE_LOAD_REPORTS change them."""

import asyncio
import importlib.util
import json
import os
import signal
import socket
import struct
import time

import websockets

import emu as E
from audio_env import FRAME_HEADER
from client import Client
from daemon import TEST_CONFIG, ws_upgrade


def _sibling(name):
    # By path: tests/browser has a test_audio.py too, and which one a plain import finds
    # depends on what pytest collected first.
    spec = importlib.util.spec_from_file_location(
        'integration_' + name, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            name + '.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_test_audio = _sibling('test_audio')
StalledClient, rss_kb = _test_audio.StalledClient, _test_audio.rss_kb

# Debug logging of every event would make the log file the bottleneck, not the daemon.
LOAD_CONFIG = dict(TEST_CONFIG, log_level='info')
MAX_CLIENTS = 32
CYCLES = int(os.environ.get('DICTABRIDGE_LOAD_CYCLES', '10000'))
REPORTS = int(os.environ.get('DICTABRIDGE_LOAD_REPORTS', '100000'))
# Buttons with no LED, hold or recording side effect, so only `button` traffic is measured.
LOAD_BUTTONS = [(0x0004, 'f2'), (0x0008, 'f3'), (0x0010, 'f4'), (0x0400, 'play')]
# The daemon reads the emulated node 256 bytes at a time and splits a read only when it is
# a whole number of 9-byte reports: more than 28 reports unread at once would be cut
# mid-report. Reports in flight are therefore kept at most this many.
WINDOW = 28


def fd_count(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def sanitized(pid):
    """True for an ASan build: its allocator keeps freed memory in quarantine (256 MB by
    default), so RSS says nothing about leaks there; LeakSanitizer checks at exit."""
    with open('/proc/%d/maps' % pid) as f:
        return 'libasan' in f.read()


def dev_id(unit):
    return '%04x-%04x-%s' % (unit.vid, unit.pid, unit.serial)


def button_script(n):
    """n reports, each toggling one button of LOAD_BUTTONS in turn: (report, expected
    (button, pressed)) pairs. Presses and releases of the four buttons interleave."""
    word, out = 0, []
    for i in range(n):
        bit, name = LOAD_BUTTONS[i % len(LOAD_BUTTONS)]
        word ^= bit
        out.append((E.sm_report(word), (name, bool(word & bit))))
    return out


class Reader:
    """Reads one Client's connection in a task: button events and, per audio stream, the
    sequence numbers of its frames (decoding only the header: 32 streams of frames are
    more than a Python client can afford to keep whole)."""

    def __init__(self, client, device_id):
        self.c = client
        self.device_id = device_id
        self.buttons = []
        self.seqs = {}
        self.texts = []
        self.error = None
        self._waiters = []
        self.task = asyncio.ensure_future(self._run())

    async def _run(self):
        try:
            async for raw in self.c.ws:
                if isinstance(raw, bytes):
                    _, sid, seq, _, _ = FRAME_HEADER.unpack_from(raw)
                    self.seqs.setdefault(sid, []).append(seq)
                else:
                    m = json.loads(raw)
                    if m['type'] == 'button' and m['device_id'] == self.device_id:
                        self.buttons.append((m['button'], m['pressed']))
                    elif m['type'] not in ('audio.level', 'command'):
                        self.texts.append(m)
                self._wake()
        except websockets.ConnectionClosed as e:
            self.error = e
            self._wake()

    def _wake(self):
        for w in self._waiters:
            if not w[1].done() and w[0]():
                w[1].set_result(None)

    async def wait(self, pred, timeout=10.0, what='condition'):
        if pred():
            return
        fut = asyncio.get_running_loop().create_future()
        entry = (pred, fut)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise AssertionError('%s: %s not reached within %.1fs (%d buttons, error %r)' % (
                self.c.name, what, timeout, len(self.buttons), self.error)) from None
        finally:
            self._waiters.remove(entry)

    def frames(self):
        return sum(len(s) for s in self.seqs.values())

    def check_frames(self):
        """Every stream's sequence numbers run 0, 1, 2, ... without a gap or repeat."""
        for sid, s in self.seqs.items():
            assert s == list(range(len(s))), '%s: stream %d lost or reordered frames' % (
                self.c.name, sid)

    async def stop(self):
        self.task.cancel()
        try:
            await self.task
        except (asyncio.CancelledError, Exception):
            pass
        await self.c.close()


async def press_all(node, readers, script, timeout=10.0):
    """Sends the script's reports at most WINDOW ahead of the slowest reader; returns the
    expected button events."""
    expected = [e for _, e in script]
    base = [len(r.buttons) for r in readers]
    sent = 0
    while sent < len(script):
        done = min(len(r.buttons) - b for r, b in zip(readers, base))
        while sent < len(script) and sent - done < WINDOW:
            node.send(script[sent][0])
            sent += 1
        target = min(sent, done + 1)
        await asyncio.gather(*(r.wait(lambda r=r, b=b: len(r.buttons) - b >= target,
                                      timeout, 'button %d' % target)
                               for r, b in zip(readers, base)))
    await asyncio.gather(*(r.wait(lambda r=r, b=b: len(r.buttons) - b >= len(expected),
                                  timeout, 'all buttons') for r, b in zip(readers, base)))
    return expected


def raw_ws_cycle(port):
    """One full WebSocket life on a bare socket: upgrade, hello, a masked close frame, the
    server's close frame, end of stream. Returns the seconds from connect to the hello
    (the benchmark's connect → hello row)."""
    t0 = time.perf_counter()
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    try:
        s.sendall((
            'GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: dictabridge.v1\r\n\r\n'
            % port).encode())
        buf = b''
        while b'"hello"' not in buf:
            chunk = s.recv(65536)
            assert chunk, 'closed before the hello: %r' % buf[:200]
            buf += chunk
        hello_s = time.perf_counter() - t0
        assert buf.startswith(b'HTTP/1.1 101'), buf[:200]
        payload = struct.pack('>H', 1000)
        mask = os.urandom(4)
        s.sendall(bytes([0x88, 0x80 | len(payload)]) + mask +
                  bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        rest = b''
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        assert b'\x88' in rest, 'no close frame from the server: %r' % rest[:100]
    finally:
        s.close()
    return hello_s


def wait_settled(d, pred, timeout=5.0, what='condition'):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('%s not reached within %.1fs' % (what, timeout))
        time.sleep(0.05)


# ---- a. 32 clients, buttons and audio -----------------------------------------------------

async def test_32_clients_get_every_event_and_frame_and_one_stalled_client_costs_nothing(
        spawn, emu, mic):
    u = E.speechmike(serial='LOAD32')
    d = spawn(u, config=LOAD_CONFIG, args=['--audio-device', mic.name])
    node, did = emu.node(u), dev_id(u)
    clients = [await Client.connect(d.port, name='c%d' % i) for i in range(MAX_CLIENTS)]
    d.wait_status(lambda s: s['clients'] == MAX_CLIENTS, what='32 clients')
    readers = [Reader(c, did) for c in clients]
    for c in clients:
        await c.send({'type': 'audio.start', 'device_id': did})
    await asyncio.gather(*(r.wait(lambda r=r: r.frames() >= 10, 15, '10 frames')
                           for r in readers))
    expected = await press_all(node, readers, button_script(40))
    await asyncio.gather(*(r.wait(lambda r=r: r.frames() >= 100, 15, '100 frames')
                           for r in readers))
    for r in readers:
        assert r.error is None, (r.c.name, r.error)
        assert r.buttons == expected, '%s: button events differ' % r.c.name
        started = [m for m in r.texts if m['type'] == 'audio.started']
        assert len(started) == 1 and list(r.seqs) == [started[0]['stream_id']], r.texts
        r.check_frames()
        assert not [m for m in r.texts if m['type'] == 'audio.overrun'], r.c.name

    # One reader leaves; its place goes to a client that streams and stops reading.
    await readers.pop().stop()
    d.wait_status(lambda s: s['clients'] == MAX_CLIENTS - 1, what='31 clients')
    stalled = StalledClient(d.port)
    stalled.send({'type': 'audio.start', 'device_id': did})
    d.wait_status(lambda s: s['clients'] == MAX_CLIENTS, what='32 clients again')
    await asyncio.sleep(1.0)      # past the stalled client's one second of queued audio
    rss0 = rss_kb(d.proc.pid)
    marks = [(len(r.buttons), r.frames()) for r in readers]
    t0 = time.monotonic()
    more = await press_all(node, readers, button_script(40)[:40])
    await asyncio.gather(*(r.wait(lambda r=r, m=m: r.frames() >= m[1] + 200, 20,
                                  '200 more frames') for r, m in zip(readers, marks)))
    # several times the one second of audio a client's queue may hold
    await asyncio.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
    rss1 = rss_kb(d.proc.pid)
    for r, (nb, _) in zip(readers, marks):
        assert r.error is None, (r.c.name, r.error)
        assert r.buttons[nb:] == more, '%s lost button events' % r.c.name
        r.check_frames()
        assert not [m for m in r.texts if m['type'] == 'audio.overrun'], r.c.name
    assert sanitized(d.proc.pid) or rss1 - rss0 < 4096, \
        'daemon RSS grew %d kB with a stalled client' % (rss1 - rss0)
    assert d.status()['clients'] == MAX_CLIENTS
    texts, _ = stalled.read_until(
        lambda texts, frames: any(t['type'] == 'audio.overrun' for t in texts), 3.0)
    assert any(t['type'] == 'audio.overrun' for t in texts), [t['type'] for t in texts][:20]
    stalled.close()
    for r in readers:
        await r.stop()


# ---- b. connect/disconnect churn --------------------------------------------------------

def test_connect_disconnect_cycles_leak_no_fd_or_memory(spawn, emu):
    d = spawn(E.speechmike(serial='CHURN1'), config=LOAD_CONFIG)
    pid = d.proc.pid
    for _ in range(50):        # allocator and buffers reach their working size first
        raw_ws_cycle(d.port)
    wait_settled(d, lambda: d.status()['clients'] == 0, what='no clients')
    fd0, rss0 = fd_count(pid), rss_kb(pid)
    t0 = time.monotonic()
    for _ in range(CYCLES):
        raw_ws_cycle(d.port)
    elapsed = time.monotonic() - t0
    wait_settled(d, lambda: d.status()['clients'] == 0, what='no clients')
    # the /status requests above are connections too: count again once they are closed
    fd1 = wait_settled(d, lambda: fd_count(pid) <= fd0 and fd_count(pid) or None, 3,
                       'fd count back to %d (now %d)' % (fd0, fd_count(pid)))
    rss1 = rss_kb(pid)
    print('%d cycles in %.1f s; fds %d -> %d; RSS %d -> %d kB' % (
        CYCLES, elapsed, fd0, fd1, rss0, rss1))
    assert fd1 <= fd0
    assert sanitized(pid) or rss1 - rss0 < 1024, \
        'RSS grew %d kB over %d cycles' % (rss1 - rss0, CYCLES)


# ---- c. a long run of button reports ---------------------------------------------------

async def test_every_button_change_reaches_both_clients_once_in_order(spawn, emu):
    u = E.speechmike(serial='MANY1')
    d = spawn(u, config=LOAD_CONFIG)
    node, did = emu.node(u), dev_id(u)
    readers = [Reader(await Client.connect(d.port, name=n), did) for n in ('a', 'b')]
    script = button_script(REPORTS)
    t0 = time.monotonic()
    expected = await press_all(node, readers, script)
    elapsed = time.monotonic() - t0
    print('%d reports in %.1f s' % (REPORTS, elapsed))
    for r in readers:
        assert r.error is None
        assert len(r.buttons) == len(expected), (r.c.name, len(r.buttons))
        assert r.buttons == expected, '%s: first difference at %d' % (r.c.name, next(
            i for i, (a, b) in enumerate(zip(r.buttons, expected)) if a != b))
    for r in readers:
        await r.stop()


# ---- d. faults ------------------------------------------------------------------------

async def test_client_reset_while_much_is_queued(spawn, emu, mic):
    u = E.speechmike(serial='RST1')
    d = spawn(u, args=['--audio-device', mic.name])
    did = dev_id(u)
    good = Reader(await Client.connect(d.port, name='good'), did)
    await good.c.send({'type': 'audio.start', 'device_id': did})
    for i in range(3):
        victim = StalledClient(d.port)
        victim.send({'type': 'audio.start', 'device_id': did})
        await asyncio.sleep(1.2)    # its queue fills: a second of audio waits for it
        victim.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        victim.close()              # RST, with the daemon mid-way through writing to it
        await asyncio.sleep(0.1)
        d.wait_status(lambda s: s['clients'] == 1, what='victim %d gone' % i)
    n = good.frames()
    await good.wait(lambda: good.frames() >= n + 50, 10, '50 more frames')
    good.check_frames()
    assert good.error is None
    assert d.running()
    await good.stop()
    d.wait_log(r'capture closed')


async def test_burst_of_sighups(spawn):
    d = spawn(config=dict(TEST_CONFIG, allowed_origins=['https://old.example.org']))
    c = await Client.connect(d.port, origin='https://old.example.org')
    mark = d.log_mark()
    d.write_config(dict(TEST_CONFIG, allowed_origins=['https://new.example.org']))
    for _ in range(50):
        d.send_signal(signal.SIGHUP)
    d.wait_log(r'configuration reloaded', since=mark)
    await asyncio.sleep(0.5)      # let the burst finish being handled
    assert d.running()
    assert 'error' not in d.log()[mark:].lower(), d.log()[mark:]
    pong = await c.ping('after-burst')
    assert pong['id'] == 'after-burst'
    assert ws_upgrade(d.port, origin='https://new.example.org')[0] == 101
    assert ws_upgrade(d.port, origin='https://old.example.org')[0] == 403
    st = d.status()
    assert st['clients'] == 1
    # the file is still read correctly after the burst: one more change applies
    mark = d.log_mark()
    d.write_config(dict(TEST_CONFIG, allowed_origins=['https://third.example.org']))
    d.send_signal(signal.SIGHUP)
    d.wait_log(r'configuration reloaded', since=mark)
    assert ws_upgrade(d.port, origin='https://third.example.org')[0] == 101
    await c.close()


async def test_kill_9_then_restart_on_the_same_port(spawn, emu):
    u = E.speechmike(serial='KILL9')
    d = spawn(u)
    old = await Client.connect(d.port, name='old')
    await old.ping()
    d.proc.kill()
    assert d.proc.wait(5) == -signal.SIGKILL
    await old.closed(5)
    # the killed daemon's connections are left in TIME_WAIT: the new one must still bind
    d2 = spawn(port=d.port, devices=1, name='restarted')
    c = await Client.connect(d2.port, name='new')
    devs = c.hello['devices']
    assert [x['id'] for x in devs] == [dev_id(u)], devs
    node = emu.node(u)
    node.send(E.sm_report(0x0004))
    m = await c.expect('button', device_id=dev_id(u))
    assert (m['button'], m['pressed']) == ('f2', True)
    node.send(E.sm_report(0))
    await c.expect('button', device_id=dev_id(u), pressed=False)
    await c.close()


async def test_plug_unplug_churn_during_identification(spawn, emu):
    d = spawn(config=dict(TEST_CONFIG, identify_timeout_ms=150))
    c = await Client.connect(d.port)
    units = []
    # The unit goes at points all through its identification exchange (counted from the
    # first query), with answers that never come, that stop half-way, or that come at
    # once. Not before the first query: umockdev's preload aborts a process whose ioctl
    # on a node races that node's removal ("Error communicating with ioctl socket, errno:
    # 104"), where the kernel would answer with an error instead.
    for i, (model, delay) in enumerate(
            [(m, t) for t in (0, 0.005, 0.02, 0.06, 0.2, 0.35)
             for m in ('silent', 'half_silent', 'SMP3700')]):
        u = E.speechmike(serial='CHURN%03d' % i, model=model)
        units.append(u)
        emu.plug(u)
        await emu.node(u).await_output(lambda o: len(o) > 1 and o[1] == 0x83, timeout=5)
        await asyncio.sleep(delay)
        emu.unplug(u)
    await asyncio.sleep(0.8)     # past every identification timeout and retry
    await c.nothing(200, pred=lambda m: False)
    c.drain_backlog()
    events = [m for m in c.seen if m['type'].startswith('device.')]
    per_unit = {}
    for m in events:
        did = m['device']['id'] if m['type'] == 'device.added' else m['device_id']
        per_unit.setdefault(did, []).append(m['type'])
    for did, types in per_unit.items():
        # announced at most once, and then withdrawn: never removed without being added
        assert types == ['device.added', 'device.removed'], (did, types)
    print('announced and withdrawn during the churn: %d of %d units' % (
        len(per_unit), len(units)))
    assert d.status()['devices'] == []
    assert d.running()
    # and the machinery still works
    ok = E.speechmike(serial='CHURNOK')
    emu.plug(ok)
    added = await c.expect('device.added', timeout=5)
    assert added['device']['id'] == dev_id(ok) and added['device']['model_code']
    await c.close()


async def test_unplug_right_after_attach(spawn, emu):
    # The unit goes while the daemon writes its first LED state. The LED writer used to
    # open its own handle at that first write, and an open that races an unplug reaches
    # hidapi 0.13's use-after-free (libusb/hidapi#542): the daemon crashed in about one
    # of eight hotplug tests on a loaded machine. Both handles are now opened when the
    # unit appears.
    d = spawn()
    c = await Client.connect(d.port)
    for i in range(25):
        u = E.speechmike(serial='QUICK%03d' % i)
        emu.plug(u)
        await c.expect('device.added', timeout=5)
        emu.unplug(u)
        await c.expect('device.removed', device_id=dev_id(u), timeout=5)
    assert d.running() and d.status()['devices'] == []
    await c.close()
