"""dictabridged benchmarks against an emulated SpeechMike (umockdev), printing one table.

Rows:
  * device report → client message latency: time from writing an input report on the
    emulated hidraw node to a WebSocket client holding the `button` message, for
    dictabridged and for the floor program (hidapi read → TCP write, nothing else), measured
    in the same run with the same emulated device and the same Python receiver;
  * idle cost: CPU seconds and wake-ups (context switches of all the daemon's threads) over
    a window with no device and no client, then with one device and one client connected;
  * RSS of dictabridged and of the floor program;
  * audio: a paced microphone (a private PulseAudio server's null sink playing a tone,
    captured at 48 kHz) streamed to one client at 16 kHz for --audio-seconds: capture time
    of a frame's last sample → the client holding the frame (p50 / p99 / max), and the
    daemon's CPU per minute streamed and its wake-ups per second, next to parec's
    (PulseAudio's own capture client, no conversion, no network) recording the same source
    in the same window. Both run as on a workstation: the daemon without the emulator's
    preload, its unit a virtual SpeechMike recording the configured source. With
    --before-daemon the other build streams too, the two alternating in halves of
    --audio-seconds;
  * the full complement of 32 clients: report → `button` message latency over every
    client's receipt, and the daemon's RSS while all 32 stream audio from a FIFO-fed
    test microphone (each its own stream);
  * --cycles connect/disconnect cycles (bare sockets, full WebSocket handshake and close):
    the daemon's open file descriptors and RSS before and after;
  * connect → `hello` latency (from connect() to holding the hello message) over --hello
    bare WebSocket lives, for this build and, with --before-daemon (bench/run.sh --before
    REV builds one), for another build in the same run, alternating connection by
    connection so that the shared machine's drift hits both alike; next to it the user
    check on its own (daemon/sockdiag.c's lookup, timed by dictabridge-bench-peeruid).

Run under umockdev-wrapper (bench/run.sh does it).
"""

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'tests' / 'integration'))

import emu as E  # noqa: E402
from audio_env import FifoMic, PulseMic, decode_frame, tone  # noqa: E402
from client import Client  # noqa: E402
from daemon import Daemon  # noqa: E402
from test_load import MAX_CLIENTS, Reader, fd_count, raw_ws_cycle  # noqa: E402

BUTTON_WORD = 0x0001          # any SpeechMike button bit; press and release alternate
CONFIG = {'log_level': 'warning', 'identify_timeout_ms': 200}


def percentile(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def proc_cpu_s(pid):
    fields = Path('/proc/%d/stat' % pid).read_text().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return (int(fields[11]) + int(fields[12])) / ticks     # utime + stime


def proc_wakeups(pid):
    """Context switches summed over every thread: each one is the thread waking up."""
    total = 0
    for task in Path('/proc/%d/task' % pid).iterdir():
        try:
            for line in (task / 'status').read_text().splitlines():
                if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


def proc_rss_kib(pid):
    for line in Path('/proc/%d/status' % pid).read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1])
    return 0


def idle_window(pid, seconds):
    cpu0, wake0 = proc_cpu_s(pid), proc_wakeups(pid)
    time.sleep(seconds)
    return proc_cpu_s(pid) - cpu0, (proc_wakeups(pid) - wake0) / seconds


async def daemon_latency(node, client, n):
    samples = []
    word = 0
    for _ in range(n):
        word ^= BUTTON_WORD
        t0 = time.perf_counter()
        node.send(E.sm_report(word))
        await client.expect('button', pressed=bool(word), timeout=5)
        samples.append((time.perf_counter() - t0) * 1e3)
    return samples


def floor_latency(floor_bin, node, n):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    proc = subprocess.Popen([floor_bin, node.devnode, str(srv.getsockname()[1])])
    conn, _ = srv.accept()
    conn.settimeout(5)
    time.sleep(0.2)       # the floor opens the node after connecting
    samples = []
    word = 0
    for _ in range(n):
        word ^= BUTTON_WORD
        report = E.sm_report(word)
        t0 = time.perf_counter()
        node.send(report)
        got = b''
        while len(got) < len(report):
            got += conn.recv(len(report) - len(got))
        samples.append((time.perf_counter() - t0) * 1e3)
    rss = proc_rss_kib(proc.pid)
    proc.terminate()
    proc.wait(5)
    conn.close()
    srv.close()
    return samples, rss


def parec(mic):
    return subprocess.Popen(['parec', '-d', mic.source, '--rate=48000', '--channels=1',
                             '--format=s16le', '--latency-msec=10'],
                            env=mic.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# The audio rows' daemon runs as shipped: no preload (umockdev's wraps every read and write
# of the process), its unit a virtual one recording the configured source.
BARE = {'LD_PRELOAD': ''}


async def audio_segment(mic, d, seconds):
    """One daemon streaming for `seconds` beside parec on the same source, both as on a
    workstation: {'lat': latencies in ms, 'cpu' / 'parec': CPU s, 'wake' / 'parec_wake':
    wake-ups, 'rss': the daemon's KiB}, or None when the daemon's virtual unit has no
    microphone (a build from before it had one)."""
    d.start(wait=True)
    try:
        c = await Client.connect(d.port)
        dev = c.hello['devices'][0]
        if dev['audio'] is None:
            await c.close()
            return None
        await c.send({'type': 'audio.start', 'device_id': dev['id']})
        await c.expect('audio.started', timeout=10)
        await c.wait_frames(25, timeout=10)          # past the start-up
        floor = parec(mic)
        # Half a second for parec to start, reading frames meanwhile: a blocking sleep here
        # left them waiting in the socket, counted as capture latency (a 0.5 s backlog,
        # most of the former p99).
        await c.wait_frames(len(c.frames) + 25, timeout=10)
        first = len(c.frames)
        pids = [d.proc.pid, floor.pid]
        cpu0 = [proc_cpu_s(pid) for pid in pids]
        wake0 = [proc_wakeups(pid) for pid in pids]
        last = first + int(seconds * 50)
        await c.wait_frames(last, timeout=seconds + 30)
        cpu = [proc_cpu_s(pid) - t0 for pid, t0 in zip(pids, cpu0)]
        wake = [proc_wakeups(pid) - w0 for pid, w0 in zip(pids, wake0)]
        rss = proc_rss_kib(d.proc.pid)
        floor.terminate()
        floor.wait(5)
        lat = []
        for recv_t, raw in c.frames[first:last]:     # the window parec shared
            _, _, n, cap_us, _ = decode_frame(raw)
            lat.append((recv_t - cap_us / 1e6 - n / 16000) * 1e3)
        await c.close()
    finally:
        d.stop()
    return {'lat': lat, 'cpu': cpu[0], 'parec': cpu[1], 'rss': rss, 'wake': wake[0],
            'parec_wake': wake[1]}


async def audio_stream(work, seconds, before):
    """The audio rows, for this build and (with a binary) `before`: {'after': {...},
    'before': {...}} with latencies in ms, CPU s per minute streamed and wake-ups per second
    of the daemon and of parec, and the daemon's peak RSS ('before' is None when that build
    could not stream).
    With both builds each streams in two halves, alternating, so that the shared machine's
    drift hits both alike."""
    builds = {'after': None}
    if before:
        builds['before'] = before
    rounds = 2 if before else 1
    out = {k: {'lat': [], 'cpu': 0.0, 'parec': 0.0, 'rss': 0, 'wake': 0, 'parec_wake': 0}
           for k in builds}
    with PulseMic(work / 'pulse') as mic:
        mic.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
        for i in range(rounds):
            for k, binary in builds.items():
                if out[k] is None:
                    continue
                name = 'audio-%s-%d' % (k, i)
                kw = dict(config=dict(CONFIG, audio={'capture_rate': 48000}), name=name,
                          extra_args=['--virtual-device', 'speechmike',
                                      '--audio-device', mic.source],
                          env=dict(mic.env, **BARE))
                d = (BuiltDaemon(work / name, binary_path=binary, **kw)
                     if binary else Daemon(work / name, **kw))
                got = await audio_segment(mic, d, seconds / rounds)
                if got is None:
                    out[k] = None
                    continue
                for key, value in got.items():   # summed over the halves; RSS its peak
                    out[k][key] = (max(out[k][key], value) if key == 'rss'
                                   else out[k][key] + value)
    for o in out.values():
        for key in ('cpu', 'parec') if o else ():
            o[key] *= 60.0 / seconds               # per minute
        for key in ('wake', 'parec_wake') if o else ():
            o[key] /= seconds                      # per second
    return out


class TimedReader(Reader):
    """A Reader that also notes when each button message arrived (perf_counter)."""

    def __init__(self, client, device_id):
        self.times = []
        super().__init__(client, device_id)

    def _wake(self):
        while len(self.times) < len(self.buttons):
            self.times.append(time.perf_counter())
        super()._wake()


async def load_32(work, emu, reports, audio_seconds, cycles):
    """32 clients: (latencies in ms over all receipts, RSS idle with 32 clients, RSS while
    32 stream, frames lost by any stream), then the connect/disconnect cycles: (fds before,
    after, RSS before, after, seconds)."""
    home = work / 'load32' / 'home'
    mic = FifoMic(home)
    d = Daemon(work / 'load32', config=CONFIG, name='load32',
               extra_args=['--audio-device', mic.name])
    sm = E.speechmike(serial='BENCH32')
    try:
        emu.plug(sm)
        d.start(wait=True)
        # the audio section's unit may still be listed: find this one by its serial
        dev_id = next(x['id'] for x in d.wait_status(
            lambda st: any(x['serial'] == sm.serial for x in st['devices']), 10,
            'BENCH32 attached')['devices'] if x['serial'] == sm.serial)
        node = emu.node(sm)
        readers = [TimedReader(await Client.connect(d.port, name='c%d' % i), dev_id)
                   for i in range(MAX_CLIENTS)]
        await asyncio.sleep(0.3)
        lat = []
        word = 0
        for i in range(reports):
            word ^= BUTTON_WORD
            t0 = time.perf_counter()
            node.send(E.sm_report(word))
            for r in readers:
                await r.wait(lambda r=r: len(r.buttons) > i, 5, 'button %d' % i)
            lat += [(r.times[i] - t0) * 1e3 for r in readers]
        rss_clients = proc_rss_kib(d.proc.pid)
        for r in readers:
            await r.c.send({'type': 'audio.start', 'device_id': dev_id})
        for r in readers:
            await r.wait(lambda r=r: r.frames() >= 10, 15, '10 frames')
        rss_stream = rss_clients
        t_end = time.monotonic() + audio_seconds
        while time.monotonic() < t_end:
            await asyncio.sleep(0.25)
            rss_stream = max(rss_stream, proc_rss_kib(d.proc.pid))
        lost = 0
        for r in readers:
            for seqs in r.seqs.values():
                lost += seqs[-1] + 1 - len(seqs)
        for r in readers:
            await r.stop()
        deadline = time.monotonic() + 5
        while d.status()['clients'] and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

        pid = d.proc.pid
        for _ in range(50):
            raw_ws_cycle(d.port)
        time.sleep(0.2)
        fd0, rss0 = fd_count(pid), proc_rss_kib(pid)
        t0 = time.perf_counter()
        for _ in range(cycles):
            raw_ws_cycle(d.port)
        secs = time.perf_counter() - t0
        time.sleep(0.2)
        fd1, rss1 = fd_count(pid), proc_rss_kib(pid)
    finally:
        d.stop()
        mic.close()
        emu.unplug(sm)
    return (lat, rss_clients, rss_stream, lost), (fd0, fd1, rss0, rss1, secs)


class BuiltDaemon(Daemon):
    """A daemon from another build (the --before one)."""

    def __init__(self, *args, binary_path, **kw):
        super().__init__(*args, **kw)
        self.binary_path = binary_path

    def argv(self):
        return [self.binary_path] + super().argv()[1:]


def connect_hello(work, cycles, before):
    """connect → hello in ms for `cycles` WebSocket lives: {'after': [...], 'before': [...]}
    ('before' only with a binary)."""
    daemons = {'after': Daemon(work / 'hello', config=CONFIG, name='hello')}
    if before:
        daemons['before'] = BuiltDaemon(work / 'hello-before', config=CONFIG,
                                        name='hello-before', binary_path=before)
    samples = {k: [] for k in daemons}
    try:
        for d in daemons.values():
            d.start(wait=True)
            for _ in range(50):          # buffers and allocator at their working size
                raw_ws_cycle(d.port)
        for _ in range(cycles):
            for k, d in daemons.items():
                samples[k].append(raw_ws_cycle(d.port) * 1e3)
    finally:
        for d in daemons.values():
            d.stop()
    return samples


def user_check_us(helper, n):
    out = subprocess.run([helper, str(n)], capture_output=True, text=True, check=True,
                         timeout=120).stdout
    return [float(x) for x in out.split()]


def row(name, value, unit, note=''):
    print('| %-44s | %12s | %-6s | %s |' % (name, value, unit, note))


def header():
    row('measure', 'value', 'unit', 'note')
    print('|%s|%s|%s|%s|' % ('-' * 46, '-' * 14, '-' * 8, '-' * 30))


def pct(s):
    return percentile(s, 50), percentile(s, 99), max(s)


def print_audio_rows(audio, args):
    a, b = audio['after'], audio.get('before')
    no_mic = ('before' in audio and b is None and
              '%s: its virtual unit has no microphone, not measured' % args.before_label)

    def ratio(o):
        return o['cpu'] / o['parec'] if o['parec'] else float('nan')

    def notes(*parts):
        return '; '.join(x for x in parts if x)

    ap, bp = pct(a['lat']), (pct(b['lat']) if b else None)
    for label, i, what in (('p50', 0, '48 kHz mic, 16 kHz stream'), ('p99', 1, ''),
                           ('max', 2, '')):
        row('audio capture → client frame, %s' % label, '%.2f' % ap[i], 'ms',
            notes(what, b and '%s %.2f ms' % (args.before_label, bp[i]), no_mic))
    row('audio CPU per minute streamed', '%.2f' % a['cpu'], 's/min',
        notes('ratio %.2f to parec (%.2f s/min)' % (ratio(a), a['parec']),
              b and '%s %.2f s/min, ratio %.2f (parec %.2f s/min)'
              % (args.before_label, b['cpu'], ratio(b), b['parec']), no_mic))
    row('audio wake-ups per second streamed', '%.0f' % a['wake'], '/s',
        notes('all threads; parec %.0f/s' % a['parec_wake'],
              b and '%s %.0f/s (parec %.0f/s)' % (args.before_label, b['wake'],
                                                  b['parec_wake']), no_mic))
    row('RSS while streaming', '%d' % a['rss'], 'KiB',
        notes(b and '%s %d KiB' % (args.before_label, b['rss']), no_mic))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reports', type=int, default=2000)
    ap.add_argument('--idle-seconds', type=float, default=60.0)
    ap.add_argument('--audio-seconds', type=float, default=60.0)
    ap.add_argument('--load-audio-seconds', type=float, default=10.0,
                    help='how long 32 clients stream for the RSS row')
    ap.add_argument('--cycles', type=int, default=10000,
                    help='connect/disconnect cycles')
    ap.add_argument('--floor', default=str(HERE.parent / 'build' / 'bench' /
                                           'dictabridge-bench-floor'))
    ap.add_argument('--hello', type=int, default=5000,
                    help='connections timed for connect → hello (per build)')
    ap.add_argument('--before-daemon', help='another build\'s dictabridged to time too')
    ap.add_argument('--audio-only', action='store_true',
                    help='only the audio rows (a quick look at the stream)')
    ap.add_argument('--before-label', default='before',
                    help='what --before-daemon is (a revision), for the table')
    ap.add_argument('--peeruid', default=str(HERE.parent / 'build' / 'bench' /
                                             'dictabridge-bench-peeruid'))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix='dictabridge-bench-'))
    if args.audio_only:
        audio = await audio_stream(work, args.audio_seconds, args.before_daemon)
        header()
        print_audio_rows(audio, args)
        return
    emu = E.Emulator()
    try:
        # Idle with nothing attached.
        d = Daemon(work, config=CONFIG, name='bench')
        t0 = time.perf_counter()
        d.start(wait=True)
        startup_ms = (time.perf_counter() - t0) * 1e3
        time.sleep(0.5)
        idle_cpu, idle_wake = idle_window(d.proc.pid, args.idle_seconds)
        rss_idle = proc_rss_kib(d.proc.pid)

        # One SpeechMike, one client.
        sm = E.speechmike(serial='BENCH1', model='SMP3700')
        t0 = time.perf_counter()
        client = await Client.connect(d.port)
        emu.plug(sm)
        await client.expect('device.added', timeout=10)
        hotplug_ms = (time.perf_counter() - t0) * 1e3
        node = emu.node(sm)
        await client.settle(300)
        time.sleep(0.3)
        # in a thread: the client's loop must keep running to answer the daemon's pings
        dev_cpu, dev_wake = await asyncio.to_thread(idle_window, d.proc.pid,
                                                    args.idle_seconds)
        lat = await daemon_latency(node, client, args.reports)
        rss_dev = proc_rss_kib(d.proc.pid)
        await client.close()
        d.stop()

        # The floor reads the same emulated node.
        floor, rss_floor = floor_latency(args.floor, node, args.reports)
        # Gone before the audio section, which waits for its own unit alone (with this one
        # still there it raced: two units, and the stream on whichever the hello listed first).
        emu.unplug(sm)

        audio = await audio_stream(work, args.audio_seconds, args.before_daemon)
        (llat, lrss_clients, lrss_stream, llost), churn = await load_32(
            work, emu, args.reports, args.load_audio_seconds, args.cycles)
        hello = connect_hello(work, args.hello, args.before_daemon)
        check = user_check_us(args.peeruid, args.hello)
    finally:
        emu.close()

    dp, fp = pct(lat), pct(floor)
    header()
    for label, i in (('p50', 0), ('p99', 1), ('max', 2)):
        row('report → client message, %s' % label, '%.3f' % dp[i], 'ms',
            'floor %.3f ms, ratio %.2f' % (fp[i], dp[i] / fp[i] if fp[i] else float('nan')))
    row('idle, no device, no client: CPU', '%.3f' % idle_cpu, 's',
        'over %.0f s' % args.idle_seconds)
    row('idle, no device, no client: wake-ups', '%.2f' % idle_wake, '/s', 'all threads')
    row('idle, 1 device + 1 client: CPU', '%.3f' % dev_cpu, 's',
        'over %.0f s' % args.idle_seconds)
    row('idle, 1 device + 1 client: wake-ups', '%.2f' % dev_wake, '/s', 'all threads')
    row('RSS, idle', '%d' % rss_idle, 'KiB', '')
    row('RSS, 1 device + 1 client, after the run', '%d' % rss_dev, 'KiB',
        'floor %d KiB' % rss_floor)
    row('start-up to listening', '%.1f' % startup_ms, 'ms', '')
    row('hotplug add → device.added', '%.1f' % hotplug_ms, 'ms', 'incl. identification')
    print_audio_rows(audio, args)
    lp = pct(llat)
    for label, i in (('p50', 0), ('p99', 1), ('max', 2)):
        row('report → 32 clients, %s' % label, '%.3f' % lp[i], 'ms',
            'all %d receipts, one Python receiver' % len(llat))
    row('RSS, 32 clients connected', '%d' % lrss_clients, 'KiB', '')
    row('RSS, 32 clients streaming audio', '%d' % lrss_stream, 'KiB',
        'peak over %.0f s, FIFO mic; %d frames lost' % (args.load_audio_seconds, llost))
    fd0, fd1, rss0, rss1, csecs = churn
    row('connect/disconnect cycles: open fds', '%d → %d' % (fd0, fd1), 'fds',
        '%d cycles in %.1f s' % (args.cycles, csecs))
    row('connect/disconnect cycles: RSS', '%d → %d' % (rss0, rss1), 'KiB',
        'growth %+d KiB' % (rss1 - rss0))
    for label, p in (('p50', 50), ('p99', 99)):
        after = percentile(hello['after'], p)
        note = 'no --before build'
        if 'before' in hello:
            before = percentile(hello['before'], p)
            note = '%s %.3f ms, %+.3f ms' % (args.before_label, before, after - before)
        row('connect → hello, %s' % label, '%.3f' % after, 'ms', note)
    for label, p in (('p50', 50), ('p99', 99)):
        row('user check (sock_diag lookup) alone, %s' % label, '%.1f' % percentile(check, p),
            'µs', 'per connection, %d lookups' % len(check))
    print('\n%d reports each; %.0f s of audio; %d CPUs; %s' % (args.reports, args.audio_seconds,
                                                          os.cpu_count(),
                                            ' '.join(os.uname()[2:3])))


if __name__ == '__main__':
    asyncio.run(main())
