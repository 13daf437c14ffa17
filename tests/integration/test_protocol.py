"""The WebSocket/HTTP protocol against the real daemon: the Host/Origin/subprotocol gate,
limits (clients, message size, rate, stalled readers), malformed requests, claim routing,
SIGHUP reloads, orderly shutdown and the /status document."""

import asyncio
import json
import signal
import socket
import time

import pytest
import websockets

import emu as E
from client import Client, by_serial
from daemon import (TEST_CONFIG, Daemon, LogPipe, blocked_in_write, http_request,
                    upgrade_request, ws_upgrade)

# ---- helpers ----------------------------------------------------------------------------


def upgrade_status(port, **kw):
    return ws_upgrade(port, **kw)[0]


async def refused(port, status, **kw):
    """Client.connect must fail with exactly this HTTP status."""
    with pytest.raises(websockets.InvalidStatusCode) as ei:
        c = await Client.connect(port, **kw)
        await c.close()
    assert ei.value.status_code == status, ei.value


def sm_id(unit):
    return '%04x-%04x-%s' % (unit.vid, unit.pid, unit.serial)


async def alive(c, tag):
    """The connection is still open and served: a ping gets its pong."""
    pong = await c.ping(tag)
    assert pong == {'type': 'pong', 'id': tag}, pong


# ---- 1. Host ------------------------------------------------------------------------------

def _bad_hosts(port):
    return ['evil.example:%d' % port, 'evil.example', '127.0.0.1.evil.example',
            '127.0.0.1.evil.example:%d' % port, 'localhost.evil.example:%d' % port,
            'localhost:%d' % (port + 1), '127.0.0.1:%d' % (port - 1), '[::1]:%d' % (port + 1),
            '127.0.0.1:0%d' % port, '127.0.0.1:+%d' % port, 'localhost:%d:%d' % (port, port),
            '127.0.0.2:%d' % port, '0.0.0.0:%d' % port, '[::2]:%d' % port,
            'localhost.:%d' % port, '127.0.0.1:', '']


def _good_hosts(port):
    return ['127.0.0.1', '127.0.0.1:%d' % port, 'localhost', 'localhost:%d' % port,
            'LocalHost:%d' % port, '[::1]', '[::1]:%d' % port]


def test_host_check_http_and_upgrade(spawn):
    d = spawn()
    p = d.port
    for host in _bad_hosts(p) + [False]:
        st, _, body = http_request(p, '/status', host=host)
        assert st == 403, 'GET /status with Host %r answered %d' % (host, st)
        assert b'Host' in body, body
        assert upgrade_status(p, host=host) == 403, 'upgrade with Host %r' % (host,)
    for host in _good_hosts(p):
        st, _, body = http_request(p, '/status', host=host)
        assert st == 200, 'GET /status with Host %r answered %d' % (host, st)
        assert json.loads(body)['protocol'] == 1
        assert upgrade_status(p, host=host) == 101, 'upgrade with Host %r' % (host,)
    assert d.running()


# ---- 2. Origin ----------------------------------------------------------------------------

FOREIGN = ['https://evil.example', 'http://evil.example:%d', 'http://127.0.0.1.evil.example',
           'http://localhost.evil.example', 'https://127.0.0.1:8080', 'https://localhost',
           'null', 'http://127.0.0.2:80', 'file://', 'http://[::1]:80x']


async def test_origin_defaults(spawn):
    d = spawn()
    p = d.port
    for origin in FOREIGN:
        origin = origin.replace('%d', str(p))
        assert upgrade_status(p, origin=origin) == 403, origin
        st, hdrs, body = http_request(p, '/status', origin=origin)
        assert st == 403 and b'Origin' in body, (origin, st, body)
        assert 'access-control-allow-origin' not in hdrs, hdrs
    # only the daemon's own pages; another loopback port is another program's page
    for origin in ('http://127.0.0.1:1', 'http://127.0.0.1', 'http://localhost:8080',
                   'http://LOCALHOST:3000', 'http://localhost', 'http://[::1]:8080',
                   'http://localhost:%d' % (p + 1)):
        assert upgrade_status(p, origin=origin) == 403, origin
        st, hdrs, body = http_request(p, '/status', origin=origin)
        assert st == 403 and b'Origin' in body, (origin, st, body)
    for origin in ('http://127.0.0.1:%d' % p, 'http://localhost:%d' % p,
                   'http://LOCALHOST:%d' % p, 'http://[::1]:%d' % p):
        assert upgrade_status(p, origin=origin) == 101, origin
        st, hdrs, _ = http_request(p, '/status', origin=origin)
        assert st == 200, origin
        assert hdrs.get('access-control-allow-origin') == origin, (origin, hdrs)
    # no Origin: a local program
    assert upgrade_status(p) == 101
    st, hdrs, _ = http_request(p, '/status')
    assert st == 200 and 'access-control-allow-origin' not in hdrs, hdrs
    # and a real client through the websockets library
    c = await Client.connect(p, origin='http://localhost:%d' % p)
    await alive(c, 'o1')
    await refused(p, 403, origin='https://evil.example')
    await c.close()


ALLOWED_EXTRA = ['https://ris.example.org', 'https://RIS.Example.ORG', 'https://sub.example.org',
                 'https://a.b.example.org', 'https://pacs.example.org']
REFUSED_EXTRA = ['http://ris.example.org', 'https://ris.example.org:8443', 'https://example.org',
                 'https://evilexample.org', 'https://sub.evilexample.org',
                 'http://sub.example.org', 'https://sub.example.org:443',
                 'https://sub.example.org.evil.com', 'https://example.org.evil.com',
                 'https://.example.org', 'wss://sub.example.org']


async def test_origin_allow_list_flag_and_pattern(spawn):
    cfg = dict(TEST_CONFIG, allowed_origins=['https://*.example.org'])
    d = spawn(config=cfg, args=['--allow-origin', 'https://ris.example.org'])
    p = d.port
    for origin in ALLOWED_EXTRA:
        assert upgrade_status(p, origin=origin) == 101, origin
        st, hdrs, _ = http_request(p, '/status', origin=origin)
        assert st == 200 and hdrs.get('access-control-allow-origin') == origin, (origin, hdrs)
        assert 'origin' in hdrs.get('vary', '').lower(), hdrs
    for origin in REFUSED_EXTRA:
        assert upgrade_status(p, origin=origin) == 403, origin
        st, hdrs, _ = http_request(p, '/status', origin=origin)
        assert st == 403 and 'access-control-allow-origin' not in hdrs, (origin, st, hdrs)
    # the daemon's own origins still hold next to the list, no other loopback page
    assert upgrade_status(p, origin='http://127.0.0.1:%d' % p) == 101
    assert upgrade_status(p, origin='http://127.0.0.1:9000') == 403
    c = await Client.connect(p, origin='https://sub.example.org')
    await alive(c, 'x')
    await c.close()


async def test_flag_only_allows_exact_origin(spawn):
    d = spawn(args=['--allow-origin', 'https://ris.example.org'])
    p = d.port
    assert upgrade_status(p, origin='https://ris.example.org') == 101
    for origin in ('https://sub.example.org', 'https://x.ris.example.org',
                   'http://ris.example.org', 'https://ris.example.org:1'):
        assert upgrade_status(p, origin=origin) == 403, origin


# ---- 3. subprotocol, client cap, message size, fragments ------------------------------------

async def test_subprotocol_required(spawn):
    d = spawn()
    p = d.port
    assert upgrade_status(p, subprotocol=None) == 400
    assert upgrade_status(p, subprotocol='chat') == 400
    assert upgrade_status(p, subprotocol='dictabridge.v2') == 400
    assert upgrade_status(p, subprotocol='dictabridge.v1x') == 400
    assert upgrade_status(p, subprotocol='chat, dictabridge.v1') == 101
    st, hdrs = ws_upgrade(p)
    assert st == 101 and hdrs.get('sec-websocket-protocol') == 'dictabridge.v1', hdrs
    await refused(p, 400, subprotocol=None)
    await refused(p, 400, subprotocol='chat')
    # the gate comes first: a foreign origin without the subprotocol is 403, not 400
    assert upgrade_status(p, subprotocol=None, origin='https://evil.example') == 403
    d.wait_status(lambda s: s['clients'] == 0, what='no clients')


async def test_client_cap(spawn):
    d = spawn()
    p = d.port
    clients = [await Client.connect(p, name='c%d' % i) for i in range(32)]
    d.wait_status(lambda s: s['clients'] == 32, what='32 clients')
    assert upgrade_status(p) == 503
    await refused(p, 503)
    assert d.status()['clients'] == 32
    # every one of the 32 is still served
    for i, c in enumerate(clients):
        await alive(c, 'cap%d' % i)
    await clients.pop(0).close()
    d.wait_status(lambda s: s['clients'] == 31, what='31 clients')
    late = await Client.connect(p, name='late')
    await alive(late, 'late')
    d.wait_status(lambda s: s['clients'] == 32, what='32 clients again')
    await refused(p, 503)
    for c in clients + [late]:
        await c.close()
    d.wait_status(lambda s: s['clients'] == 0, what='all gone')


def _ping_of_size(n, id_='big'):
    """A valid ping request of exactly n bytes (padding in an ignored field)."""
    head = '{"type":"ping","id":"%s","pad":"' % id_
    tail = '"}'
    pad = n - len(head) - len(tail)
    assert pad >= 0
    text = head + 'a' * pad + tail
    assert len(text.encode()) == n
    return text


async def test_message_size_limit(spawn):
    d = spawn()
    a = await Client.connect(d.port, name='a')
    b = await Client.connect(d.port, name='b')
    # exactly 64 KiB is accepted, in one frame and in fragments
    await a.send(_ping_of_size(65536, 'max'))
    assert (await a.expect('pong'))['id'] == 'max'
    text = _ping_of_size(65536, 'frag')
    await a.ws.send([text[i:i + 1000] for i in range(0, len(text), 1000)])
    assert (await a.expect('pong'))['id'] == 'frag'
    # a small fragmented message
    await a.ws.send(['{"type":', '"ping",', '"id":"f', 'ew"}'])
    assert (await a.expect('pong'))['id'] == 'few'
    await a.nothing(100, type_='error')
    # one byte more: 1009, in fragments ...
    text = _ping_of_size(65537, 'over')
    await a.ws.send([text[i:i + 4096] for i in range(0, len(text), 4096)])
    code, reason = await a.closed()
    assert code == 1009, (code, reason)
    # ... and in one frame
    c = await Client.connect(d.port, name='c')
    await c.send(_ping_of_size(200000, 'huge'))
    code, _ = await c.closed()
    assert code == 1009
    # the others are unaffected
    await alive(b, 'still')
    d.wait_status(lambda s: s['clients'] == 1, what='1 client left')
    e = await Client.connect(d.port, name='e')
    await alive(e, 'new')
    await b.close()
    await e.close()


# ---- 4. malformed messages -------------------------------------------------------------

MALFORMED = [
    # (text, code, request)
    ('not json', 'invalid_json', None),
    ('{"type":"ping","id":1', 'invalid_json', None),
    ('', 'invalid_json', None),
    ('[1,2,3]', 'invalid_message', None),
    ('"ping"', 'invalid_message', None),
    ('42', 'invalid_message', None),
    ('null', 'invalid_message', None),
    ('{}', 'invalid_message', None),
    ('{"id":1}', 'invalid_message', None),
    ('{"type":5}', 'invalid_message', None),
    ('{"type":null}', 'invalid_message', None),
    ('{"type":["ping"]}', 'invalid_message', None),
    ('{"type":"bogus"}', 'unknown_type', None),
    ('{"type":"PING","id":1}', 'unknown_type', None),
    ('{"type":"pong","id":1}', 'unknown_type', None),
    ('{"type":"ping"}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":{"a":1}}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":[1]}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":null}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":true}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":"%s"}' % ('x' * 65), 'invalid_field', 'ping'),
    ('{"type":"ping","id":1e400}', 'invalid_field', 'ping'),
    ('{"type":"ping","id":-1e400}', 'invalid_field', 'ping'),
    ('{"type":"state","recording":"yes","report_open":false}', 'invalid_field', 'state'),
    ('{"type":"state","recording":1,"report_open":false}', 'invalid_field', 'state'),
    ('{"type":"state","recording":true}', 'invalid_field', 'state'),
    ('{"type":"state","report_open":true}', 'invalid_field', 'state'),
    ('{"type":"led","device_id":"DEV","led":"record","color":5}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":"record"}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":"record","color":"blue"}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":"bogus","color":"red"}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":7,"color":"red"}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":"record","color":"red","mode":"strobe"}',
     'invalid_field', 'led'),
    ('{"type":"led","device_id":"DEV","led":"record","color":"red","mode":null}',
     'invalid_field', 'led'),
    ('{"type":"led","device_id":42,"led":"record","color":"red"}', 'invalid_field', 'led'),
    ('{"type":"led","led":"record","color":"red"}', 'invalid_field', 'led'),
    ('{"type":"led","device_id":"%s","led":"record","color":"red"}' % ('d' * 65),
     'invalid_field', 'led'),
    ('{"type":"led","device_id":"0911-0c1c-NOSUCH","led":"record","color":"red"}',
     'unknown_device', 'led'),
    ('{"type":"led","device_id":"PM3","led":"f1","color":"red"}', 'unknown_led', 'led'),
    ('{"type":"led","device_id":"PM3","led":"record","color":"red","mode":"blink_fast"}',
     'unsupported', 'led'),
    # nesting beyond what the parser accepts, in an ignored field
    ('{"type":"ping","id":1,"x":' + '[' * 5000 + ']' * 5000 + '}', 'invalid_json', None),
    ('[' * 30000, 'invalid_json', None),
    ('{"a":' * 3000 + '1' + '}' * 3000, 'invalid_json', None),
]


async def test_malformed_messages_get_errors(spawn, emu):
    sm = E.speechmike(serial='MAL0001')
    pm3 = E.powermic3(serial='MALPM3')
    d = spawn(sm, pm3)
    c = await Client.connect(d.port, name='c')
    other = await Client.connect(d.port, name='other')
    node = emu.node(sm)
    for i, (text, code, request) in enumerate(MALFORMED):
        text = text.replace('"DEV"', '"%s"' % sm_id(sm)).replace('"PM3"', '"%s"' % sm_id(pm3))
        msg = await c.error(text, code)
        assert msg.get('request', 'missing') == request, (text[:80], msg)
        assert set(msg) == {'type', 'code', 'message', 'request'}, msg
        await alive(c, 'm%d' % i)
    # a valid led request after all that works (and no error came for it)
    mark = node.mark()
    await c.send({'type': 'led', 'device_id': sm_id(sm), 'led': 'record', 'color': 'red'})
    await node.await_output(E.sm_leds(0x0C), since=mark)
    await c.nothing(200, type_='error')
    # the bystander saw none of it
    await other.nothing(100, type_='error')
    await alive(other, 'bystander')
    await c.close()
    await other.close()


async def test_ping_ids_echoed(spawn):
    d = spawn()
    c = await Client.connect(d.port)
    for id_ in (42, 0, -7, 3.5, 'abc', '', 'x' * 64, 'ünï😀', 1e300, -1e-300,
                12345678901234567890):
        await c.send({'type': 'ping', 'id': id_})
        pong = await c.expect('pong')
        assert pong == {'type': 'pong', 'id': id_} or (
            isinstance(id_, int) and pong['id'] == float(id_) and len(pong) == 2), (id_, pong)
    # unknown fields are ignored, and moderately deep nesting in them is fine
    await c.send('{"type":"ping","id":"deep","x":' + '[' * 200 + ']' * 200 + ',"y":{"z":1}}')
    assert (await c.expect('pong'))['id'] == 'deep'
    await c.nothing(100, type_='error')
    await c.close()


async def test_binary_and_bad_utf8(spawn):
    d = spawn()
    a = await Client.connect(d.port, name='a')
    b = await Client.connect(d.port, name='b')
    await a.send(b'{"type":"ping","id":1}')
    msg = await a.expect('error')
    assert msg['code'] == 'invalid_message' and msg['request'] is None, msg
    await alive(a, 'after-binary')
    # a fragmented binary message: one error, and its bytes never reach the parser
    await a.ws.send([b'{"type":"ping",', b'"id":"bin"}'])
    msg = await a.expect('error')
    assert msg['code'] == 'invalid_message', msg
    await alive(a, 'after-fragmented-binary')
    assert not [m for m in a.seen if m['type'] == 'pong' and m['id'] in (1, 'bin')], a.seen
    assert [m['type'] for m in a.drain_backlog()] == []
    # a text frame that is not UTF-8: close 1007
    await a.ws.write_frame(True, 0x1, b'{"type":"ping","id":"\xff\xfe"}')
    code, reason = await a.closed()
    assert code == 1007, (code, reason)
    # overlong encoding and a lone surrogate, too
    for bad in (b'"\xc0\xaf"', b'"\xed\xa0\x80"'):
        c = await Client.connect(d.port, name='c')
        await c.ws.write_frame(True, 0x1, bad)
        code, _ = await c.closed()
        assert code == 1007, (bad, code)
    await alive(b, 'unaffected')
    d.wait_status(lambda s: s['clients'] == 1, what='1 client')
    await b.close()


# ---- 5. claim routing: test_ownership.py ----------------------------------------------


# ---- 6. rate limit and stalled clients -------------------------------------------------------

async def test_rate_limit(spawn):
    d = spawn()
    a = await Client.connect(d.port, name='flooder')
    b = await Client.connect(d.port, name='b')
    n = 600
    t0 = time.monotonic()
    for i in range(n):
        await a.ws.send('{"type":"ping","id":%d}' % i)
    pongs, limited = [], 0
    while len(pongs) + limited < n:
        m = await a.recv(timeout=5)
        if m['type'] == 'pong':
            pongs.append(m['id'])
        elif m['type'] == 'error':
            assert m['code'] == 'rate_limited' and m['request'] is None, m
            assert m['message'], m
            limited += 1
    # The daemon handled every message between t0 and now: the burst of 200 passes, and
    # beyond it at most 100 per second of that span.
    span = time.monotonic() - t0
    assert 200 <= len(pongs) <= 200 + 100 * span + 1, (len(pongs), span)
    assert limited == n - len(pongs) and limited > 0
    assert pongs[:200] == list(range(200)), pongs[:10]
    assert pongs == sorted(pongs)
    # the other client is not throttled
    for i in range(50):
        await alive(b, 'b%d' % i)
    # the flooder is still connected and recovers as the bucket refills
    await asyncio.sleep(0.1)
    await alive(a, 'recovered')
    assert d.status()['clients'] == 2
    await a.close()
    await b.close()


def _raw_ws_client(port, rcvbuf=2048):
    """A WebSocket client on a plain socket that never reads after the handshake (a
    tiny receive buffer so the daemon's queue fills quickly)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(3)
    s.connect(('127.0.0.1', port))
    s.sendall(upgrade_request(port))
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = s.recv(1)      # byte by byte: leave the hello unread
        assert chunk, 'closed during the handshake'
        data += chunk
    assert data.startswith(b'HTTP/1.1 101'), data
    return s


async def test_stalled_client_is_dropped(spawn, emu):
    sm = E.speechmike(serial='STALL01')
    d = spawn(sm)
    node, dev = emu.node(sm), sm_id(sm)
    good = await Client.connect(d.port, name='good')
    await good.send({'type': 'claim'})      # commands to the good client only
    assert (await good.expect('claim'))['owner'] is True
    stalled = _raw_ws_client(d.port)
    d.wait_status(lambda s: s['clients'] == 2, what='2 clients')
    all_buttons = 0xFFBF      # every SpeechMike button bit
    nbits = bin(all_buttons).count('1')
    mark = d.log_mark()
    rounds = 0
    expected = []
    got = []
    dropped = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for word, pressed in ((all_buttons, True), (0, False)):
            node.send(E.sm_report(word))
            expected += [pressed] * nbits
            while len(got) < len(expected):
                m = await good.expect('button', device_id=dev)
                got.append(m['pressed'])
        good.drain_backlog()
        rounds += 1
        if rounds % 10 == 0 and 'not reading its messages' in d.log()[mark:]:
            dropped = True
            break
    assert dropped, 'the stalled client was never dropped after %d rounds' % rounds
    d.wait_status(lambda s: s['clients'] == 1, what='stalled client gone')
    assert got == expected
    # the daemon closed the stalled socket
    stalled.settimeout(5)
    try:
        while stalled.recv(65536):
            pass
    except ConnectionResetError:
        pass
    stalled.close()
    # and the good client still gets everything
    node.send(E.sm_report(0x0100))
    await good.expect('button', device_id=dev, button='record', pressed=True)
    await good.expect('command', device_id=dev, command='record.toggle')
    node.send(E.sm_report(0))
    await good.expect('button', device_id=dev, button='record', pressed=False)
    await alive(good, 'good')
    await good.close()


# The keepalive of daemon/server.h: a ping after SERVER_PING_IDLE_S of silence, the answer
# awaited SERVER_PING_HANGUP_S - SERVER_PING_IDLE_S after it. (A client that never answers
# is dropped: test_security.py.)
PING_IDLE_S = 20
PING_ANSWER_S = 30 - PING_IDLE_S


async def test_an_answer_waiting_while_the_daemon_is_stalled_keeps_the_client(tmp_path):
    """The answer to a ping arrives while the daemon's loop is stalled (here: blocked on a
    log line between its poll and the reads), and the stall outlasts the answer time: the
    daemon reads the answer waiting in its socket before it judges, and keeps the client."""
    d = Daemon(tmp_path, name='stalled')
    log = LogPipe(tmp_path / 'log.fifo')
    try:
        d.start(output=log.w)
        c = await Client.connect(d.port)
        pinged = asyncio.Event()
        answer = c.ws.pong

        async def stall_then_answer(data=b''):
            pinged.set()
            await log.stall(d)
            await answer(data)
        c.ws.pong = stall_then_answer
        await asyncio.wait_for(pinged.wait(), PING_IDLE_S + 30)
        await asyncio.sleep(PING_ANSWER_S + 2)
        assert blocked_in_write(d.proc.pid), 'the stall ended early'
        log.draining.set()
        await alive(c, 'answered while the daemon stalled')
        await c.close()
    finally:
        d.stop()
        log.close()
    assert 'does not answer pings' not in log.checked(d)


# ---- 7. SIGHUP ---------------------------------------------------------------------------

async def test_sighup_reload(spawn):
    cfg = dict(TEST_CONFIG, allowed_origins=['https://old.example.org'])
    d = spawn(config=cfg)
    p = d.port
    c = await Client.connect(p, origin='https://old.example.org')
    assert upgrade_status(p, origin='https://old.example.org') == 101
    assert upgrade_status(p, origin='https://new.example.org') == 403

    # a broken file: an error naming it, the old configuration stays
    for bad in ('{"allowed_origins": ["https://new.example.org"], "hold_ms": }',
                '{"allowed_origins": ["https://new.example.org"], "hold_ms": 5}',
                '{"allowed_origins": "https://new.example.org"}', None):
        mark = d.log_mark()
        if bad is None:
            d.config_path.unlink()
        else:
            d.write_config(bad)
        d.send_signal(signal.SIGHUP)
        m = d.wait_log(r'^error: .*%s.*$' % d.config_path.name, since=mark)
        d.wait_log(r'not applied', since=mark)
        assert 'configuration reloaded' not in d.log()[mark:], m.group(0)
        assert d.running()
        assert upgrade_status(p, origin='https://old.example.org') == 101
        assert upgrade_status(p, origin='https://new.example.org') == 403
        await alive(c, 'after-bad')

    # a good one applies: the new list replaces the old
    mark = d.log_mark()
    d.write_config(dict(TEST_CONFIG, allowed_origins=['https://new.example.org']))
    d.send_signal(signal.SIGHUP)
    d.wait_log(r'configuration reloaded', since=mark)
    assert upgrade_status(p, origin='https://new.example.org') == 101
    assert upgrade_status(p, origin='https://old.example.org') == 403
    assert upgrade_status(p, origin='http://localhost:%d' % p) == 101
    # existing connections survive a reload
    await alive(c, 'after-good')
    n = await Client.connect(p, origin='https://new.example.org')
    await alive(n, 'n')
    await n.close()
    await c.close()


# ---- 8. SIGTERM / SIGINT ---------------------------------------------------------------------

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
async def test_shutdown_signal(spawn, emu, sig):
    sm = E.speechmike(serial='TERM01')
    d = spawn(sm)
    node, dev = emu.node(sm), sm_id(sm)
    a = await Client.connect(d.port, name='a')
    b = await Client.connect(d.port, name='b')
    stalled = _raw_ws_client(d.port)     # never reads: shutdown must not wait for it
    await a.claim()                      # its state is what the LEDs show
    mark = node.mark()
    await a.send({'type': 'state', 'recording': True, 'report_open': True})
    await node.await_output(E.sm_leds(0x0C), since=mark)
    await a.send({'type': 'led', 'device_id': dev, 'led': 'f2', 'color': 'green',
                  'mode': 'blink_fast'})
    # record red on, f2 blinking fast: the whole state in one report
    await node.await_output(E.sm_leds(0x0C, 0, 0x20), since=mark)
    mark = node.mark()
    t0 = time.monotonic()
    d.send_signal(sig)
    (ca, ra), (cb, _) = await asyncio.gather(a.closed(), b.closed())
    assert ca == 1001 and cb == 1001, (ca, cb, ra)
    rc = d.wait_exit(3.0)
    elapsed = time.monotonic() - t0
    assert rc == 0, rc
    assert elapsed < 2.5, elapsed
    # the emulator reads what the daemon wrote on its own thread: wait for it. The owner
    # leaving first shows "no owner" (record off, f2 still blinking); the last write is
    # everything off.
    await node.await_output(E.sm_leds(), since=mark, timeout=3)
    writes = node.led_writes(mark)
    assert writes[-1] == E.sm_leds(), [w.hex(' ') for w in writes]
    assert set(writes[:-1]) <= {E.sm_leds(0, 0, 0x20)}, [w.hex(' ') for w in writes]
    assert d.sanitizer_report() is None
    stalled.close()


# ---- 9. /status -------------------------------------------------------------------------------

async def test_status_shape_and_methods(spawn, emu):
    sm = E.speechmike(serial='STAT01')
    d = spawn(sm)
    st, hdrs, body = http_request(d.port, '/status')
    assert st == 200
    assert hdrs.get('content-type', '').startswith('application/json'), hdrs
    assert hdrs.get('cache-control') == 'no-store', hdrs
    doc = json.loads(body)
    assert doc['name'] == 'dictabridged'
    assert isinstance(doc['version'], str) and doc['version'].count('.') == 2, doc
    assert doc['protocol'] == 1 and doc['clients'] == 0
    assert isinstance(doc['devices'], list) and len(doc['devices']) == 1
    dev = by_serial(doc['devices'], 'STAT01')
    assert dev['id'] == sm_id(sm) and dev['family'] == 'speechmike', dev
    c1 = await Client.connect(d.port, name='c1')
    assert d.status()['clients'] == 1
    assert c1.hello['devices'][0]['id'] == dev['id']
    c2 = await Client.connect(d.port, name='c2')
    assert d.status()['clients'] == 2
    await c1.close()
    d.wait_status(lambda s: s['clients'] == 1, what='1 client')
    await c2.close()
    d.wait_status(lambda s: s['clients'] == 0, what='0 clients')

    for path in ('/', '/status/', '/statusx', '/index.html', '/STATUS'):
        st, hdrs, _ = http_request(d.port, path)
        assert st == 404, (path, st)
    # a query string (a page's cache-buster) does not change the path
    st, _, body = http_request(d.port, '/status?t=1')
    assert st == 200 and json.loads(body)['protocol'] == 1
    for method in ('POST', 'PUT', 'DELETE', 'PATCH'):
        st, _, _ = http_request(d.port, '/status', method=method,
                                headers={'Content-Length': '0'})
        assert st == 405, (method, st)
    # the gate still comes first
    st, _, _ = http_request(d.port, '/status', method='POST', origin='https://evil.example',
                            headers={'Content-Length': '0'})
    assert st == 403
    st, _, _ = http_request(d.port, '/nothing', host='evil.example')
    assert st == 403
    assert d.running()
    assert d.status()['clients'] == 0


# ---- more gate edges -------------------------------------------------------------------------

async def test_concurrent_upgrades_respect_the_cap(spawn):
    """40 clients at once: exactly 32 get in, the rest get 503."""
    d = spawn()
    results = await asyncio.gather(*[Client.connect(d.port, name='r%d' % i) for i in range(40)],
                                   return_exceptions=True)
    ok = [r for r in results if isinstance(r, Client)]
    bad = [r for r in results if not isinstance(r, Client)]
    assert len(ok) == 32, [repr(r) for r in bad]
    assert all(isinstance(r, websockets.InvalidStatusCode) and r.status_code == 503
               for r in bad), [repr(r) for r in bad]
    assert d.status()['clients'] == 32
    for c in ok:
        await c.close()
    d.wait_status(lambda s: s['clients'] == 0, what='all gone')


def test_each_request_on_a_connection_is_checked(spawn):
    """Keep-alive: a second request with a rebinding Host on the same connection is
    refused too."""
    d = spawn()
    with socket.create_connection(('127.0.0.1', d.port), timeout=3) as s:
        s.sendall(b'GET /status HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n' % d.port)
        data = b''
        while b'"devices"' not in data:
            chunk = s.recv(65536)
            assert chunk, data
            data += chunk
        assert data.startswith(b'HTTP/1.1 200'), data
        s.sendall(b'GET /status HTTP/1.1\r\nHost: evil.example:%d\r\n\r\n' % d.port)
        data = _read_head(s)
        assert data.startswith(b'HTTP/1.1 403'), data
        assert b'"devices"' not in data


def test_oversized_headers_refused(spawn):
    d = spawn()
    p = d.port
    long_host = 'localhost' + ' ' * 300
    assert http_request(p, '/status', host=long_host)[0] == 403
    assert upgrade_status(p, host='127.0.0.1:%d%s' % (p, '0' * 300)) == 403
    # an origin the pattern would allow but too long to examine is refused
    d2 = spawn(config=dict(TEST_CONFIG, allowed_origins=['https://*.example.org']), name='d2')
    long_origin = 'https://' + 'a' * 60 + '.' + 'b' * 60 + '.' + 'c' * 60 + '.' + \
        'd' * 60 + '.example.org'
    assert len(long_origin) > 256
    assert upgrade_status(d2.port, origin=long_origin) == 403
    assert upgrade_status(d2.port, origin='https://' + 'a' * 60 + '.example.org') == 101
    assert d.running() and d2.running()


def _read_head(s):
    """Reads from socket s until the end of a response head, or until the peer closes."""
    data = b''
    try:
        while b'\r\n\r\n' not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        pass
    return data


def _raw_head(port, lines):
    with socket.create_connection(('127.0.0.1', port), timeout=3) as s:
        s.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        data = _read_head(s)
    return data.split(b'\r\n')[0]


def test_duplicate_host_or_origin_refused(spawn):
    """Two Host or two Origin headers, one good and one bad, in either order: refused."""
    d = spawn()
    p = d.port
    good_host, good_origin = '127.0.0.1:%d' % p, 'http://localhost:%d' % p
    upgrade = ['Upgrade: websocket', 'Connection: Upgrade',
               'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
               'Sec-WebSocket-Protocol: dictabridge.v1']
    cases = [['Host: ' + good_host, 'Host: evil.example'],
             ['Host: evil.example', 'Host: ' + good_host],
             ['Host: ' + good_host, 'Origin: ' + good_origin, 'Origin: https://evil.example'],
             ['Host: ' + good_host, 'Origin: https://evil.example', 'Origin: ' + good_origin]]
    for hdrs in cases:
        http = _raw_head(p, ['GET /status HTTP/1.1'] + hdrs + ['Connection: close'])
        assert http == b'HTTP/1.1 403 Forbidden', (hdrs, http)
        up = _raw_head(p, ['GET / HTTP/1.1'] + hdrs + upgrade)
        assert up == b'HTTP/1.1 403 Forbidden', (hdrs, up)
    # the same request with only the good headers passes (so the refusals above are real)
    assert _raw_head(p, ['GET / HTTP/1.1', 'Host: ' + good_host, 'Origin: ' + good_origin]
                     + upgrade) == b'HTTP/1.1 101 Switching Protocols'
    d.wait_status(lambda s: s['clients'] == 0, what='the probe connection gone')


async def test_handshake_trickled_byte_by_byte_is_dropped(spawn):
    """A handshake sent one byte every half second never completes: the daemon drops it
    after its 10 s handshake limit, and serves everybody else meanwhile."""
    d = spawn()
    request = ('GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
               'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: dictabridge.v1\r\n\r\n'
               % d.port).encode()
    slow = socket.create_connection(('127.0.0.1', d.port))
    slow.setblocking(False)
    t0 = time.monotonic()
    dropped_after = None
    for i, byte in enumerate(request):
        try:
            slow.send(bytes([byte]))
            if slow.recv(1) == b'':
                dropped_after = time.monotonic() - t0
                break
        except BlockingIOError:
            pass
        except OSError:
            dropped_after = time.monotonic() - t0
            break
        if i % 4 == 0:       # the others are served while it trickles
            c = await Client.connect(d.port)
            await c.ping()
            await c.close()
        await asyncio.sleep(0.5)
        if time.monotonic() - t0 > 20:
            break
    slow.close()
    assert dropped_after is not None, 'a trickled handshake was kept open for 20 s'
    assert 9 <= dropped_after <= 14, dropped_after
