// The demo page's choice of daemon (web/demo/daemon-url.js): loopback only.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { daemonUrl } from '../../web/demo/daemon-url.js';

const served = { hostname: '127.0.0.1', port: '27415' };

test('the page served by the daemon talks to that daemon', () => {
  assert.deepEqual(daemonUrl('', served), { url: 'ws://127.0.0.1:27415/' });
  assert.deepEqual(daemonUrl('', { hostname: 'localhost', port: '4000' }),
    { url: 'ws://127.0.0.1:4000/' });
  assert.deepEqual(daemonUrl('', { hostname: 'ris.example.org', port: '' }),
    { url: 'ws://127.0.0.1:27415/' });
  assert.deepEqual(daemonUrl('?port=3000', served), { url: 'ws://127.0.0.1:3000/' });
});

test('?daemon= accepts loopback WebSocket URLs', () => {
  for (const [given, url] of [
    ['ws://127.0.0.1:27500/', 'ws://127.0.0.1:27500/'],
    ['ws://localhost:27500', 'ws://localhost:27500/'],
    ['ws://[::1]:27500/', 'ws://[::1]:27500/'],
    ['WS://LOCALHOST:27500/', 'ws://localhost:27500/'],
  ]) {
    assert.deepEqual(daemonUrl('?daemon=' + encodeURIComponent(given), served), { url }, given);
  }
});

test('?daemon= refuses anything that is not a loopback WebSocket', () => {
  for (const given of [
    'ws://evil.example/', 'wss://evil.example/', 'ws://127.0.0.1.evil.example:27415/',
    'ws://localhost.evil.example/', 'ws://localhost@evil.example/',
    'ws://user:pw@127.0.0.1:27415/', 'wss://127.0.0.1:27415/', 'http://127.0.0.1:27415/',
    'ws://127.0.0.2:27415/', 'ws://[::2]:27415/', 'ws://127.0.0.1:27415/?x=1',
    'ws://127.0.0.1:27415/#x', '//evil.example/', 'not a url', '',
  ]) {
    const r = daemonUrl('?daemon=' + encodeURIComponent(given), served);
    assert.ok('error' in r && !('url' in r), `${given} -> ${JSON.stringify(r)}`);
  }
});

test('?port= must be a port number', () => {
  for (const port of ['0', '65536', '080', '1e3', '-1', 'x', '27415/evil', '']) {
    const r = daemonUrl('?port=' + encodeURIComponent(port), served);
    assert.ok('error' in r, `${port} -> ${JSON.stringify(r)}`);
  }
  assert.deepEqual(daemonUrl('?port=65535', served), { url: 'ws://127.0.0.1:65535/' });
});
