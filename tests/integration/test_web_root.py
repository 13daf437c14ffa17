"""The read-only web root (/demo/ and /web/) against the real daemon, with a temporary
tree passed with --web-root: bodies and headers, what is never served (outside links,
FIFOs, big files, directories, traversal in every disguise), the Host/Origin gate,
methods, keep-alive, and a daemon that still serves /status and WebSocket clients, with
or without a web root.

Requests are raw HTTP (daemon.http_request) so that paths reach the daemon exactly as
written: an HTTP client library would normalise '..', '//' and '\\' away first."""

import json
import os
import socket
import time

import pytest

from client import Client
from daemon import binary, http_request, run_cli

SECRET = b'SECRET-OUTSIDE-THE-ROOT'
MAX_FILE = 4 * 1024 * 1024          # WEBROOT_MAX_FILE_BYTES


@pytest.fixture
def tree(tmp_path):
    """tmp_path/outside.txt (must never be served) and tmp_path/webroot, the root."""
    (tmp_path / 'outside.txt').write_bytes(SECRET)
    (tmp_path / 'webroot-sibling.txt').write_bytes(SECRET + b'-sibling')
    root = tmp_path / 'webroot'
    files = {
        'demo/index.html': b'<!doctype html><title>demo</title>\n',
        'demo/app.mjs': b'import "/web/dictabridge.js";\n',
        'demo/mock/index.html': b'<p>mock frame</p>\n',
        'demo/mock/frame.css': b'p { color: red }\n',
        'dictabridge.js': b'export class DictaBridge {}\n',
        'radpair-relay.js': b'export const relay = 1;\n',
        'data.json': b'{"a": 1}\n',
        'dictabridge.js.map': b'{"version": 3}\n',
        'logo.svg': b'<svg xmlns="http://www.w3.org/2000/svg"/>\n',
        'logo.png': b'\x89PNG\r\n\x1a\n' + bytes(range(256)) * 4,
        'favicon.ico': b'\x00\x00\x01\x00',
        'notes.txt': b'plain\n',
        'blob.xyz': b'\x00\x01binary',
        'empty.txt': b'',
        '.hidden': b'hidden file\n',
        # several chunks of the daemon's streaming, with content that catches misordering
        'chunks.bin': b''.join(i.to_bytes(4, 'big') for i in range(100000)),
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root / 'demo' / 'empty').mkdir()                 # a directory without index.html
    os.symlink('../../outside.txt', root / 'demo' / 'escape.txt')
    os.symlink(str(tmp_path / 'outside.txt'), root / 'abs-escape.txt')
    os.symlink('../webroot-sibling.txt', root / 'sibling.txt')
    os.symlink('..', root / 'up')                     # a directory link out of the root
    os.symlink('../dictabridge.js', root / 'demo' / 'linked.js')   # stays inside: served
    os.mkfifo(root / 'demo' / 'fifo')
    with open(root / 'max.bin', 'wb') as f:           # exactly the bound: served
        f.write(os.urandom(MAX_FILE))
    with open(root / 'big.bin', 'wb') as f:           # one byte over: refused
        f.truncate(MAX_FILE + 1)
    return root, files


def web(spawn, root, args=()):
    return spawn(args=['--web-root', str(root)] + list(args))


def get(d, path, **kw):
    return http_request(d.port, path, **kw)


def assert_static_headers(hdrs, ctype):
    assert hdrs.get('content-type') == ctype, hdrs
    assert hdrs.get('x-content-type-options') == 'nosniff', hdrs
    assert hdrs.get('cache-control') == 'no-cache', hdrs
    # same-origin framing (the demo's mock frame) stays possible
    assert hdrs.get('content-security-policy') == "frame-ancestors 'self'", hdrs


# ---- what is served -------------------------------------------------------------------

TYPES = [
    ('/demo/', 'demo/index.html', 'text/html; charset=utf-8'),
    ('/demo/index.html', 'demo/index.html', 'text/html; charset=utf-8'),
    ('/demo/app.mjs', 'demo/app.mjs', 'text/javascript; charset=utf-8'),
    ('/demo/mock/', 'demo/mock/index.html', 'text/html; charset=utf-8'),
    ('/demo/mock/frame.css', 'demo/mock/frame.css', 'text/css; charset=utf-8'),
    ('/web/dictabridge.js', 'dictabridge.js', 'text/javascript; charset=utf-8'),
    ('/web/radpair-relay.js', 'radpair-relay.js', 'text/javascript; charset=utf-8'),
    ('/web/demo/index.html', 'demo/index.html', 'text/html; charset=utf-8'),
    ('/web/data.json', 'data.json', 'application/json'),
    ('/web/dictabridge.js.map', 'dictabridge.js.map', 'application/json'),
    ('/web/logo.svg', 'logo.svg', 'image/svg+xml'),
    ('/web/logo.png', 'logo.png', 'image/png'),
    ('/web/favicon.ico', 'favicon.ico', 'image/x-icon'),
    ('/web/notes.txt', 'notes.txt', 'text/plain; charset=utf-8'),
    ('/web/blob.xyz', 'blob.xyz', 'application/octet-stream'),
    ('/web/empty.txt', 'empty.txt', 'text/plain; charset=utf-8'),
    ('/web/chunks.bin', 'chunks.bin', 'application/octet-stream'),
    ('/demo/linked.js', 'dictabridge.js', 'text/javascript; charset=utf-8'),
    ('/web/dictabridge.js?v=2', 'dictabridge.js', 'text/javascript; charset=utf-8'),
]


def test_files_served_with_their_types(spawn, tree):
    root, files = tree
    d = web(spawn, root)
    for path, rel, ctype in TYPES:
        st, hdrs, body = get(d, path)
        assert st == 200, (path, st, body[:200])
        assert body == files[rel], (path, len(body), len(files[rel]))
        assert int(hdrs['content-length']) == len(files[rel]), (path, hdrs)
        assert_static_headers(hdrs, ctype)
    assert 'serving %s read-only' % root in d.log()


def test_file_of_exactly_the_bound(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    st, hdrs, body = http_request(d.port, '/web/max.bin', timeout=10)
    assert st == 200 and int(hdrs['content-length']) == MAX_FILE
    assert body == (root / 'max.bin').read_bytes()


def test_demo_redirects_to_the_directory(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    st, hdrs, body = get(d, '/demo')
    assert st == 301 and hdrs.get('location') == '/demo/', (st, hdrs)
    assert body == b''


def test_head(spawn, tree):
    root, files = tree
    d = web(spawn, root)
    st, hdrs, body = get(d, '/web/dictabridge.js', method='HEAD')
    assert st == 200 and body == b'', (st, body)
    assert int(hdrs['content-length']) == len(files['dictabridge.js'])
    assert_static_headers(hdrs, 'text/javascript; charset=utf-8')
    # /status keeps its GET-only contract
    assert get(d, '/status', method='HEAD')[0] == 405


# ---- what is never served -------------------------------------------------------------

NOT_FOUND = ['/demo/missing.html', '/web/missing.js', '/demo/empty/', '/demo/empty',
             '/demo/mock', '/web/demo/fifo', '/web', '/', '/index.html', '/demox/', '/web/up/',
             '/web/nothing/']
ESCAPES = ['/demo/escape.txt', '/web/abs-escape.txt', '/web/sibling.txt',
           '/web/up/outside.txt', '/web/up/webroot-sibling.txt']


def test_missing_directories_and_escaping_links_are_404(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    for path in NOT_FOUND + ESCAPES:
        st, _, body = get(d, path)
        assert st == 404, (path, st, body[:200])
        assert SECRET not in body and b'<' not in body, (path, body[:200])
    # an escape is worth a line in the log; a plain 404 is not
    log = d.log()
    for path in ESCAPES:
        assert 'refused %s: it leads outside the web root' % path.replace('/web/', '/', 1) \
            in log, (path, log)
    assert 'missing.js' not in log
    assert d.running()


def test_fifo_is_404_and_never_blocks(spawn, tree):
    """Opening a FIFO for reading would wait for a writer, stalling the whole daemon."""
    root, _ = tree
    d = web(spawn, root)
    t0 = time.monotonic()
    st, _, _ = get(d, '/demo/fifo')
    assert st == 404
    st, _, body = get(d, '/status', timeout=2)
    assert st == 200 and json.loads(body)['protocol'] == 1
    assert time.monotonic() - t0 < 2


def test_big_file_refused(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    st, hdrs, body = get(d, '/web/big.bin')
    assert st == 403 and body == b'/big.bin is larger than 4 MiB\n', (st, body)
    assert 'refused a connection: /big.bin is larger than 4 MiB' in d.log()
    # the longest names make the longest refusal: still whole, with its exact length
    rel = 'd' * 200 + '/' + 'b' * 250 + '.bin'
    (root / rel).parent.mkdir()
    with open(root / rel, 'wb') as f:
        f.truncate(MAX_FILE + 1)
    st, hdrs, body = get(d, '/web/' + rel)
    assert st == 403 and body == b'/%s is larger than 4 MiB\n' % rel.encode(), (st, body)
    assert int(hdrs['content-length']) == len(body)
    assert int(hdrs['content-length']) == len(body)


# Paths that the HTTP library (libwebsockets) percent-decodes and normalises before the
# daemon sees them: '..' cannot climb above '/', and '//' collapses, so these arrive as
# paths outside /demo/ and /web/ (404) or are refused by the daemon's own check (400).
# Either way the outside file never comes back.
NORMALISED = ['/demo/../../etc/passwd', '/demo/../../outside.txt', '/web/../outside.txt',
              '/web/%2e%2e/outside.txt', '/web/..%2foutside.txt', '/web/%2e%2e%2foutside.txt',
              '/demo/%2e%2e/%2e%2e/outside.txt', '/web/..%2f..%2foutside.txt',
              '/demo//etc/passwd', '/web//outside.txt', '/web/up/../../outside.txt',
              '/demo/./../../outside.txt', '/web/%2E%2E/outside.txt']
# Refused by the daemon's path check itself, whatever the library did first.
BAD_PATH = ['/web/..\\outside.txt', '/web/%5c..%5coutside.txt', '/demo/..%5c..%5coutside.txt',
            '/web/%252e%252e/outside.txt', '/web/%252e%252e%252foutside.txt',
            '/web/.hidden', '/web/%2ehidden', '/demo/a%20b', '/web/\xe9.js']


def test_traversal_never_leaves_the_root(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    for path in NORMALISED:
        st, _, body = get(d, path)
        assert st in (400, 404), (path, st, body[:200])
        assert SECRET not in body and b'root:' not in body, (path, body[:200])
    mark = d.log_mark()
    for path in BAD_PATH:
        st, _, body = get(d, path)
        assert st == 400 and body == b'path not allowed\n', (path, st, body[:200])
    assert d.log()[mark:].count('refused a connection: path not allowed') == len(BAD_PATH)
    # a decoded NUL makes the library drop the request: no answer at all, never a file
    for path in ('/web/dictabridge.js%00', '/web/dictabridge.js%00.png'):
        with pytest.raises(OSError):
            get(d, path)
    # the tree is fine: the same daemon still serves it
    assert get(d, '/web/dictabridge.js')[0] == 200
    assert d.running()


# ---- the gate ---------------------------------------------------------------------------

def test_gate_applies_to_static_files(spawn, tree):
    root, files = tree
    d = web(spawn, root, args=['--allow-origin', 'https://ris.example.org'])
    p = d.port
    for path in ('/demo/', '/web/dictabridge.js', '/demo', '/web/missing.js', '/web/..\\x'):
        for host in ('evil.example:%d' % p, 'evil.example', 'localhost:%d' % (p + 1), False):
            st, hdrs, body = get(d, path, host=host)
            assert st == 403 and body == b'Host not allowed\n', (path, host, st, body[:100])
        for origin in ('https://evil.example', 'http://127.0.0.1.evil.example', 'null',
                       'http://localhost:5173'):
            st, hdrs, body = get(d, path, origin=origin)
            assert st == 403 and body == b'Origin not allowed\n', (path, origin, st)
            assert 'access-control-allow-origin' not in hdrs
    # allowed: a local program (no Origin), the daemon's own pages, the allow-list
    st, hdrs, body = get(d, '/web/dictabridge.js')
    assert st == 200 and 'access-control-allow-origin' not in hdrs
    for origin in ('http://127.0.0.1:%d' % p, 'http://localhost:%d' % p,
                   'https://ris.example.org'):
        st, hdrs, body = get(d, '/web/dictabridge.js', origin=origin)
        assert st == 200 and body == files['dictabridge.js'], (origin, st)
        # a page of an allowed origin may import the library as a module (CORS)
        assert hdrs.get('access-control-allow-origin') == origin, hdrs
        assert hdrs.get('vary') == 'Origin', hdrs
    for host in ('localhost:%d' % p, '127.0.0.1', '[::1]:%d' % p):
        assert get(d, '/demo/', host=host)[0] == 200, host


def test_ipv6_loopback_serves_the_demo(spawn, tree):
    root, files = tree
    d = web(spawn, root)
    try:
        st, _, body = get(d, '/demo/', addr='::1', host='[::1]:%d' % d.port)
    except OSError as e:
        pytest.skip('no IPv6 loopback: %s' % e)
    assert st == 200 and body == files['demo/index.html']


def test_methods(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    for path in ('/demo/', '/web/dictabridge.js', '/web/missing.js', '/demo'):
        for method in ('POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'):
            st, _, body = get(d, path, method=method, headers={'Content-Length': '0'})
            assert st == 405 and body == b'only GET and HEAD are served\n', \
                (path, method, st, body)
    # the gate comes first
    st, _, body = get(d, '/demo/', method='POST', origin='https://evil.example',
                      headers={'Content-Length': '0'})
    assert st == 403, st
    assert (root / 'demo' / 'index.html').read_bytes().startswith(b'<!doctype')


def _read_response(f):
    """One HTTP/1.1 response with Content-Length from a socket file: (status, body)."""
    status = int(f.readline().split()[1])
    length = 0
    while True:
        line = f.readline()
        assert line, 'connection closed inside a response head'
        if line in (b'\r\n', b'\n'):
            break
        k, _, v = line.decode('latin-1').partition(':')
        if k.strip().lower() == 'content-length':
            length = int(v)
    return status, f.read(length)


def test_keep_alive_serves_every_request_and_gates_each(spawn, tree):
    root, files = tree
    d = web(spawn, root)
    h = 'Host: 127.0.0.1:%d\r\n' % d.port
    with socket.create_connection(('127.0.0.1', d.port), timeout=5) as s:
        s.sendall(('GET /web/chunks.bin HTTP/1.1\r\n' + h + '\r\n'
                   'GET /demo/ HTTP/1.1\r\n' + h + '\r\n'
                   'GET /web/empty.txt HTTP/1.1\r\n' + h + '\r\n'
                   'GET /status HTTP/1.1\r\n' + h + '\r\n'
                   'GET /web/dictabridge.js HTTP/1.1\r\n' + h + '\r\n').encode())
        f = s.makefile('rb')
        assert _read_response(f) == (200, files['chunks.bin'])
        assert _read_response(f) == (200, files['demo/index.html'])
        assert _read_response(f) == (200, b'')
        st, body = _read_response(f)
        assert st == 200 and json.loads(body)['protocol'] == 1
        assert _read_response(f) == (200, files['dictabridge.js'])
        # a rebinding Host on the same connection is still refused
        s.sendall(b'GET /web/dictabridge.js HTTP/1.1\r\nHost: evil.example\r\n\r\n')
        st, body = _read_response(f)
        assert st == 403 and body == b'Host not allowed\n'


# ---- the rest of the daemon ---------------------------------------------------------------

async def test_status_and_websocket_still_served(spawn, tree):
    root, _ = tree
    d = web(spawn, root)
    c = await Client.connect(d.port, origin='http://127.0.0.1:%d' % d.port)
    pong = await c.ping('w1')
    assert pong == {'type': 'pong', 'id': 'w1'}
    assert get(d, '/demo/')[0] == 200
    assert d.status()['clients'] == 1
    await c.close()
    d.wait_status(lambda s: s['clients'] == 0, what='no clients')


async def test_missing_web_root(spawn, tmp_path):
    """Not an error: the daemon says so once, /demo/ is 404, everything else works, and the
    directory is served as soon as it appears (it is looked up on every request)."""
    root = tmp_path / 'no-such-web'
    d = web(spawn, root)
    assert 'no web root at %s: the demo page is not available' % root in d.log()
    for path in ('/demo/', '/web/dictabridge.js'):
        st, _, body = get(d, path)
        assert st == 404 and b'not installed' in body, (path, st, body)
    assert get(d, '/demo')[0] == 301
    assert d.status()['protocol'] == 1
    c = await Client.connect(d.port)
    await c.ping('m1')
    await c.close()
    (root / 'demo').mkdir(parents=True)
    (root / 'demo' / 'index.html').write_bytes(b'late\n')
    st, _, body = get(d, '/demo/')
    assert (st, body) == (200, b'late\n')


def default_web_root(home):
    """The compiled-in web root, as --help prints it."""
    r = run_cli(['--help'], home)
    assert r.returncode == 0 and '--web-root DIR' in r.stdout, r.stdout
    return r.stdout.split('--web-root DIR', 1)[1].split('(default ', 1)[1].split(')')[0]


def test_web_root_option(tmp_path):
    # the default is printed, and it is the installed data directory
    default = default_web_root(tmp_path)
    assert default.endswith('/share/dictabridge/web') and default.startswith('/'), default
    r = run_cli(['--web-root', ''], tmp_path)
    assert r.returncode == 2 and '--web-root' in r.stderr, r.stderr
    r = run_cli(['--web-root'], tmp_path)
    assert r.returncode == 2, r.stderr
    assert os.access(binary(), os.X_OK)


def test_default_web_root_is_announced(spawn, tmp_path):
    """Without --web-root the daemon looks at the compiled-in directory (what --help
    prints) and says whether it serves it."""
    default = default_web_root(tmp_path / 'h')
    d = spawn()
    log = d.log()
    assert ('serving %s read-only' % default in log) or \
        ('no web root at %s:' % default in log), log
