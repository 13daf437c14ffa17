// The demo host page: owns the WebSocket to dictabridged (DictabridgeClient), relays the
// devices' commands to the embedded reporting iframe (createRadpairRelay) and shows what
// goes on. The iframe here is the reporting-iframe SIMULATOR (mock-radpair/), not RADPAIR.
//
// Query parameters: port=N (the daemon's port; default: this page's port when the page is
// served from a loopback address, which is what dictabridged's /demo/ does, else 27415),
// or daemon=ws://... (the whole URL).
// The modules are imported as /web/*.js: dictabridged serves web/ there (and this page both
// as /demo/ and /web/demo/).
import { DictabridgeClient } from '../../web/dictabridge.js';
import { createRadpairRelay } from '../../web/radpair-relay.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

function daemonUrl() {
  if (params.get('daemon')) return params.get('daemon');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);
  const port = params.get('port') || (loopback && location.port) || '27415';
  return `ws://127.0.0.1:${port}/`;
}

const client = new DictabridgeClient({ url: daemonUrl() });
$('daemon-url').textContent = client.url;

// ---- log -------------------------------------------------------------------------------------

function log(kind, text, data) {
  const li = document.createElement('li');
  li.className = kind;
  li.dataset.kind = kind;
  if (data) for (const [k, v] of Object.entries(data)) li.dataset[k] = String(v);
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  const ol = $('log');
  ol.appendChild(li);
  while (ol.children.length > 300) ol.firstChild.remove();
  ol.scrollTop = ol.scrollHeight;
}

// ---- connection banner, devices, ownership ---------------------------------------------------

function renderConnection() {
  const { status, reason } = client;
  $('conn').textContent = status;
  $('conn').dataset.status = status;
  const b = $('banner');
  if (status === 'not_running') {
    b.hidden = false;
    b.dataset.kind = 'not_running';
    b.textContent = 'dictabridged is not running: start it (systemctl --user start dictabridge, ' +
      'or ./dev.sh run in the checkout); this page reconnects by itself.';
  } else if (status === 'refused') {
    b.hidden = false;
    b.dataset.kind = 'refused';
    b.textContent = `dictabridged refused this page's origin (${location.origin}): add it with ` +
      '--allow-origin or the allowed_origins configuration key.';
  } else {
    b.hidden = true;
    b.dataset.kind = '';
  }
  if (reason) b.title = reason;
}

function renderDevices() {
  const ul = $('devices');
  ul.textContent = '';
  if (client.status !== 'open' || client.devices.size === 0) {
    ul.innerHTML = '<li class="empty">none</li>';
    return;
  }
  for (const d of client.devices.values()) {
    const li = document.createElement('li');
    li.dataset.deviceId = d.id;
    li.dataset.family = d.family;
    li.innerHTML = '<div class="model"></div><div class="id"></div>';
    li.querySelector('.model').textContent = d.model;
    li.querySelector('.id').textContent = d.id;
    ul.appendChild(li);
  }
}

function renderOwner() {
  $('owner').dataset.owner = String(client.isOwner);
  $('owner').textContent = client.isOwner ? 'this tab' : 'another tab or app';
}

client.addEventListener('connection', (e) => {
  renderConnection();
  renderDevices();
  renderOwner();
  log('connection', `connection: ${e.detail.status}${e.detail.reason ? ' (' + e.detail.reason + ')' : ''}`,
      { status: e.detail.status });
});
for (const t of ['hello', 'device.added', 'device.removed']) {
  client.addEventListener(t, (e) => {
    renderDevices();
    if (t !== 'hello') log('device', `${t} ${e.detail.device?.id ?? e.detail.device_id}`);
  });
}
client.addEventListener('claim', (e) => {
  renderOwner();
  log('claim', `claim: ${e.detail.owner ? 'this tab receives the commands' : 'commands go elsewhere'}`,
      { owner: e.detail.owner });
});
client.addEventListener('button', (e) => {
  const m = e.detail;
  log('button', `button ${m.button} ${m.pressed ? 'down' : 'up'} (${m.device_id})`,
      { button: m.button, pressed: m.pressed });
});
client.addEventListener('command', (e) => {
  const m = e.detail;
  log('command', `command ${m.command} (${m.button ?? '-'} ${m.gesture})`, { command: m.command });
});
client.addEventListener('slider', (e) => log('button', `slider ${e.detail.position} (${e.detail.device_id})`));
client.addEventListener('motion', (e) => log('button', `motion ${e.detail.state} (${e.detail.device_id})`));
client.addEventListener('error', (e) => log('error', `daemon error ${e.detail.code}: ${e.detail.message}`));

// ---- the LED state: every `state` the page sends, shown as the record LED will show it ---------

const sendState = client.setState.bind(client);
let stateCount = 0;
client.setState = (s) => {
  const sent = sendState(s);
  stateCount += 1;
  const p = $('led-state');
  const led = s.recording ? 'red' : s.report_open ? 'green' : 'off';
  p.dataset.recording = String(Boolean(s.recording));
  p.dataset.reportOpen = String(Boolean(s.report_open));
  p.dataset.led = led;
  p.dataset.count = String(stateCount);
  p.textContent = `record LED ${led}: state {recording: ${Boolean(s.recording)}, ` +
    `report_open: ${Boolean(s.report_open)}} (#${stateCount}${sent ? '' : ', kept for the next connection'})`;
  log('state', `state sent: recording=${Boolean(s.recording)} report_open=${Boolean(s.report_open)}`);
  return sent;
};

// ---- the reporting iframe (simulator) and the relay ---------------------------------------------

const relay = createRadpairRelay({
  iframe: $('report-frame'),
  iframeOrigin: location.origin,
  bridge: client,
  getToken: async () => 'demo-access-token',   // the simulator accepts any token
  onNotice: (n) => log('notice', `relay: ${n.reason}`, { command: n.command ?? '' }),
});
window.demo = { client, relay };   // for the console (and the browser tests)

function renderRelay() {
  const s = relay.state;
  const r = s.report;
  $('relay-state').textContent = `signed in: ${s.signedIn}, report: ` +
    `${r ? `${r.mrn} ${r.accessions.join('+')} ${r.status}` : 'none'}, recording: ${s.recording}`;
}
relay.addEventListener('state', renderRelay);
relay.addEventListener('iframe', (e) => {
  const f = e.detail.fields;
  log('iframe', `iframe: ${e.detail.name}${f.accession_number ? ' ' + f.accession_number : ''}` +
      `${f.report_status ? ' (' + f.report_status + ')' : ''}`, { event: e.detail.name });
});
renderRelay();
// The iframe is loaded only now, with the relay listening: its app_ready cannot be missed.
$('report-frame').src = $('report-frame').dataset.src;

$('open-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const accs = f.acc.value.split(',').map((s) => s.trim()).filter(Boolean);
  const req = { mrn: f.mrn.value.trim(), site_id: f.site.value.trim() };
  if (accs.length > 1) req.accession_numbers = accs;
  else req.accession_number = accs[0];
  try {
    relay.openReport(req);
  } catch (err) {
    log('error', `open report: ${err.message}`);
  }
});

// ---- audio: the meter stays idle, this daemon version does not stream audio --------------------

$('audio-level').value = 0;

renderConnection();
client.connect();
