"""A real WebSocket client for the daemon's protocol (websockets, asyncio API)."""

import asyncio
import json
import time

import websockets

SUBPROTOCOL = 'dictabridge.v1'
DEFAULT_TIMEOUT = 3.0


class Client:
    """One connection. Messages are parsed JSON objects. Messages skipped by expect() stay
    in a backlog that later recv()/expect() calls see first, so interleaved events (button
    and command, say) can be awaited in any order."""

    def __init__(self, ws, name):
        self.ws = ws
        self.name = name
        self.backlog = []
        self.seen = []          # every message received, for failure messages
        self.frames = []        # binary (audio) frames: (CLOCK_MONOTONIC at receipt, bytes)
        self.hello = None

    @classmethod
    async def connect(cls, port, origin=None, host='127.0.0.1', subprotocol=SUBPROTOCOL,
                      name='client', hello=True, **kw):
        uri = 'ws://%s:%d/' % ('[%s]' % host if ':' in host else host, port)
        protos = [subprotocol] if subprotocol else None
        ws = await websockets.connect(uri, subprotocols=protos, origin=origin,
                                      open_timeout=5, close_timeout=2, max_size=2 ** 22,
                                      ping_interval=None, **kw)
        c = cls(ws, name)
        if hello:
            c.hello = await c.expect('hello')
        return c

    # --- receiving ---
    async def _recv_raw(self, timeout):
        """The next text message; binary frames that arrive first go to self.frames."""
        deadline = time.monotonic() + timeout
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), max(0.0, deadline - time.monotonic()))
            if isinstance(raw, str):
                break
            self.frames.append((time.clock_gettime(time.CLOCK_MONOTONIC), raw))
        msg = json.loads(raw)
        assert isinstance(msg, dict) and isinstance(msg.get('type'), str), \
            '%s: message without a type: %r' % (self.name, raw)
        self.seen.append(msg)
        return msg

    async def recv(self, timeout=DEFAULT_TIMEOUT):
        """The next message (backlog first)."""
        if self.backlog:
            return self.backlog.pop(0)
        try:
            return await self._recv_raw(timeout)
        except asyncio.TimeoutError:
            raise AssertionError('%s: no message within %.1fs (seen: %s)' % (
                self.name, timeout, self._recent())) from None

    @staticmethod
    def _matches(msg, type_, pred, fields):
        if type_ is not None and msg.get('type') != type_:
            return False
        for k, v in fields.items():
            if msg.get(k) != v:
                return False
        return pred is None or pred(msg)

    async def expect(self, type_=None, pred=None, timeout=DEFAULT_TIMEOUT, **fields):
        """The first message of `type_` whose fields equal `fields` and satisfying pred
        (backlog first); other messages are kept in the backlog."""
        for i, msg in enumerate(self.backlog):
            if self._matches(msg, type_, pred, fields):
                return self.backlog.pop(i)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('%s: no %s%s within %.1fs; seen: %s' % (
                    self.name, type_ or 'message', ' with %s' % fields if fields else '',
                    timeout, self._recent()))
            try:
                msg = await self._recv_raw(left)
            except asyncio.TimeoutError:
                continue
            if self._matches(msg, type_, pred, fields):
                return msg
            self.backlog.append(msg)

    async def nothing(self, ms=300, type_=None, pred=None, **fields):
        """Asserts that no matching message (any message when no filter is given) is in the
        backlog or arrives within `ms`. Non-matching messages go to the backlog."""
        for msg in self.backlog:
            assert not self._matches(msg, type_, pred, fields), \
                '%s: unexpected %s' % (self.name, msg)
        deadline = time.monotonic() + ms / 1000.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                msg = await self._recv_raw(left)
            except asyncio.TimeoutError:
                return
            assert not self._matches(msg, type_, pred, fields), \
                '%s: unexpected %s' % (self.name, msg)
            self.backlog.append(msg)

    async def wait_frames(self, n, timeout=DEFAULT_TIMEOUT):
        """Reads until self.frames holds n frames (text messages go to the backlog)."""
        deadline = time.monotonic() + timeout
        while len(self.frames) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('%s: %d of %d audio frames within %.1fs; seen: %s' % (
                    self.name, len(self.frames), n, timeout, self._recent()))
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except asyncio.TimeoutError:
                continue
            if isinstance(raw, bytes):
                self.frames.append((time.clock_gettime(time.CLOCK_MONOTONIC), raw))
            else:
                msg = json.loads(raw)
                self.seen.append(msg)
                self.backlog.append(msg)
        return self.frames

    def drain_backlog(self):
        b, self.backlog = self.backlog, []
        return b

    async def settle(self, ms=150):
        """Reads whatever arrives within `ms` into the backlog and then drops it all."""
        await self.nothing(ms, pred=lambda m: False)
        return self.drain_backlog()

    def _recent(self):
        return json.dumps(self.seen[-12:])

    # --- sending ---
    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def claim(self, timeout=DEFAULT_TIMEOUT):
        """Claims the commands and waits until the daemon says this client owns them."""
        await self.send({'type': 'claim'})
        m = await self.expect('claim', timeout=timeout)
        assert m == {'type': 'claim', 'owner': True}, '%s: claim answered %s' % (self.name, m)

    async def ping(self, id_='p1', timeout=DEFAULT_TIMEOUT):
        await self.send({'type': 'ping', 'id': id_})
        return await self.expect('pong', id=id_, timeout=timeout)

    async def error(self, obj, code, request='__any__', timeout=DEFAULT_TIMEOUT):
        """Sends obj and expects an error with `code` (and `request` when given)."""
        await self.send(obj)
        msg = await self.expect('error', timeout=timeout)
        assert msg.get('code') == code, '%s: expected error %s, got %s' % (self.name, code, msg)
        assert isinstance(msg.get('message'), str) and msg['message'], msg
        if request != '__any__':
            assert msg.get('request') == request, msg
        return msg

    async def close(self):
        try:
            await self.ws.close()
        except Exception:
            pass

    async def closed(self, timeout=DEFAULT_TIMEOUT):
        """Waits for the server to close the connection; returns (code, reason)."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except websockets.ConnectionClosed as e:
            rcvd = e.rcvd
            return (rcvd.code if rcvd else None, rcvd.reason if rcvd else None)
        except asyncio.TimeoutError:
            raise AssertionError('%s: connection not closed within %.1fs' % (self.name, timeout))


async def connect_many(port, n, **kw):
    return [await Client.connect(port, name='client%d' % i, **kw) for i in range(n)]


def by_serial(devices, serial):
    for d in devices:
        if d.get('serial') == serial:
            return d
    raise AssertionError('no device with serial %r in %s' % (serial, json.dumps(devices)))
