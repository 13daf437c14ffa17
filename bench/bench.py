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
    daemon's CPU per minute streamed, next to parec (PulseAudio's own capture client, no
    conversion, no network) recording the same source in the same window.

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
from audio_env import PulseMic, decode_frame, tone  # noqa: E402
from client import Client  # noqa: E402
from daemon import Daemon  # noqa: E402

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


async def audio_stream(work, emu, seconds):
    """(latencies in ms, daemon CPU s per minute, parec CPU s per minute, RSS KiB)."""
    with PulseMic(work / 'pulse') as mic:
        d = Daemon(work, config=dict(CONFIG, audio={'capture_rate': 48000}), name='audio',
                   extra_args=['--audio-device', mic.device], env=mic.env)
        d.start(wait=True)
        sm = E.speechmike(serial='BENCHMIC')
        emu.plug(sm)
        d.wait_devices(1, timeout=10)
        c = await Client.connect(d.port)
        dev_id = c.hello['devices'][0]['id']
        mic.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
        await c.send({'type': 'audio.start', 'device_id': dev_id})
        await c.expect('audio.started', timeout=10)
        await c.wait_frames(25, timeout=10)          # past the start-up
        floor = subprocess.Popen(['parec', '-d', mic.source, '--rate=48000', '--channels=1',
                                  '--format=s16le', '--latency-msec=10'],
                                 env=mic.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        first = len(c.frames)
        cpu0, fcpu0 = proc_cpu_s(d.proc.pid), proc_cpu_s(floor.pid)
        await c.wait_frames(first + int(seconds * 50), timeout=seconds + 30)
        cpu = proc_cpu_s(d.proc.pid) - cpu0
        fcpu = proc_cpu_s(floor.pid) - fcpu0
        rss = proc_rss_kib(d.proc.pid)
        floor.terminate()
        floor.wait(5)
        lat = []
        for recv_t, raw in c.frames[first:]:
            _, _, n, cap_us, _ = decode_frame(raw)
            lat.append((recv_t - cap_us / 1e6 - n / 16000) * 1e3)
        await c.close()
        d.stop()
        emu.unplug(sm)
    per_min = 60.0 / seconds
    return lat, cpu * per_min, fcpu * per_min, rss


def row(name, value, unit, note=''):
    print('| %-44s | %12s | %-6s | %s |' % (name, value, unit, note))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--reports', type=int, default=2000)
    ap.add_argument('--idle-seconds', type=float, default=10.0)
    ap.add_argument('--audio-seconds', type=float, default=60.0)
    ap.add_argument('--floor', default=str(HERE.parent / 'build' / 'bench' /
                                           'dictabridge-bench-floor'))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix='dictabridge-bench-'))
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
        dev_cpu, dev_wake = idle_window(d.proc.pid, args.idle_seconds)
        lat = await daemon_latency(node, client, args.reports)
        rss_dev = proc_rss_kib(d.proc.pid)
        await client.close()
        d.stop()

        # The floor reads the same emulated node.
        floor, rss_floor = floor_latency(args.floor, node, args.reports)

        alat, acpu, afloor, arss = await audio_stream(work, emu, args.audio_seconds)
    finally:
        emu.close()

    def pct(s):
        return percentile(s, 50), percentile(s, 99), max(s)

    dp, fp = pct(lat), pct(floor)
    print('| %-44s | %12s | %-6s | %s |' % ('measure', 'value', 'unit', 'note'))
    print('|%s|%s|%s|%s|' % ('-' * 46, '-' * 14, '-' * 8, '-' * 30))
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
    ap50, ap99, amax = pct(alat)
    row('audio capture → client frame, p50', '%.2f' % ap50, 'ms', '48 kHz mic, 16 kHz stream')
    row('audio capture → client frame, p99', '%.2f' % ap99, 'ms', '')
    row('audio capture → client frame, max', '%.2f' % amax, 'ms', '')
    row('audio CPU per minute streamed', '%.2f' % acpu, 's/min',
        'parec %.2f s/min, ratio %.2f' % (afloor, acpu / afloor if afloor else float('nan')))
    row('RSS while streaming', '%d' % arss, 'KiB', '')
    print('\n%d reports each; %.0f s of audio; %d CPUs; %s' % (args.reports, args.audio_seconds,
                                                          os.cpu_count(),
                                            ' '.join(os.uname()[2:3])))


if __name__ == '__main__':
    asyncio.run(main())
