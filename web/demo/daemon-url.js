// Which daemon the demo page talks to, from its query string. Only a loopback daemon:
// the page is served by dictabridged itself, and a link to it with
// ?daemon=ws://elsewhere/ must not make it relay a stranger's "commands" to the reporting
// iframe or send the dictation state away.

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * @param {string} search  location.search
 * @param {{ hostname: string, port: string }} page  the page's own location
 * @returns {{ url: string } | { error: string }}
 */
export function daemonUrl(search, page) {
  const params = new URLSearchParams(search);
  const given = params.get('daemon');
  if (given !== null) {
    let u;
    try {
      u = new URL(given);
    } catch {
      return { error: `?daemon=${given} is not a URL` };
    }
    if (u.protocol !== 'ws:' || !LOOPBACK_HOSTS.includes(u.hostname) || u.username ||
        u.password || u.search || u.hash) {
      return { error: `?daemon= must be ws://127.0.0.1:PORT/, ws://localhost:PORT/ or ` +
                      `ws://[::1]:PORT/ (the daemon runs on this computer), not ${given}` };
    }
    return { url: u.href };
  }
  const port = params.get('port');
  if (port !== null && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535)) {
    return { error: `?port=${port} is not a port number` };
  }
  const own = LOOPBACK_HOSTS.includes(page.hostname) && page.port;
  return { url: `ws://127.0.0.1:${port || own || '27415'}/` };
}
