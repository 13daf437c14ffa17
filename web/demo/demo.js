// The demo host page: owns the WebSocket to dictabridged (DictabridgeClient), relays the
// devices' commands to the embedded reporting iframe (createRadpairRelay) and shows what
// goes on. The iframe here is the reporting-iframe SIMULATOR (mock-radpair/), not RADPAIR.
//
// Query parameters: port=N (the daemon's port; default: this page's port when the page is
// served from a loopback address, which is what dictabridged's /demo/ does, else 27415),
// or daemon=ws://... (the whole URL, loopback only: see daemon-url.js).
// The modules are imported as /web/*.js: dictabridged serves web/ there (and this page both
// as /demo/ and /web/demo/).
import { DictabridgeClient } from '../../web/dictabridge.js';
import { createRadpairRelay } from '../../web/radpair-relay.js';
import { createVirtualUnit, showLeds } from './virtual-unit.js';
import { daemonUrl } from './daemon-url.js';

const $ = (id) => document.getElementById(id);
const target = daemonUrl(location.search, location);

// A refused ?daemon= or ?port= connects nowhere: the page says why instead.
const client = new DictabridgeClient('url' in target ? { url: target.url } : {});
$('daemon-url').textContent = 'url' in target ? client.url : `not connecting: ${target.error}`;

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

/** On-screen devices of virtual units, kept across re-renders (a held button stays held). */
const virtualUnits = new Map();

function renderDevices() {
  const ul = $('devices');
  ul.textContent = '';
  for (const id of virtualUnits.keys()) {
    if (client.status !== 'open' || !client.devices.has(id)) virtualUnits.delete(id);
  }
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
    if (d.warning) {
      const w = document.createElement('div');
      w.className = 'warning';
      w.textContent = d.warning;
      li.appendChild(w);
    }
    if (d.virtual) {
      if (!virtualUnits.has(d.id)) virtualUnits.set(d.id, createVirtualUnit(client, d));
      li.appendChild(virtualUnits.get(d.id));
    }
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
client.addEventListener('leds', (e) => {
  const box = virtualUnits.get(e.detail.device_id);
  if (box) showLeds(box, e.detail.leds);
});
client.addEventListener('slider', (e) => log('button', `slider ${e.detail.position} (${e.detail.device_id})`));
client.addEventListener('motion', (e) => log('button', `motion ${e.detail.state} (${e.detail.device_id})`));
client.addEventListener('error', (e) => log('error', `daemon error ${e.detail.code}: ${e.detail.message}` +
    ` (${e.detail.request ?? 'unreadable request'})`));

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
  onNotice: (n) => log('notice', `relay: ${n.reason}`,
                       { ...(n.command ? { command: n.command } : {}), notice: n.kind }),
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

// ---- microphones: listen to a unit's audio stream and show its level (never played out loud) ----

const AUDIO_RATE = 16000;
const LEVEL_FLOOR_DB = -60;   // the meter's bottom: quieter than that reads as silence here
const NO_MIC = 'No microphone: this unit has no sound card of its own and no audio.device ' +
  '(--audio-device) is configured. The daemon never falls back to another microphone, so ' +
  'it cannot be listened to.';
const SOURCES = { paired: "the unit's own sound card", config: 'configured', default: 'system default' };

/** Per device id: its row and stream, kept across re-renders and after an unplug. */
const audioRows = new Map();
let audioRowSerial = 0;

function audioRow(id) {
  let row = audioRows.get(id);
  if (row) return row;
  const n = ++audioRowSerial;
  const li = document.createElement('li');
  li.dataset.deviceId = id;
  li.innerHTML = `
    <div class="head"><span class="model"></span>
      <button type="button" class="listen" aria-describedby="mic-${n}-why mic-${n}-status"></button></div>
    <div class="id"></div>
    <p class="why note" id="mic-${n}-why"></p>
    <p class="route note"></p>
    <div class="level-row"><label for="mic-${n}-level">level</label>
      <meter id="mic-${n}-level" class="level" min="${LEVEL_FLOOR_DB}" max="0" low="-40" high="-6"
             optimum="-20" value="${LEVEL_FLOOR_DB}"></meter></div>
    <div class="db"></div>
    <div class="counts">frames <b class="frames">0</b> · lost to overruns <b class="overruns">0</b></div>
    <p class="status" id="mic-${n}-status" role="status" aria-live="polite"></p>`;
  li.querySelector('.id').textContent = id;
  row = { id, li, model: id, audio: null, virtual: false, present: false, unsubscribe: null, phase: 'idle',
          text: 'not listening', frames: 0, dropped: 0, rms: null, peak: null };
  li.querySelector('.listen').addEventListener('click', () => toggleListen(row));
  audioRows.set(id, row);
  return row;
}

function setPhase(row, phase, text) {
  row.phase = phase;
  row.text = text;
  if (phase !== 'listening') row.rms = row.peak = null;   // a stale level would look live
  updateAudioRow(row);
}

/**
 * How the daemon's last capture reached the microphone, and whether a browser's
 * getUserMedia (the sound server's default input) records the same one.
 * @param {{via?: string|null, server_source?: string|null, default_input?: boolean|null}|null} audio
 */
function routeText(audio) {
  if (!audio || !audio.via) return { text: '', defaultInput: '' };
  if (audio.via === 'alsa-dsnoop') {
    return { text: 'captured through ALSA, shared (dsnoop: no sound server; ALSA programs that ' +
                   'record the card through dsnoop, as ALSA\'s default device does, record it too)',
             defaultInput: '' };
  }
  if (audio.via !== 'pulse') return { text: 'captured through ALSA (no sound server)', defaultInput: '' };
  if (audio.default_input) {
    return { text: 'through the sound server; it is the default input, so a browser records it too',
             defaultInput: 'yes' };
  }
  return { text: 'through the sound server; not the default input: a browser records another ' +
                 `microphone unless the page picks one. To change: pactl set-default-source ${audio.server_source}`,
           defaultInput: 'no' };
}

function updateAudioRow(row) {
  const { li } = row;
  li.dataset.phase = row.phase;
  li.dataset.present = String(row.present);
  li.querySelector('.model').textContent = row.model;
  const btn = li.querySelector('.listen');
  const listening = row.unsubscribe !== null;
  btn.textContent = listening ? 'Stop listening' : 'Listen';
  btn.dataset.listening = String(listening);
  // Stopping stays possible for a stream waiting for its unit to come back.
  btn.disabled = !listening && (!row.present || !row.audio);
  const why = li.querySelector('.why');
  if (!row.present) why.textContent = '';   // the model line says unplugged
  else if (!row.audio) why.textContent = row.virtual ? 'A virtual unit has no microphone.' : NO_MIC;
  else why.textContent = `microphone: ${row.audio.name} (${SOURCES[row.audio.source] ?? row.audio.source})`;
  li.dataset.audio = row.audio ? 'yes' : 'none';
  const route = routeText(row.present ? row.audio : null);
  li.querySelector('.route').textContent = route.text;
  li.dataset.defaultInput = route.defaultInput;
  const meter = li.querySelector('.level');
  meter.setAttribute('aria-label', `${row.model} microphone level, dBFS RMS`);
  meter.value = row.rms ?? LEVEL_FLOOR_DB;
  const db = li.querySelector('.db');
  db.dataset.rms = row.rms === null ? '' : String(row.rms);
  db.dataset.peak = row.peak === null ? '' : String(row.peak);
  db.textContent = row.rms === null ? 'RMS – dBFS · peak – dBFS'
    : `RMS ${row.rms.toFixed(1)} dBFS · peak ${row.peak.toFixed(1)} dBFS`;
  li.querySelector('.frames').textContent = String(row.frames);
  li.querySelector('.overruns').textContent = String(row.dropped);
  const status = li.querySelector('.status');
  // Rewriting the same text would make screen readers announce it again.
  if (status.textContent !== row.text) status.textContent = row.text;
}

function renderAudio() {
  const open = client.status === 'open';
  for (const row of audioRows.values()) row.present = false;
  if (open) {
    for (const d of client.devices.values()) {
      const row = audioRow(d.id);
      row.present = true;
      row.model = d.model;
      row.audio = d.audio ?? null;
      row.virtual = Boolean(d.virtual);
    }
  }
  const ul = $('audio');
  ul.textContent = '';
  for (const [id, row] of audioRows) {
    // A gone unit keeps its row while there is something to say about its stream.
    if (!row.present && row.unsubscribe === null && !['interrupted', 'failed'].includes(row.phase)) {
      audioRows.delete(id);
      continue;
    }
    updateAudioRow(row);
    ul.appendChild(row.li);
  }
  if (!ul.children.length) ul.innerHTML = '<li class="empty">none</li>';
}

function toggleListen(row) {
  if (row.unsubscribe) {
    row.unsubscribe();
    row.unsubscribe = null;
    // An unplugged unit's stream answers no audio.stopped: the daemon no longer lists it.
    if (client.status === 'open' && row.present) setPhase(row, 'stopping', 'stopping…');
    else setPhase(row, 'stopped', 'stopped');
    renderAudio();
    return;
  }
  row.frames = 0;
  row.dropped = 0;
  row.unsubscribe = client.subscribeAudio(row.id, { rate: AUDIO_RATE }, () => {
    row.frames += 1;
    row.li.querySelector('.frames').textContent = String(row.frames);
  });
  setPhase(row, 'starting', client.status === 'open' ? 'starting…'
    : 'waiting for dictabridged: listening starts once connected');
  log('audio', `audio: listening to ${row.id} at ${AUDIO_RATE} Hz`);
}

client.addEventListener('audio.started', (e) => {
  const m = e.detail;
  const row = audioRows.get(m.device_id);
  if (!row || !row.unsubscribe) return;
  const conv = m.capture_rate && m.capture_rate !== m.rate ? ` from a ${m.capture_rate} Hz microphone` : '';
  setPhase(row, 'listening', `listening: stream ${m.stream_id}, ${m.rate} Hz${conv}`);
  log('audio', `audio.started ${m.device_id} stream ${m.stream_id}`);
});
client.addEventListener('audio.level', (e) => {
  const m = e.detail;
  const row = audioRows.get(m.device_id);
  if (!row || row.phase !== 'listening') return;
  row.rms = m.rms_dbfs;
  row.peak = m.peak_dbfs;
  updateAudioRow(row);
});
client.addEventListener('audio.overrun', (e) => {
  const m = e.detail;
  const row = audioRows.get(m.device_id);
  if (row) {
    row.dropped += m.dropped_frames;
    updateAudioRow(row);
  }
  log('error', `audio.overrun ${m.device_id}: ${m.dropped_frames} frames lost`);
});
client.addEventListener('audio.stopped', (e) => {
  const m = e.detail;
  const row = audioRows.get(m.device_id);
  log('audio', `audio.stopped ${m.device_id}: ${m.reason}${m.message ? ' (' + m.message + ')' : ''}`,
      { reason: m.reason });
  if (!row) return;
  row.li.dataset.reason = m.reason;
  if (m.reason === 'client') {
    // With a subscription still there this is a replaced stream: audio.started follows.
    if (!row.unsubscribe) setPhase(row, 'stopped', 'stopped');
  } else if (m.reason === 'device_removed') {
    setPhase(row, 'interrupted', 'stopped: device removed. Listening resumes when the unit ' +
      'is plugged back in; Stop listening to cancel.');
  } else {
    setPhase(row, 'interrupted', `stopped: error: ${m.message || 'no details'}. Listening ` +
      'resumes when the unit is plugged back in.');
  }
  renderAudio();
});
// A refused audio.start names no device: it is one of those waiting for audio.started.
client.addEventListener('error', (e) => {
  const m = e.detail;
  if (m.request !== 'audio.start') return;
  for (const row of audioRows.values()) {
    if (row.phase !== 'starting' || !row.unsubscribe) continue;
    row.unsubscribe();
    row.unsubscribe = null;
    row.li.dataset.reason = m.code;
    setPhase(row, 'failed', `refused by the daemon (${m.code}): ${m.message}`);
  }
  renderAudio();
});
client.addEventListener('device.changed', (e) => {
  renderDevices();
  renderAudio();
  const a = e.detail.device.audio;
  log('device', `device.changed ${e.detail.device.id}: microphone ${a ? a.name : 'none'}`);
});
client.addEventListener('connection', () => {
  for (const row of audioRows.values()) {
    if (row.unsubscribe && client.status !== 'open' && row.phase !== 'starting') {
      // The client asks again by itself after reconnecting.
      setPhase(row, 'starting', 'waiting for dictabridged: listening resumes once reconnected');
    }
  }
  renderAudio();
});
for (const t of ['hello', 'device.added', 'device.removed']) client.addEventListener(t, renderAudio);
renderAudio();

renderConnection();
if ('url' in target) client.connect();
