"""Start-up: command line, configuration errors, port conflicts, devices present at
start, GET /status, and listening on loopback only."""

import json
import os
import re
import signal
import socket
import subprocess

import pytest

import emu as E
from client import Client, by_serial
from daemon import TEST_CONFIG, Daemon, free_port, http_request, run_cli


def test_version(tmp_path):
    r = run_cli(['--version'], tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.search(r'\bdictabridged\b.*\b\d+\.\d+\.\d+\b', r.stdout), r.stdout


def test_help_lists_every_option(tmp_path):
    r = run_cli(['--help'], tmp_path)
    assert r.returncode == 0, r.stderr
    for opt in ('--port', '--allow-origin', '--config', '--web-root', '--verbose', '--version',
                '--help', '--virtual-device', '--audio-device'):
        assert opt in r.stdout, '%s missing from --help:\n%s' % (opt, r.stdout)


def test_unknown_option_fails(tmp_path):
    r = run_cli(['--no-such-option'], tmp_path)
    assert r.returncode != 0
    assert '--no-such-option' in r.stderr, r.stderr


BAD_CONFIGS = [
    # (file text, text the message must name besides the file)
    ('{"hold_ms": 50}', 'hold_ms'),
    ('{"hold_ms": 20000}', 'hold_ms'),
    ('{"identify_timeout_ms": 10}', 'identify_timeout_ms'),
    ('{"hold_mss": 800}', 'hold_mss'),
    ('{"port": "27415"}', 'port'),
    ('{"port": 70000}', 'port'),
    ('{"log_level": "chatty"}', 'log_level'),
    ('{"allowed_origins": "https://a.example"}', 'allowed_origins'),
    ('{"allowed_origins": ["not an origin"]}', 'allowed_origins'),
    ('{"allow_short_press_destructive": "yes"}', 'allow_short_press_destructive'),
    ('{"keymap": {"speechmike": {"record_mode": "latch"}}}', 'keymap.speechmike.record_mode'),
    ('{"keymap": {"nosuchfamily": {}}}', 'nosuchfamily'),
    ('{"keymap": {"speechmike": {"buttons": {"nosuchbutton": {"press": null}}}}}',
     'keymap.speechmike.buttons.nosuchbutton'),
    ('{"keymap": {"speechmike": {"buttons": {"f1": {"press": "report.explode"}}}}}',
     'keymap.speechmike.buttons.f1.press'),
    # destructive command on a short press without the explicit opt-out
    ('{"keymap": {"speechmike": {"buttons": {"eol": {"press": "report.sign"}}}}}', 'eol'),
    ('{"hold_ms": 800,\n "port": }', None),   # syntax error: file plus line/column
    ('[1, 2]', None),
]


@pytest.mark.parametrize('text,key', BAD_CONFIGS,
                         ids=['%d-%s' % (i, b[1] or 'syntax') for i, b in enumerate(BAD_CONFIGS)])
def test_bad_config_exits(tmp_path, text, key):
    cfg = tmp_path / 'bad-config.json'
    cfg.write_text(text)
    r = run_cli(['--port', str(free_port()), '--config', str(cfg)], tmp_path / 'home')
    assert r.returncode != 0, 'daemon accepted %r:\n%s' % (text, r.stderr)
    assert 'bad-config.json' in r.stderr, r.stderr
    if key:
        assert key in r.stderr, r.stderr
    assert re.search(r'^error: ', r.stderr, re.M), r.stderr


def test_short_press_destructive_allowed_with_opt_out(spawn):
    cfg = dict(TEST_CONFIG, allow_short_press_destructive=True,
               keymap={'speechmike': {'buttons': {'eol': {'press': 'report.sign'}}}})
    d = spawn(config=cfg)
    assert d.running()


def test_missing_explicit_config_exits(tmp_path):
    missing = tmp_path / 'no-such-config.json'
    r = run_cli(['--port', str(free_port()), '--config', str(missing)], tmp_path / 'home')
    assert r.returncode != 0
    assert 'no-such-config.json' in r.stderr, r.stderr


def test_bad_allow_origin_argument_exits(tmp_path):
    r = run_cli(['--port', str(free_port()), '--allow-origin', 'ftp//nonsense'], tmp_path)
    assert r.returncode != 0
    assert 'ftp//nonsense' in r.stderr, r.stderr


@pytest.mark.parametrize('family', [socket.AF_INET, socket.AF_INET6])
def test_port_in_use_exits(tmp_path, emu, family):
    port = free_port()
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1' if family == socket.AF_INET else '::1', port))
    s.listen(1)
    d = Daemon(tmp_path, port=port)
    try:
        d.start(wait=False)
        rc = d.wait_exit(10)
        assert rc > 0, 'exit status %s' % rc
        assert str(port) in d.log(), d.log()
    finally:
        d.stop(signal.SIGKILL)
        s.close()


def test_config_port_used_without_flag(tmp_path, emu):
    port = free_port()
    d = Daemon(tmp_path, config=dict(TEST_CONFIG, port=port), port=port, pass_port=False)
    try:
        d.start()
        assert d.status()['protocol'] == 1
    finally:
        assert d.stop() == 0


def test_config_found_in_xdg_config_home(tmp_path, emu):
    """Without --config the daemon reads $XDG_CONFIG_HOME/dictabridge/config.json."""
    d = Daemon(tmp_path, config=None)
    cfgdir = d.home / '.config' / 'dictabridge'
    cfgdir.mkdir(parents=True)
    (cfgdir / 'config.json').write_text(json.dumps(
        {'allowed_origins': ['https://xdg.example.test']}))
    try:
        d.start()
        from daemon import ws_upgrade
        assert ws_upgrade(d.port, origin='https://xdg.example.test')[0] == 101
        assert ws_upgrade(d.port, origin='https://other.example.test')[0] == 403
    finally:
        assert d.stop() == 0


def test_default_port(tmp_path, emu):
    """No --port and no config: the documented default port 27415 (skipped when taken)."""
    if not all(_can_bind(a, 27415) for a in ('127.0.0.1', '::1')):
        pytest.skip('port 27415 is in use on this machine')
    d = Daemon(tmp_path, config=None, port=27415, pass_port=False)
    try:
        d.start()
        assert d.status()['protocol'] == 1
    finally:
        assert d.stop() == 0


def _can_bind(addr, port):
    fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


async def test_devices_present_at_start(spawn, emu):
    sm = E.speechmike(serial='SMSTART1', model='SMP3700')
    pm3 = E.powermic3(serial='PM3START')
    fc = E.foot_control(serial='FCSTART')
    vec = E.vec_pedal()
    pm4 = E.powermic4(serial='PM4START')
    d = spawn(sm, pm3, fc, vec, pm4, identified=False)
    devs = d.wait_status(lambda st: any(x['model_code'] == 3700 for x in st['devices']),
                         what='SpeechMike identified')['devices']
    assert len(devs) == 5, devs
    expect = [('SMSTART1', 'speechmike', 0x0911, 0x0C1C),
              ('PM3START', 'powermic3', 0x0554, 0x1001),
              ('FCSTART', 'foot_control', 0x0911, 0x1844),
              ('PM4START', 'powermic4', 0x0554, 0x0064)]
    for serial, family, vid, pid in expect:
        dev = by_serial(devs, serial)
        assert (dev['family'], dev['vendor_id'], dev['product_id']) == (family, vid, pid), dev
        _check_device_shape(dev)
    v = [x for x in devs if x['family'] == 'vec_pedal']
    assert len(v) == 1 and v[0]['serial'] is None, devs
    assert (v[0]['vendor_id'], v[0]['product_id']) == (0x05F3, 0x00FF)
    assert len({x['id'] for x in devs}) == 5, 'ids not unique: %s' % devs
    smd = by_serial(devs, 'SMSTART1')
    assert smd['model_code'] == 3700 and 'SMP3700' in smd['model'], smd
    assert set(smd['leds']) == {'record', 'instruction', 'ins_ovr', 'f1', 'f2', 'f3', 'f4'}
    assert {'record', 'stop', 'play', 'forward', 'rewind', 'eol', 'ins_ovr', 'instruction',
            'f1', 'f2', 'f3', 'f4'} <= set(smd['buttons']), smd
    assert smd['slider'] == [], smd
    assert by_serial(devs, 'PM3START')['leds'] == ['record']
    assert by_serial(devs, 'FCSTART')['leds'] == [] and v[0]['leds'] == []
    assert {'rewind', 'play', 'forward'} <= set(by_serial(devs, 'FCSTART')['buttons'])
    assert {'pedal_left', 'pedal_middle', 'pedal_right'} == set(v[0]['buttons']), v[0]

    # the hello carries the same devices
    c = await Client.connect(d.port)
    assert c.hello['protocol'] == 1
    assert sorted(c.hello['devices'], key=lambda x: x['id']) == sorted(
        d.status()['devices'], key=lambda x: x['id'])
    # one attach line per unit, naming model and serial
    log = d.log()
    for serial in ('SMSTART1', 'PM3START', 'FCSTART', 'PM4START'):
        lines = [ln for ln in log.splitlines() if serial in ln and ln.startswith('info:')]
        assert lines, 'no info line for %s:\n%s' % (serial, log)
    assert any('SMP3700' in ln and 'SMSTART1' in ln for ln in log.splitlines()), log
    # the boot-mouse interface of the 0c1c unit was never written to
    mouse = emu.node(sm, 3)
    assert mouse.outputs == []
    await c.close()


def _check_device_shape(dev):
    for key, typ in (('id', str), ('family', str), ('model', str), ('model_code', int),
                     ('vendor_id', int), ('product_id', int), ('buttons', list),
                     ('slider', list), ('leds', list), ('led_colors', list),
                     ('led_modes', list)):
        assert isinstance(dev.get(key), typ), '%s: %r in %s' % (key, dev.get(key), dev)
    assert dev['serial'] is None or isinstance(dev['serial'], str)
    assert dev['id'] and dev['model']


async def test_status_document(spawn, tmp_path):
    d = spawn()
    st = d.status()
    assert set(st) >= {'version', 'protocol', 'clients', 'devices'}, st
    assert st['protocol'] == 1 and st['clients'] == 0 and st['devices'] == []
    ver = run_cli(['--version'], tmp_path / 'h2').stdout
    assert st['version'] in ver, (st['version'], ver)
    st2, hdrs, body = http_request(d.port, '/status')
    assert 'application/json' in hdrs.get('content-type', ''), hdrs
    a = await Client.connect(d.port, name='a')
    assert a.hello['version'] == st['version']
    b = await Client.connect(d.port, name='b')
    d.wait_status(lambda s: s['clients'] == 2, what='2 clients')
    await a.close()
    d.wait_status(lambda s: s['clients'] == 1, what='1 client')
    await b.close()
    d.wait_status(lambda s: s['clients'] == 0, what='0 clients')


def test_unknown_path_is_404(spawn):
    d = spawn()
    st, _, _ = http_request(d.port, '/no-such-thing')
    assert st == 404


def _non_loopback_addresses():
    out = subprocess.run(['ip', '-o', 'addr', 'show'], capture_output=True, text=True).stdout
    addrs = []
    for m in re.finditer(r'\binet6?\s+([0-9a-fA-F.:]+)/\d+', out):
        a = m.group(1)
        if a.startswith('127.') or a == '::1' or a.lower().startswith('fe80'):
            continue
        addrs.append(a)
    return addrs


def test_listens_on_loopback_only(spawn):
    d = spawn()
    out = subprocess.run(['ss', '-Hltn', 'sport = :%d' % d.port], capture_output=True,
                         text=True).stdout
    locals_ = sorted(line.split()[3] for line in out.splitlines() if line.strip())
    assert locals_, 'ss shows no listener on port %d' % d.port
    allowed = {'127.0.0.1:%d' % d.port, '[::1]:%d' % d.port}
    assert set(locals_) <= allowed, locals_
    assert '127.0.0.1:%d' % d.port in locals_, locals_
    for addr in _non_loopback_addresses():
        fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            with pytest.raises(OSError):
                s.connect((addr, d.port))


def test_ipv6_loopback_serves(spawn):
    d = spawn()
    try:
        st, _, body = http_request(d.port, '/status', addr='::1',
                                   host='[::1]:%d' % d.port)
    except OSError as e:
        pytest.skip('no IPv6 loopback: %s' % e)
    assert st == 200 and json.loads(body)['protocol'] == 1


def test_check_config(tmp_path):
    """--check-config validates the file the daemon would use, with the flags applied,
    and exits without listening."""
    good = tmp_path / 'good.json'
    good.write_text('{"allowed_origins": ["https://ris.example.org"], "port": 28001}')
    r = run_cli(['--check-config', '--config', str(good)], tmp_path / 'home')
    assert r.returncode == 0, r.stderr
    assert r.stdout == "%s: valid (port 28001, 1 allowed origin besides the daemon's own)\n" % good
    r = run_cli(['--check-config', '--config', str(good), '--port', '28002',
                 '--allow-origin', 'https://b.example.org'], tmp_path / 'home')
    assert r.returncode == 0 and '(port 28002, 2 allowed origins' in r.stdout, r
    if not os.path.exists('/etc/dictabridge/config.json'):   # nothing found: the defaults
        r = run_cli(['--check-config'], tmp_path / 'home')
        assert r.returncode == 0 and r.stdout.startswith('built-in defaults: valid'), r
    for text in ('{"port": "x"}', '{'):
        bad = tmp_path / 'bad.json'
        bad.write_text(text)
        r = run_cli(['--check-config', '--config', str(bad)], tmp_path / 'home')
        assert r.returncode == 1 and r.stdout == '', r
        assert re.search(r'^error: .*bad\.json', r.stderr, re.M), r.stderr
    r = run_cli(['--check-config', '--config', str(good), '--allow-origin', 'ftp:x'],
                tmp_path / 'home')
    assert r.returncode == 1 and '--allow-origin' in r.stderr, r
