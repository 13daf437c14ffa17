"""SpeechMike event mode against the real daemon: the mode read at identification (0x8D),
a unit in a mode whose buttons never reach the daemon announced with a warning, and
`dictabridge mode` sending SET_EVENT_MODE (0x0D) byte for byte, after which the unit
re-enumerates (in browser mode under another product id). The daemon never switches on
its own."""

import asyncio

import emu as E
from client import Client
from daemon import TEST_CONFIG
from test_cli import cli, out_json


def mode_commands(node):
    return [o for o in node.outputs if len(o) >= 2 and o[0] == 0 and o[1] == 0x0D]


async def run_cli(tmp_path, *args):
    return await asyncio.to_thread(cli, ['--json'] + list(args), tmp_path / 'clihome')


async def test_mode_read_at_identification(spawn, emu):
    hid = E.speechmike(serial='MODE0001', model='SMP3700')
    brw = E.speechmike_browser(serial='MODE0002', model='SMP3710')
    pm4 = E.powermic4(serial='MODE0003')
    d = spawn(hid, brw, pm4)
    c = await Client.connect(d.port)
    devs = {x['serial']: x for x in c.hello['devices']}
    assert (devs['MODE0001']['event_mode'], devs['MODE0001']['warning']) == ('hid', None)
    assert (devs['MODE0002']['event_mode'], devs['MODE0002']['warning']) == ('browser', None)
    # the PowerMic 4 is not identified: no mode
    assert (devs['MODE0003']['event_mode'], devs['MODE0003']['warning']) == (None, None)
    assert emu.node(hid).queries(0x8D) == [bytes([0, 0x8D]) + bytes(8)]
    await c.close()


async def test_keyboard_mode_announced_with_warning_then_switched(spawn, emu, tmp_path):
    u = E.speechmike(serial='KBD00001', model='SMP3700')
    u.event_mode = E.MODE_KEYBOARD
    d = spawn(u)
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    did = dev['id']
    assert dev['event_mode'] == 'keyboard', dev
    assert 'buttons do not reach dictabridge' in dev['warning'], dev
    assert 'dictabridge mode %s hid' % did in dev['warning'], dev
    d.wait_log(r'%s is in keyboard mode: its buttons do not reach dictabridge' % did)
    node = emu.node(u)
    # never on its own
    await c.settle(300)
    assert mode_commands(node) == [], node.outputs
    mark = node.mark()
    r = await run_cli(tmp_path, '--port', d.port, 'mode', did, 'hid')
    assert r.returncode == 0, r.stderr
    assert out_json(r) == {'ok': True, 'device_id': did, 'mode': 'hid', 'reenumerates': True}
    got = await node.await_output(lambda o: len(o) > 1 and o[1] == 0x0D, since=mark)
    assert got == E.set_mode_command(E.MODE_HID) == bytes.fromhex('000D0000000000000000')
    assert len(mode_commands(node)) == 1
    new = emu.reenumerate(u, E.MODE_HID)
    await c.expect('device.removed', pred=lambda m: m['device_id'] == did)
    added = (await c.expect('device.added'))['device']
    assert (added['id'], added['event_mode'], added['warning']) == (did, 'hid', None), added
    emu.node(new).send(E.sm_report(0x0002))
    m = await c.expect('button')
    assert (m['device_id'], m['button'], m['pressed']) == (did, 'f1', True), m
    await c.close()


async def test_switch_to_browser_reenumerates_under_new_product_id(spawn, emu, tmp_path):
    u = E.speechmike(serial='TOBRW001', model='SMP3710')
    d = spawn(u)
    c = await Client.connect(d.port)
    did = c.hello['devices'][0]['id']
    node = emu.node(u)
    r = await asyncio.to_thread(cli, ['--port', d.port, 'mode', 'TOBRW001', 'browser'],
                                tmp_path / 'clihome')
    assert r.returncode == 0, r.stderr
    assert 'switching to browser mode' in r.stdout and 'comes back' in r.stdout, r.stdout
    got = await node.await_output(lambda o: len(o) > 1 and o[1] == 0x0D)
    assert got == bytes.fromhex('000D0000000000000002'), got.hex(' ')
    d.wait_log(r'%s: switching to browser mode on request' % did)
    new = emu.reenumerate(u, E.MODE_BROWSER)
    await c.expect('device.removed', pred=lambda m: m['device_id'] == did)
    added = (await c.expect('device.added'))['device']
    assert (added['id'], added['product_id'], added['event_mode']) == (
        '0911-0fa0-TOBRW001', 0x0FA0, 'browser'), added
    assert added['model_code'] == 3710
    emu.node(new, 5).send(bytes.fromhex('0200'))
    m = await c.expect('slider')
    assert (m['device_id'], m['position']) == (added['id'], 'play'), m
    await c.close()


async def test_mode_refusals(spawn, emu, tmp_path):
    sm = E.speechmike(serial='MODEREF1', model='SMP3700')
    fc = E.foot_control(serial='MODEREF2')
    d = spawn(sm, fc)
    c = await Client.connect(d.port)
    ids = {x['serial']: x['id'] for x in c.hello['devices']}
    cases = [
        ((ids['MODEREF2'], 'hid'), 'unsupported', 'only a plugged SpeechMike has an event mode'),
        ((ids['MODEREF1'], 'hid'), 'unsupported', 'already in hid mode'),
        ((ids['MODEREF1'], 'turbo'), 'invalid_field', "'mode'"),
        (('nope', 'hid'), 'unknown_device', "no device with id 'nope'"),
    ]
    for args, code, text in cases:
        r = await run_cli(tmp_path, '--port', d.port, 'mode', *args)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        j = out_json(r)
        assert (j['ok'], j['error']) == (False, code), (args, j)
        assert text in j['message'], (args, j)
    # the raw request too: an error for the sender, the connection stays
    await c.send({'type': 'mode', 'device_id': ids['MODEREF1'], 'mode': 7})
    e = await c.expect('error')
    assert (e['code'], e['request']) == ('invalid_field', 'mode'), e
    await c.send({'type': 'ping', 'id': 1})
    await c.expect('pong')
    assert mode_commands(emu.node(sm)) == []
    r = await run_cli(tmp_path, '--port', d.port, 'mode', 'x')
    assert r.returncode == 2, r.stdout
    await c.close()


async def test_mode_answer_timeout_keeps_the_model(spawn, emu):
    """A unit that never answers the mode query is still identified (no mode)."""
    u = E.speechmike(serial='NOMODE01', model='SMP3710')
    u.event_mode = None
    d = spawn(u, config=dict(TEST_CONFIG))
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    assert (dev['model_code'], dev['event_mode'], dev['warning']) == (3710, None, None), dev
    assert [q[1] for q in emu.node(u).queries()] == [0x83, 0x8B, 0x8D, 0x8D]
    d.wait_log(r'no answer to identification query 0x8d; keeping device code 3710')
    await c.close()
