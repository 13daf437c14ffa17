"""Virtual units (--virtual-device, virtual_devices): announced like plugged units, their
presses (from `dictabridge press` or a `press` request) go through the same keymap with
its long-press guard, their LED state reaches clients; nobody can press a real unit's
buttons. No emulated hardware except where a real unit is needed for the refusal."""

import asyncio
import socket
import time

import emu as E
from client import Client
from daemon import TEST_CONFIG
from test_cli import cli, out_json


async def run_cli(tmp_path, *args):
    return await asyncio.to_thread(cli, ['--json'] + [str(a) for a in args],
                                   tmp_path / 'clihome')


async def test_virtual_unit_announced_and_pressed(spawn, tmp_path):
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    c = await Client.connect(d.port)
    await c.claim()   # commands and the LEDs' state belong to the owner
    dev = c.hello['devices'][0]
    assert (dev['id'], dev['virtual'], dev['family']) == ('virtual-speechmike-1', True,
                                                          'speechmike'), dev
    assert dev['model'] == 'Virtual SpeechMike' and dev['audio'] is None, dev
    assert dev['led_state']['record'] == {'color': 'off', 'mode': 'on'}, dev
    assert d.status()['devices'] == [dev]
    d.wait_log(r'virtual device virtual-speechmike-1 \(Virtual SpeechMike\) added: no '
               r'hardware behind it')
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'record')
    assert r.returncode == 0, r.stderr
    assert out_json(r) == {'ok': True, 'device_id': dev['id'], 'button': 'record',
                           'hold_ms': 100}
    m = await c.expect('button')
    assert (m['device_id'], m['button'], m['pressed']) == (dev['id'], 'record', True), m
    cmd = await c.expect('command')
    assert (cmd['device_id'], cmd['command'], cmd['button'], cmd['gesture']) == (
        dev['id'], 'record.toggle', 'record', 'press'), cmd
    m = await c.expect('button')
    assert (m['button'], m['pressed']) == ('record', False), m
    # no event mode to switch
    r = await run_cli(tmp_path, '--port', d.port, 'mode', dev['id'], 'hid')
    assert r.returncode == 1 and out_json(r)['error'] == 'unsupported', r.stdout
    # doctor says so
    r = await asyncio.to_thread(cli, ['--port', d.port, 'doctor'], tmp_path / 'clihome')
    assert 'virtual-speechmike-1 is a virtual device' in r.stdout, r.stdout
    await c.close()


async def test_virtual_hold_signs_only_after_hold_time(spawn, tmp_path):
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    c = await Client.connect(d.port)
    await c.claim()   # commands and the LEDs' state belong to the owner
    did = c.hello['devices'][0]['id']
    # a short press of eol never signs
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'eol', '--hold', '50')
    assert r.returncode == 0, r.stderr
    await c.expect('button', pressed=False)
    await c.nothing(400, type_='command', command='report.sign')
    c.drain_backlog()
    # held past hold_ms (300 in the test config): signs once, at the hold time
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'eol', '--hold', '900',
                      '--device', did)
    assert r.returncode == 0, r.stderr
    down = await c.expect('button', pressed=True)
    sign = await c.expect('command', command='report.sign', timeout=3)
    # time_ms is the daemon's wall clock at the press: the sign cannot come sooner
    held_ms = time.time() * 1000 - down['time_ms']
    assert (sign['gesture'], sign['button']) == ('hold', 'eol'), sign
    assert held_ms >= 290, 'signed %.0f ms after the press' % held_ms
    up = await c.expect('button', pressed=False, timeout=3)
    assert up['time_ms'] - down['time_ms'] >= 850, (down, up)
    # signed while the button was still down
    assert c.seen.index(sign) < c.seen.index(up), c.seen
    await c.nothing(200, type_='command', command='report.sign')
    await c.close()


async def test_a_command_is_not_held_back_behind_its_button(spawn):
    """The `command` the daemon writes right behind a `button` leaves at once. With Nagle's
    algorithm on the connection it waited for the client's delayed ACK of the `button`
    (40 ms): the client here asks its kernel to delay ACKs, as a busy browser's does, and
    the smallest of five gaps must be far below that."""
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    c = await Client.connect(d.port)
    await c.claim()
    did = c.hello['devices'][0]['id']
    sock = c.ws.transport.get_extra_info('socket')
    gaps = []
    for _ in range(5):
        await c.settle(100)
        c.drain_backlog()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 0)
        await c.send({'type': 'press', 'device_id': did, 'button': 'record', 'pressed': True})
        await c.expect('button', pressed=True)
        button_t = time.monotonic()
        await c.expect('command', command='record.toggle')
        gaps.append((time.monotonic() - button_t) * 1e3)
        await c.send({'type': 'press', 'device_id': did, 'button': 'record', 'pressed': False})
    assert min(gaps) < 20, 'command after button: %s ms' % ', '.join('%.1f' % g for g in gaps)
    await c.close()


async def test_virtual_led_state_visible(spawn):
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    c = await Client.connect(d.port)
    await c.claim()   # commands and the LEDs' state belong to the owner
    did = c.hello['devices'][0]['id']
    await c.send({'type': 'state', 'recording': True, 'report_open': True})
    m = await c.expect('leds', pred=lambda m: m['leds']['record']['color'] == 'red')
    assert m['device_id'] == did and m['leds']['record'] == {'color': 'red', 'mode': 'on'}
    await c.send({'type': 'led', 'device_id': did, 'led': 'f2', 'color': 'green',
                  'mode': 'blink_fast'})
    m = await c.expect('leds', pred=lambda m: m['leds']['f2']['color'] != 'off')
    assert m['leds']['f2'] == {'color': 'green', 'mode': 'blink_fast'}, m
    assert m['leds']['record']['color'] == 'red', m
    dev = d.status()['devices'][0]
    assert dev['led_state']['f2'] == {'color': 'green', 'mode': 'blink_fast'}, dev
    await c.close()


async def test_virtual_slider_and_config_key(spawn, tmp_path):
    cfg = dict(TEST_CONFIG, virtual_devices=['speechmike:3710', 'foot_control'])
    d = spawn(config=cfg, devices=2)
    c = await Client.connect(d.port)
    await c.claim()   # commands and the LEDs' state belong to the owner
    ids = sorted(x['id'] for x in c.hello['devices'])
    assert ids == ['virtual-foot_control-1', 'virtual-speechmike-1'], ids
    sm = [x for x in c.hello['devices'] if x['family'] == 'speechmike'][0]
    assert sm['slider'] == ['record', 'stop', 'play', 'rewind'], sm
    r = await run_cli(tmp_path, '--port', d.port, 'slide', 'record', '--device', sm['id'])
    assert r.returncode == 0, r.stderr
    m = await c.expect('slider')
    assert (m['device_id'], m['position']) == (sm['id'], 'record'), m
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['gesture']) == ('record.start', 'slider'), cmd
    # several virtual devices: press needs --device
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'play')
    assert r.returncode == 1 and out_json(r)['error'] == 'unknown_device', r.stdout
    # a slide switch position is no button; a pedal has no slide switch
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'record', '--device', sm['id'])
    assert r.returncode == 1 and 'use slide' in out_json(r)['message'], r.stdout
    r = await run_cli(tmp_path, '--port', d.port, 'slide', 'play', '--device',
                      'virtual-foot_control-1')
    assert r.returncode == 1 and out_json(r)['error'] == 'invalid_field', r.stdout
    await c.close()


async def test_real_unit_cannot_be_pressed(spawn, emu, tmp_path):
    u = E.speechmike(serial='REAL0001', model='SMP3700')
    d = spawn(u, args=('--virtual-device', 'speechmike'), devices=2)
    c = await Client.connect(d.port)
    await c.claim()   # commands and the LEDs' state belong to the owner
    real = [x for x in c.hello['devices'] if not x['virtual']][0]
    assert real['id'] == '0911-0c1c-REAL0001'
    for msg in ({'type': 'press', 'device_id': real['id'], 'button': 'eol',
                 'pressed': True, 'hold_ms': 1000},
                {'type': 'slide', 'device_id': real['id'], 'position': 'play'}):
        await c.send(msg)
        e = await c.expect('error')
        assert (e['code'], e['request']) == ('unsupported', msg['type']), e
        assert 'only a virtual device' in e['message'], e
    r = await run_cli(tmp_path, '--port', d.port, 'press', 'eol', '--device', 'REAL0001')
    assert r.returncode == 1 and out_json(r)['error'] == 'unsupported', r.stdout
    await c.nothing(1200, type_='button')
    await c.nothing(100, type_='command')
    await c.close()


async def test_bad_virtual_device_specs(spawn, tmp_path):
    from daemon import Daemon
    for spec in ('trumpet', 'speechmike:9999', 'foot_control:3710', 'speechmike:'):
        dd = Daemon(tmp_path / spec.replace(':', '_'), extra_args=('--virtual-device', spec,
                                                                   '--check-config'))
        dd.start(wait=False)
        rc = dd.wait_exit()
        assert rc != 0 and '--virtual-device' in dd.log(), (spec, dd.log())


async def test_held_until_released_or_client_gone(spawn):
    """A press without hold_ms stays down until released (a mouse held on the demo's
    on-screen device); when its client disconnects the button is released."""
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    watcher = await Client.connect(d.port)
    await watcher.claim()
    presser = await Client.connect(d.port)
    did = watcher.hello['devices'][0]['id']
    await presser.send({'type': 'press', 'device_id': did, 'button': 'f2', 'pressed': True})
    m = await watcher.expect('button')
    assert (m['button'], m['pressed']) == ('f2', True), m
    await watcher.nothing(500, type_='button')
    await presser.send({'type': 'press', 'device_id': did, 'button': 'f2', 'pressed': False})
    m = await watcher.expect('button')
    assert (m['button'], m['pressed']) == ('f2', False), m
    # held, then the page goes away
    await presser.send({'type': 'press', 'device_id': did, 'button': 'eol', 'pressed': True})
    assert (await watcher.expect('button'))['pressed'] is True
    sign = await watcher.expect('command', command='report.sign', timeout=3)
    assert sign['gesture'] == 'hold', sign
    await presser.close()
    m = await watcher.expect('button', timeout=3)
    assert (m['button'], m['pressed']) == ('eol', False), m
    await watcher.close()


def test_press_and_slide_usage_errors(tmp_path):
    for args in (['press'], ['press', 'eol', '--hold', '0'], ['press', 'eol', '--hold', 'x'],
                 ['press', 'eol', '--hold', '60001'], ['press', 'eol', '--hold'],
                 ['press', 'eol', '--nope', '1'], ['press', 'a', 'b'], ['slide'],
                 ['slide', 'play', '--hold', '5'], ['mode', 'x'], ['mode', 'x', 'hid', 'y']):
        r = cli(['--port', '1'] + args, tmp_path / 'clihome')
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith('dictabridge: '), (args, r.stderr)
    # nothing listens: not running, exit 3
    r = cli(['--port', '1', 'press', 'eol'], tmp_path / 'clihome')
    assert r.returncode == 3, r.stderr
