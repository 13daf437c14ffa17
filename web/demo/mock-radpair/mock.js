// Reporting-iframe simulator: NOT RADPAIR. It plays the iframe side of the integration
// documented in RADPAIR's "Basic Iframe Integration Guide" and "Report Linking" pages
// (handshake app_ready → token → sign_in_successful, open by MRN + accession + site id,
// linked reports, the core report events with their payload fields, report recall), so the
// demo host page and its relay can be tried and tested without an account. Whatever the
// guides leave unspecified (the names of the control messages for dictation, process, sign,
// save, discard and close) follows the relay's DEFAULT_MESSAGES table (web/radpair-relay.js).
//
// Query parameters: parent_origin=ORIGIN (repeatable; default: this page's own origin)
// lists the parent origins whose messages are accepted, like the iframe's admin whitelist.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const PARENT_ORIGINS = params.getAll('parent_origin').length
  ? params.getAll('parent_origin') : [location.origin];

const USER_INFO = { id: 'sim-user-1', email: 'radiologist@example.org',
                    first_name: 'Sim', last_name: 'Radiologist' };
const SIGN_STATUS = { sign: 'signed', sign_prelim: 'prelim_signed',
                      sign_addendum: 'addendum_signed',
                      sign_addendum_prelim: 'addendum_prelim_signed' };
// Which sign types a report status allows (the linking guide's status transitions).
const SIGN_FROM = {
  sign: ['unread', 'draft', 'prelim_signed', 'addendum_prelim_signed'],
  sign_prelim: ['unread', 'draft'],
  sign_addendum: ['signed', 'addendum_signed', 'addendum_prelim_signed'],
  sign_addendum_prelim: ['signed', 'addendum_prelim_signed'],
};

const st = {
  token: null,
  report: null,          // { mrn, site_id, accessions: [...], status, metadata }
  recording: false,
  critical: null,
  recall: null,          // { timer, sign_type, report } while a recall window runs
  statuses: new Map(),   // "site|mrn|acc" -> last status (reports persist, opening is an upsert)
  parentOrigin: PARENT_ORIGINS[0],
};

// ---- the log and the view ----------------------------------------------------------------

function log(dir, type, detail) {
  const li = document.createElement('li');
  li.className = dir;
  li.dataset.dir = dir;
  li.dataset.type = type;
  if (detail && detail.accession_number) li.dataset.accession = detail.accession_number;
  li.textContent = `${new Date().toISOString().slice(11, 23)} ${dir} ${type}` +
    (detail ? ' ' + JSON.stringify(detail) : '');
  const ol = $('log');
  ol.appendChild(li);
  ol.scrollTop = ol.scrollHeight;
}

function render() {
  const r = st.report;
  $('signin').textContent = st.token ? `signed in as ${USER_INFO.email}` : 'waiting for the access token';
  $('signin').dataset.state = st.token ? 'signed_in' : 'signed_out';
  $('report').textContent = r ? `${r.mrn} / ${r.accessions.join(', ')} @ ${r.site_id}` : 'none open';
  $('report').dataset.state = r ? 'open' : 'none';
  $('report').dataset.accessions = r ? r.accessions.join(',') : '';
  $('status').textContent = r ? r.status : '-';
  $('recording').textContent = st.recording ? 'recording' : 'off';
  $('recording').dataset.recording = String(st.recording);
  $('btn-recall').disabled = !st.recall;
  $('btn-sign-now').disabled = !st.recall;
  const ul = $('linked');
  ul.textContent = '';
  for (const a of (r && r.accessions.length > 1 ? r.accessions : [])) {
    const li = document.createElement('li');
    li.textContent = a + (a === r.accessions[0] ? ' (default report)' : '');
    ul.appendChild(li);
  }
}

// ---- events out ----------------------------------------------------------------------------

// The guides' event payload: every event carries mrn, accession_number, site_id,
// report_status, user_info, timestamp and critical_result (object or null); listeners read
// the event name from `type` and the fields from `data` (payload.data.sign_context...).
function emit(type, accession, extra, r = st.report) {
  const data = {
    mrn: r.mrn, accession_number: accession, site_id: r.site_id,
    report_status: r.status, user_info: USER_INFO,
    timestamp: Math.floor(Date.now() / 1000),
    critical_result: st.critical, ...extra,
  };
  post({ type, data });
}

function post(msg) {
  log('out', msg.type, msg.data);
  window.parent.postMessage(msg, st.parentOrigin);
}

// ---- actions (from the host page's messages and from this page's own buttons) -------------

function key(r, acc) { return `${r.site_id}|${r.mrn}|${acc}`; }

function setStatus(status, r = st.report) {
  r.status = status;
  for (const a of r.accessions) st.statuses.set(key(r, a), status);
}

function stopRecording() {
  if (st.recording && st.report && $('chk-rec-events').checked) {
    st.recording = false;
    emit('recording.stopped', st.report.accessions[0]);
  }
  st.recording = false;
  clearInterval(st.dictation);
}

const actions = {
  token(m) {
    const token = m.token;
    if (typeof token !== 'string' || !token) return 'no token';
    st.token = token;
    post({ type: 'sign_in_successful' });
  },
  open(m) {
    if (!st.token) return 'not authenticated';
    const accs = Array.isArray(m.accession_numbers) ? m.accession_numbers.map(String)
      : (m.accession_number != null ? [String(m.accession_number)] : []);
    if (!m.mrn || !accs.length || !m.site_id) return 'mrn, accession number(s) and site_id are required';
    // A recall window keeps running when the next report is opened (it is a timer on the
    // signed report): its second report.signed then arrives while another report is open.
    stopRecording();
    const r = { mrn: String(m.mrn), site_id: String(m.site_id), accessions: accs,
                metadata: m.metadata || m.metadata_by_accession || null };
    const prior = st.statuses.get(key(r, accs[0]));
    r.status = !prior || prior === 'unread' ? 'draft' : prior;
    st.report = r;
    setStatus(r.status);
    if (accs.length > 1) emit('report.linked', accs[0], {});
    emit('report.opened', accs[0]);   // the default report (the group's first) gets the event
  },
  record_start() { return setRecording(true); },
  record_stop() { return setRecording(false); },
  record_toggle() { return setRecording(!st.recording); },
  process() {
    if (!editable()) return 'no editable report';
    $('transcript').textContent += ' [processed into a structured report]';
  },
  save() {
    if (!editable()) return 'no editable report';
    emit('report.saved', st.report.accessions[0]);
  },
  discard() {
    if (!st.report) return 'no report open';
    stopRecording();
    setStatus('unread');   // unassigned, back on the worklist
    emit('report.discarded_completely', st.report.accessions[0]);
    st.report = null;
    $('transcript').textContent = '';
  },
  close() {
    if (!st.report) return 'no report open';
    stopRecording();
    emit('report.closed', st.report.accessions[0]);
    st.report = null;
    $('transcript').textContent = '';
  },
  sign(m) {
    const type = m.sign_type || 'sign';
    if (!st.report) return 'no report open';
    if (!SIGN_STATUS[type]) return `unknown sign_type ${type}`;
    if (!SIGN_FROM[type].includes(st.report.status)) return `cannot ${type} a ${st.report.status} report`;
    stopRecording();
    setStatus(SIGN_STATUS[type]);
    signedEvents(type);
    if ($('chk-recall').checked) {
      finishRecall();   // one window at a time: an earlier one ends now
      const secs = Math.max(1, Math.min(120, Number($('in-recall-s').value) || 20));
      st.recall = { sign_type: type, report: st.report,
                    timer: setTimeout(finishRecall, secs * 1000) };
    }
  },
  // Recalling reopens the signed report (as draft), whichever report is open now.
  recall() {
    if (!st.recall) return 'no recall window open';
    clearTimeout(st.recall.timer);
    const { report } = st.recall;
    st.recall = null;
    stopRecording();
    st.report = report;
    setStatus('draft');
    emit('report.opened', report.accessions[0]);
  },
  sign_now() { return st.recall ? finishRecall() : 'no recall window open'; },
};
actions.sign_prelim = (m) => actions.sign({ ...m, sign_type: 'sign_prelim' });

// One report.signed per linked accession number (the guide: "separate report.signed events
// for each linked accession number").
function signedEvents(type, r = st.report) {
  for (const a of r.accessions) emit('report.signed', a, { sign_context: { sign_type: type } }, r);
}

// End of the recall window (elapsed, or "Sign Now"): report.signed again for the report
// that was signed, even when another one is open by now (the guide's Report Recall note).
function finishRecall() {
  if (!st.recall) return;
  clearTimeout(st.recall.timer);
  const { sign_type, report } = st.recall;
  st.recall = null;
  signedEvents(sign_type, report);
  render();
}

function editable() {
  return st.report && ['unread', 'draft'].includes(st.report.status);
}

function setRecording(on) {
  if (on && !editable()) return 'no editable report to dictate into';
  if (on === st.recording) return null;
  st.recording = on;
  // Not in the public guides: only when the tester asks for it.
  if ($('chk-rec-events').checked) emit(on ? 'recording.started' : 'recording.stopped', st.report.accessions[0]);
  clearInterval(st.dictation);
  if (on) {
    const words = 'no acute cardiopulmonary abnormality the lungs are clear'.split(' ');
    let i = 0;
    st.dictation = setInterval(() => { $('transcript').textContent += ' ' + words[i++ % words.length]; }, 700);
  }
  return null;
}

// ---- messages from the host page -------------------------------------------------------------

// Message names accepted from the host page → action. The guides publish the handshake
// (the access token, then the report to open); the names of the control messages are not
// public, so these are the relay's DEFAULT_MESSAGES (web/radpair-relay.js), which an
// integrator overrides there with the vendor's real names.
const MESSAGE_ACTIONS = {
  authenticate: 'token',            // {type, token}
  open_report: 'open',              // {type, mrn, site_id, accession_number | accession_numbers, ...}
  start_recording: 'record_start',
  stop_recording: 'record_stop',
  toggle_recording: 'record_toggle',
  process_report: 'process',
  sign_report: 'sign',              // {type, sign_type: sign | sign_prelim | ...}
  save_report: 'save',
  discard_report: 'discard',
  close_report: 'close',
};

window.addEventListener('message', (e) => {
  if (e.source !== window.parent || !PARENT_ORIGINS.includes(e.origin)) return;
  const m = e.data;
  if (!m || typeof m !== 'object') return;
  const name = m.type ?? m.action ?? m.event;
  const fields = { ...m, ...(m.data && typeof m.data === 'object' ? m.data : {}),
                   ...(m.payload && typeof m.payload === 'object' ? m.payload : {}) };
  const action = MESSAGE_ACTIONS[name];
  st.parentOrigin = e.origin;
  if (!action) {
    log('ignored', String(name), { reason: 'unknown message' });
    return;
  }
  const shown = { ...fields };
  if ('token' in shown) shown.token = '…';
  delete shown.type;
  log('in', String(name), shown);
  const err = actions[action](fields);
  if (err) log('ignored', String(name), { reason: err });
  // How the real app says so is not public: this is the relay's default event name.
  if (err === 'not authenticated') post({ type: 'not_authenticated' });
  render();
});

// ---- this page's own buttons (what the radiologist clicks inside the reporting app) -------

function ui(id, fn) {
  $(id).addEventListener('click', () => {
    const err = fn();
    if (err) log('ignored', id, { reason: err });
    render();
  });
}
ui('btn-open', () => {
  if (!st.token) st.token = 'local-demo-session';   // a user signing in by hand
  const accs = $('in-acc').value.split(',').map((s) => s.trim()).filter(Boolean);
  return actions.open({ mrn: $('in-mrn').value.trim(), site_id: $('in-site').value.trim(),
                        ...(accs.length > 1 ? { accession_numbers: accs } : { accession_number: accs[0] }) });
});
ui('btn-record', () => actions.record_toggle());
ui('btn-process', () => actions.process());
ui('btn-save', () => actions.save());
ui('btn-discard', () => actions.discard());
ui('btn-close', () => actions.close());
ui('btn-sign', () => actions.sign({ sign_type: $('sel-sign').value }));
ui('btn-recall', () => actions.recall());
ui('btn-sign-now', () => actions.sign_now());
$('sel-critical').addEventListener('change', (e) => {
  const o = e.target.selectedOptions[0];
  st.critical = o.value ? { name: o.textContent, value: o.value } : null;
});

render();
// Handshake, step 1: the app is loaded and waits for the access token.
post({ type: 'app_ready' });
