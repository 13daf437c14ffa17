import { fakeIframe, postFrom, FakeBridge, settle, fakeClock } from './fakes.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRadpairRelay, DEFAULT_MESSAGES, DEFAULT_EVENTS, UNVERIFIED_MESSAGES,
         UNVERIFIED_EVENTS } from '../../web/radpair-relay.js';

const ORIGIN = 'https://reader.example.org';
const OFF = { recording: false, report_open: false };
const GREEN = { recording: false, report_open: true };
const RED = { recording: true, report_open: true };

/** A relay on fakes, with helpers to play the iframe. */
function setup(options = {}) {
  const iframe = fakeIframe();
  const clock = fakeClock();
  const bridge = new FakeBridge();
  const notices = [];
  const states = [];
  let tokens = 0;
  const relay = createRadpairRelay({
    iframe, iframeOrigin: ORIGIN, bridge,
    getToken: async () => `token-${++tokens}`,
    onNotice: (n) => notices.push(n),
    timers: clock,
    ...options,
  });
  relay.addEventListener('state', (ev) => states.push(ev.detail));
  const posted = iframe.contentWindow.posted;
  return {
    relay, iframe, bridge, notices, states, posted, clock,
    /** The iframe posts an event. */
    send: (type, data) => postFrom(iframe, data === undefined ? type : { type, data },
                                   { origin: ORIGIN }),
    /** Messages posted to the iframe since the last call. */
    takePosted: () => posted.splice(0).map((p) => p.message),
  };
}

/** Signs in and opens `request` as `status`; returns the helpers. */
async function withOpenReport(request, status = 'draft', options = {}) {
  const t = setup(options);
  t.relay.openReport(request);
  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  const first = request.accession_numbers?.[0] ?? request.accession_number;
  t.send('report.opened', { mrn: request.mrn, accession_number: first, site_id: request.site_id,
                            report_status: status });
  t.takePosted();
  t.bridge.states.length = 0;
  t.states.length = 0;
  return t;
}

const ONE = { mrn: 'M1', accession_number: 'A1', site_id: 'S1' };
const GROUP = { mrn: 'M1', accession_numbers: ['A1', 'A2', 'A3'], site_id: 'S1' };

test('handshake: the token goes out after every app_ready, the report after sign-in', async () => {
  const t = setup();
  assert.deepEqual(t.bridge.states, [OFF], 'the LED starts off');
  t.relay.openReport({ ...ONE, metadata: { modality: 'CT' } });
  assert.deepEqual(t.takePosted(), [], 'nothing before sign-in');

  t.send('app_ready');
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-1' }]);
  t.send('sign_in_successful');
  assert.equal(t.relay.state.signedIn, true);
  assert.deepEqual(t.takePosted(), [{ type: 'open_report', mrn: 'M1', accession_number: 'A1',
                                      site_id: 'S1', metadata: { modality: 'CT' } }]);

  // The credentialless iframe reloads: a new app_ready, the token again, the report again.
  t.send('app_ready');
  assert.equal(t.relay.state.signedIn, false);
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-2' }]);
  t.send('sign_in_successful');
  assert.deepEqual(t.takePosted().map((m) => m.type), ['open_report']);

  t.relay.openReport(GROUP);   // signed in: posted at once
  assert.deepEqual(t.takePosted(), [{ type: 'open_report', ...GROUP }]);
});

test('messages from another origin or another window are ignored; posts name the origin', async () => {
  const t = setup();
  postFrom(t.iframe, 'app_ready', { origin: 'https://evil.example' });
  postFrom(t.iframe, 'app_ready', { origin: ORIGIN, source: {} });
  postFrom(t.iframe, 'sign_in_successful', { origin: ORIGIN, source: null });
  await settle();
  assert.deepEqual(t.posted, []);
  assert.equal(t.relay.state.signedIn, false);

  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  t.relay.openReport(ONE);
  t.send('report.opened', { ...ONE, report_status: 'draft' });
  t.bridge.command('report.save');
  assert.equal(t.posted.length, 3);
  assert.deepEqual(t.posted.map((p) => p.targetOrigin), [ORIGIN, ORIGIN, ORIGIN]);
});

test('event names come from strings, type or event fields; fields from data or the message', async () => {
  const t = setup();
  postFrom(t.iframe, { event: 'sign_in_successful' }, { origin: ORIGIN });
  assert.equal(t.relay.state.signedIn, true);
  postFrom(t.iframe, { type: 'report.opened', mrn: 'M9', accession_number: 'A9',
                       report_status: 'unread' }, { origin: ORIGIN });
  assert.deepEqual(t.relay.state.report, { site_id: null, mrn: 'M9', accessions: ['A9'],
                                           status: 'unread' });
  postFrom(t.iframe, { type: 'report.saved', data: { mrn: 'M9', accession_number: 'A9',
                                                     report_status: 'draft' } }, { origin: ORIGIN });
  assert.equal(t.relay.state.report.status, 'draft');
  postFrom(t.iframe, 42, { origin: ORIGIN });
  postFrom(t.iframe, { type: 'report.unknown_event' }, { origin: ORIGIN });
  assert.equal(t.relay.state.report.status, 'draft');
});

test('bridge commands post the table entries', async () => {
  const t = await withOpenReport(ONE);
  const cases = [
    ['record.start', 'record_start'], ['record.stop', 'record_stop'],
    ['record.toggle', 'record_toggle'], ['report.process', 'process'],
    ['report.save', 'save'], ['report.sign_prelim', 'sign_prelim'],
  ];
  for (const [command, action] of cases) {
    t.bridge.command(command);
    assert.deepEqual(t.takePosted(), [DEFAULT_MESSAGES[action]], command);
  }
  t.bridge.command('report.sign');
  assert.deepEqual(t.takePosted(), [{ type: 'sign_report', sign_type: 'sign' }]);
  t.bridge.command('report.discard');
  assert.deepEqual(t.takePosted(), [{ type: 'discard_report' }]);
  t.bridge.command('report.close');
  assert.deepEqual(t.takePosted(), [{ type: 'close_report' }]);
  assert.deepEqual(t.notices.map((n) => n.kind), ['led_follows_relay'], 'said once');
});

test('messages overrides replace entries, objects or functions; events overrides rename', async () => {
  const t = await withOpenReport(ONE, 'draft', {
    messages: {
      process: { action: 'vendor.process' },
      authenticate: ({ token }) => ({ kind: 'auth', jwt: token }),
      field_next: { action: 'vendor.next_field' },
    },
    events: { opened: 'reportOpened' },
  });
  assert.deepEqual(t.relay.state.report, null, 'report.opened is no longer the name');
  t.send('reportOpened', { ...ONE, report_status: 'draft' });
  assert.equal(t.relay.state.report.status, 'draft');
  t.bridge.command('report.process');
  t.bridge.command('field.next');
  t.bridge.command('report.save');
  assert.deepEqual(t.takePosted(), [{ action: 'vendor.process' }, { action: 'vendor.next_field' },
                                    { type: 'save_report' }]);
  t.send('app_ready');
  await settle();
  assert.deepEqual(t.takePosted(), [{ kind: 'auth', jwt: 'token-2' }]);
  assert.equal(DEFAULT_MESSAGES.process.type, 'process_report', 'defaults untouched');
  assert.equal(DEFAULT_EVENTS.opened, 'report.opened');
});

test('field.next / field.previous have no known message: a notice, nothing posted', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('field.next');
  t.bridge.command('field.previous');
  assert.deepEqual(t.posted, []);
  assert.deepEqual(t.notices.map((n) => n.command), ['field.next', 'field.previous']);
  assert.match(t.notices[0].reason, /no known message for field\.next.*'field_next'/);
});

test('commands without an open report do nothing and raise a notice', async () => {
  const t = setup();
  const events = [];
  t.relay.addEventListener('notice', (ev) => events.push(ev.detail));
  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  t.takePosted();
  for (const c of ['record.toggle', 'report.sign', 'report.discard', 'report.close']) {
    assert.equal(t.relay.command(c), false);
  }
  assert.deepEqual(t.posted, []);
  assert.equal(t.notices.length, 4);
  assert.deepEqual(events, t.notices);
  assert.deepEqual(t.notices[0], { kind: 'refused', command: 'record.toggle',
                                   reason: 'no report is open: record.toggle ignored' });
  assert.deepEqual(t.bridge.states, [OFF], 'the LED never left off');
  t.relay.command('nonsense');
  assert.match(t.notices.at(-1).reason, /unknown command/);
});

test('signing: refused once signed; final sign allowed from prelim_signed, prelim sign not', async () => {
  const t = await withOpenReport(ONE, 'prelim_signed');
  t.bridge.command('report.sign_prelim');
  assert.deepEqual(t.posted, []);
  assert.match(t.notices.at(-1).reason, /the report is prelim_signed: report.sign_prelim ignored/);
  t.bridge.command('report.sign');
  assert.deepEqual(t.takePosted(), [{ type: 'sign_report', sign_type: 'sign' }]);

  t.send('report.signed', { ...ONE, report_status: 'signed', sign_context: { sign_type: 'sign' } });
  assert.equal(t.relay.state.report.status, 'signed');
  for (const c of ['report.sign', 'report.sign_prelim', 'record.toggle', 'report.discard']) {
    t.bridge.command(c);
  }
  assert.deepEqual(t.posted, []);
  assert.match(t.notices.at(-1).reason, /the report is signed: report.discard ignored/);
  t.bridge.command('report.close');
  assert.deepEqual(t.takePosted(), [{ type: 'close_report' }], 'a signed report can be closed');
});

test('a linked group: three report.signed are one state change and one setState', async () => {
  const t = await withOpenReport(GROUP);
  assert.deepEqual(t.relay.state.report, { site_id: 'S1', mrn: 'M1',
                                           accessions: ['A1', 'A2', 'A3'], status: 'draft' });
  t.bridge.command('record.toggle');
  assert.deepEqual(t.bridge.states, [RED]);
  t.states.length = 0;
  t.bridge.states.length = 0;
  for (const a of GROUP.accession_numbers) {
    t.send('report.signed', { mrn: 'M1', accession_number: a, site_id: 'S1',
                              report_status: 'signed', sign_context: { sign_type: 'sign' } });
  }
  assert.equal(t.states.length, 1);
  assert.deepEqual(t.states[0].report.accessions, ['A1', 'A2', 'A3']);
  assert.equal(t.states[0].recording, false);
  assert.deepEqual(t.bridge.states, [OFF]);
});

test('recall: signed, then opened again as draft, is an open report again', async () => {
  const t = await withOpenReport(ONE);
  t.send('report.signed', { ...ONE, report_status: 'signed', sign_context: { sign_type: 'sign' } });
  assert.deepEqual(t.bridge.states, [OFF]);
  t.send('report.opened', { ...ONE, report_status: 'draft' });
  assert.equal(t.relay.state.report.status, 'draft');
  assert.deepEqual(t.bridge.states, [OFF, GREEN]);
  t.bridge.command('report.sign');
  assert.deepEqual(t.takePosted(), [{ type: 'sign_report', sign_type: 'sign' }]);
  // The window ends: report.signed again.
  t.send('report.signed', { ...ONE, report_status: 'signed', sign_context: { sign_type: 'sign' } });
  t.send('report.signed', { ...ONE, report_status: 'signed', sign_context: { sign_type: 'sign' } });
  assert.deepEqual(t.bridge.states, [OFF, GREEN, OFF]);
});

test('setState follows recording, open report and none', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.toggle');
  t.bridge.command('record.toggle');
  t.bridge.command('record.start');
  t.bridge.command('record.start');   // already recording: no new state
  t.send('report.saved', { ...ONE, report_status: 'draft' });
  t.send('report.closed', { ...ONE });
  assert.deepEqual(t.bridge.states, [RED, GREEN, RED, OFF]);
  assert.equal(t.relay.state.report, null);
  assert.equal(t.relay.state.recording, false);

  // The iframe's own recording events, when it sends them.
  t.send('report.opened', { mrn: 'M2', accession_number: 'B1', report_status: 'unread' });
  t.send('recording.started', { mrn: 'M2', accession_number: 'B1' });
  t.send('recording.stopped', { mrn: 'M2', accession_number: 'B1' });
  t.send('recording.started', { mrn: 'M2', accession_number: 'B1' });
  t.send('report.discarded_completely', { mrn: 'M2', accession_number: 'B1' });
  assert.deepEqual(t.bridge.states.slice(4), [GREEN, RED, GREEN, RED, OFF]);
});

test('a close of another report changes nothing; a closed report is not reopened at sign-in', async () => {
  const t = await withOpenReport(ONE);
  t.send('report.closed', { mrn: 'M1', accession_number: 'OTHER' });
  t.send('report.closed', { mrn: 'OTHER', accession_number: 'A1' });
  assert.equal(t.relay.state.report.status, 'draft');
  t.send('report.closed', { ...ONE });
  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  assert.deepEqual(t.takePosted().map((m) => m.type), ['authenticate']);
});

test('sign_type decides the status after report.signed; a prelim-signed report stays open', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.start');
  t.send('report.signed', { ...ONE, report_status: 'preliminary',
                            sign_context: { sign_type: 'sign_prelim' } });
  assert.equal(t.relay.state.report.status, 'prelim_signed');
  assert.equal(t.relay.state.recording, false);
  t.bridge.states.splice(0, 1);   // the record.start
  assert.deepEqual(t.bridge.states, [GREEN], 'still open: the LED goes back to green');
  t.send('report.signed', { ...ONE, sign_context: { sign_type: 'sign_addendum' } });
  assert.equal(t.relay.state.report.status, 'addendum_signed');
  assert.deepEqual(t.bridge.states, [GREEN, OFF]);
});

test('recording without an open report never lights the LED red', async () => {
  const t = setup();
  t.send('recording.started');
  assert.equal(t.relay.state.recording, true);
  assert.deepEqual(t.bridge.states, [OFF]);
});

test('app_ready forgets the report and the recording', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.start');
  t.send('app_ready');
  assert.deepEqual(t.relay.state, { signedIn: false, report: null, recording: false });
  assert.deepEqual(t.bridge.states, [RED, OFF]);
});

test('a failing getToken raises a notice; openReport checks its request', async () => {
  const t = setup({ getToken: () => Promise.reject(new Error('expired')) });
  t.send('app_ready');
  await settle();
  assert.deepEqual(t.posted, []);
  assert.deepEqual(t.notices, [{ kind: 'token', command: null,
    reason: "could not get the reporting app's access token: Error: expired" }]);
  assert.throws(() => t.relay.openReport({ mrn: 'M1', site_id: 'S1' }), TypeError);
  assert.throws(() => t.relay.openReport({ mrn: 'M1', accession_numbers: [], site_id: 'S1' }),
                TypeError);
  assert.throws(() => t.relay.openReport({ accession_number: 'A1', site_id: 'S1' }), TypeError);
});

test('a token that arrives after destroy() is not posted', async () => {
  const t = setup();
  t.send('app_ready');
  t.relay.destroy();
  await settle();
  assert.deepEqual(t.posted, []);
});

test('losing the commands while recording stops the recording; otherwise nothing', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.claim(true);
  t.bridge.claim(false);            // not recording: nothing to stop
  assert.deepEqual(t.takePosted(), []);
  t.bridge.claim(true);
  t.bridge.command('record.start');
  t.takePosted();
  t.bridge.claim(true);             // still the owner
  assert.deepEqual(t.takePosted(), []);
  t.bridge.claim(false);            // another tab claimed
  assert.deepEqual(t.takePosted(), [DEFAULT_MESSAGES.record_stop]);
  assert.equal(t.relay.state.recording, false);
  assert.deepEqual(t.bridge.states.at(-1), GREEN, 'the LED state sent is not recording');
  t.bridge.claim(false);
  assert.deepEqual(t.takePosted(), [], 'stopped once');
  // (the one notice: without the iframe's recording events the LED follows the relay)
  assert.deepEqual(t.notices.map((n) => n.kind), ['led_follows_relay']);
});

test('destroy removes the listeners', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.start');
  t.takePosted();
  t.relay.destroy();
  t.send('app_ready');
  t.bridge.command('report.save');
  t.bridge.claim(false);
  await settle();
  assert.deepEqual(t.posted, []);
  assert.equal(t.relay.state.signedIn, true);
});

test('a report is site id + MRN + accession: the same MRN and accession at another site is another report', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.start');
  t.bridge.states.length = 0;
  const elsewhere = { ...ONE, site_id: 'S2' };
  for (const type of ['report.saved', 'report.closed', 'report.discarded_completely']) {
    t.send(type, { ...elsewhere, report_status: 'draft' });
  }
  t.send('report.signed', { ...elsewhere, report_status: 'signed',
                            sign_context: { sign_type: 'sign' } });
  assert.deepEqual(t.relay.state.report, { site_id: 'S1', mrn: 'M1', accessions: ['A1'],
                                           status: 'draft' });
  assert.equal(t.relay.state.recording, true);
  assert.deepEqual(t.bridge.states, [], 'the LED untouched');

  // The iframe opens the other site's report: now that one is current.
  t.send('report.opened', { ...elsewhere, report_status: 'unread' });
  assert.deepEqual(t.relay.state.report, { site_id: 'S2', mrn: 'M1', accessions: ['A1'],
                                           status: 'unread' });
  assert.equal(t.relay.state.recording, false);
});

test('a late report.signed (recall window ending after the next report opened) never takes over', async () => {
  const t = await withOpenReport(GROUP);
  t.send('report.opened', { mrn: 'M1', accession_number: 'A1', site_id: 'S1',
                            report_status: 'draft' });
  // Signed with report recall: report.signed at the start of the window, once per accession.
  for (const a of GROUP.accession_numbers) {
    t.send('report.signed', { mrn: 'M1', accession_number: a, site_id: 'S1',
                              report_status: 'signed', sign_context: { sign_type: 'sign' } });
  }
  assert.deepEqual(t.bridge.states, [OFF]);
  // The radiologist opens the next case and dictates.
  const NEXT = { mrn: 'M2', accession_number: 'B1', site_id: 'S1' };
  t.relay.openReport(NEXT);
  t.send('report.opened', { ...NEXT, report_status: 'draft' });
  t.bridge.command('record.toggle');
  assert.deepEqual(t.bridge.states, [OFF, GREEN, RED]);
  t.takePosted();
  t.states.length = 0;

  // The recall window of the first report elapses: report.signed again for every accession.
  for (const a of GROUP.accession_numbers) {
    t.send('report.signed', { mrn: 'M1', accession_number: a, site_id: 'S1',
                              report_status: 'signed', sign_context: { sign_type: 'sign' } });
  }
  assert.deepEqual(t.relay.state.report, { site_id: 'S1', mrn: 'M2', accessions: ['B1'],
                                           status: 'draft' });
  assert.equal(t.relay.state.recording, true);
  assert.deepEqual(t.states, [], 'no state change');
  assert.deepEqual(t.bridge.states, [OFF, GREEN, RED], 'the LED stays red');
  t.bridge.command('record.toggle');
  assert.deepEqual(t.takePosted(), [{ type: 'toggle_recording' }], 'the next press still records');
  assert.deepEqual(t.notices.filter((n) => n.kind !== 'led_follows_relay'), []);

  // A recall of the first report from inside the iframe makes it current again, as a group.
  t.send('report.opened', { mrn: 'M1', accession_number: 'A1', site_id: 'S1',
                            report_status: 'draft' });
  assert.deepEqual(t.relay.state.report, { site_id: 'S1', mrn: 'M1',
                                           accessions: ['A1', 'A2', 'A3'], status: 'draft' });
  // ... and a late event for the second one changes nothing either.
  t.send('report.closed', { ...NEXT });
  assert.equal(t.relay.state.report.mrn, 'M1');
});

test('the relay remembers a bounded number of other reports', async () => {
  const t = await withOpenReport(ONE);
  for (let i = 0; i < 100; i++) {
    t.send('report.opened', { mrn: `M${i}`, accession_number: `X${i}`, site_id: 'S1' });
  }
  assert.ok(t.relay._known.length <= 32, `${t.relay._known.length} reports remembered`);
  assert.equal(t.relay.state.report.mrn, 'M99');
});

// --- sign-in lifecycle ---------------------------------------------------------------------

const HOUR = 3600 * 1000;

test('no sign_in_successful within signInTimeoutMs: a notice; in time: none', async () => {
  const t = setup({ signInTimeoutMs: 10000 });
  t.send('app_ready');
  await settle();
  t.clock.advance(9999);
  assert.deepEqual(t.notices, []);
  t.clock.advance(1);
  assert.equal(t.notices.length, 1);
  assert.equal(t.notices[0].kind, 'sign_in_timeout');
  assert.match(t.notices[0].reason, /no sign_in_successful within 10 s/);

  t.send('app_ready');
  await settle();
  t.clock.advance(5000);
  t.send('sign_in_successful');
  t.clock.advance(60000);
  assert.equal(t.notices.length, 1, 'a sign-in in time raises nothing');
});

test('the token is renewed before its 24 h expiry, without reopening the open report', async () => {
  const t = await withOpenReport(ONE);
  assert.deepEqual(t.clock.pending.size > 0, true);
  t.clock.advance(23 * HOUR - 1);
  await settle();
  assert.deepEqual(t.takePosted(), []);
  t.clock.advance(1);
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-2' }]);
  t.send('sign_in_successful');
  assert.deepEqual(t.takePosted(), [], 'the report is open: not opened again');
  assert.equal(t.relay.state.report.accessions[0], 'A1');
  // and again 23 h later
  t.clock.advance(23 * HOUR);
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-3' }]);
  // a renewed token the app never confirms is reported too
  t.clock.advance(30000);
  assert.deepEqual(t.notices.map((n) => n.kind), ['sign_in_timeout']);
});

test('tokenRefreshMs is configurable; app_ready restarts the schedule', async () => {
  const t = setup({ tokenRefreshMs: HOUR });
  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  t.clock.advance(HOUR / 2);
  t.send('app_ready');   // reload: a new token now, the next one an hour after it
  await settle();
  assert.deepEqual(t.takePosted().map((m) => m.token), ['token-1', 'token-2']);
  t.send('sign_in_successful');
  t.clock.advance(HOUR / 2);
  await settle();
  assert.deepEqual(t.takePosted(), [], 'the old schedule is gone');
  t.clock.advance(HOUR / 2);
  await settle();
  assert.deepEqual(t.takePosted().map((m) => m.token), ['token-3']);
});

test('not_authenticated from the iframe: sign in again at once; the open report stays', async () => {
  const t = await withOpenReport(ONE, 'draft', { events: { not_authenticated: 'auth.required' } });
  t.send('not_authenticated');   // the default name is no longer the one
  await settle();
  assert.deepEqual(t.takePosted(), []);
  t.send('auth.required', { reason: 'token expired' });
  assert.equal(t.relay.state.signedIn, false);
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-2' }]);
  t.send('auth.required');   // two more while getToken runs: one sign-in
  t.send('auth.required');
  await settle();
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'token-3' }]);
  t.send('sign_in_successful');
  assert.equal(t.relay.state.signedIn, true);
  assert.deepEqual(t.takePosted(), [], 'the report is still the current one');
});

test('concurrent sign-in requests share one getToken call', async () => {
  let calls = 0;
  let release;
  const t = setup({ getToken: () => { calls++; return new Promise((r) => { release = r; }); } });
  t.send('app_ready');
  t.send('not_authenticated');
  t.send('not_authenticated');
  release('tok');
  await settle();
  assert.equal(calls, 1);
  assert.deepEqual(t.takePosted(), [{ type: 'authenticate', token: 'tok' }]);
});

test('destroy() stops the sign-in and refresh timers', async () => {
  const t = setup();
  t.send('app_ready');
  await settle();
  t.relay.destroy();
  assert.equal(t.clock.pending.size, 0);
});

// --- guessed control messages ----------------------------------------------------------------

test('the guessed table entries are listed as unverified', () => {
  assert.deepEqual([...UNVERIFIED_EVENTS].sort(),
                   ['not_authenticated', 'recording_started', 'recording_stopped']);
  for (const a of ['record_start', 'record_stop', 'record_toggle', 'process', 'sign',
                   'sign_prelim', 'save', 'discard', 'close', 'authenticate', 'open_report']) {
    assert.ok(UNVERIFIED_MESSAGES.includes(a), a);
  }
  assert.ok(!UNVERIFIED_MESSAGES.includes('field_next'), 'no entry, nothing to verify');
  assert.ok(Object.isFrozen(UNVERIFIED_MESSAGES) && Object.isFrozen(UNVERIFIED_EVENTS));
});

test('a control message without its iframe event in reactionTimeoutMs: a notice naming it', async () => {
  const t = await withOpenReport(ONE, 'draft', { reactionTimeoutMs: 2000 });
  t.bridge.command('report.save');
  t.clock.advance(1999);
  assert.deepEqual(t.notices, []);
  t.clock.advance(1);
  assert.equal(t.notices.length, 1);
  assert.equal(t.notices[0].kind, 'no_reaction');
  assert.equal(t.notices[0].command, 'report.save');
  assert.match(t.notices[0].reason, /did not react to the 'save_report' message \(report\.save\) within 2 s.*'save'/);

  // answered in time: no notice
  t.bridge.command('report.save');
  t.clock.advance(500);
  t.send('report.saved', { ...ONE, report_status: 'draft' });
  t.bridge.command('report.sign');
  t.send('report.signed', { ...ONE, sign_context: { sign_type: 'sign' } });
  t.clock.advance(10000);
  assert.equal(t.notices.length, 1);

  // process has no known answering event: not watched
  const u = await withOpenReport(ONE, 'draft', { reactionTimeoutMs: 2000 });
  u.bridge.command('report.process');
  u.clock.advance(10000);
  assert.deepEqual(u.notices, []);
});

test('open_report without report.opened raises a notice too', async () => {
  const t = setup({ reactionTimeoutMs: 1000 });
  t.send('app_ready');
  await settle();
  t.send('sign_in_successful');
  t.relay.openReport(ONE);
  t.clock.advance(1000);
  assert.deepEqual(t.notices.map((n) => n.kind), ['no_reaction']);
  assert.match(t.notices[0].reason, /'open_report'/);
});

test('without recording events, the LED follows the relay\'s posts and it says so once', async () => {
  const t = await withOpenReport(ONE);
  t.bridge.command('record.toggle');
  t.bridge.command('record.toggle');
  t.bridge.command('record.start');
  assert.deepEqual(t.bridge.states, [RED, GREEN, RED]);
  assert.deepEqual(t.notices.map((n) => n.kind), ['led_follows_relay']);
  assert.match(t.notices[0].reason, /follows the relay's own record messages, not the reporting app/);
  t.clock.advance(60000);
  assert.equal(t.notices.length, 1, 'record posts are not watched without recording events');
});

test('with recording events configured, recording follows the iframe only', async () => {
  const t = await withOpenReport(ONE, 'draft', {
    events: { recording_started: 'dictation.on', recording_stopped: 'dictation.off' },
    reactionTimeoutMs: 3000,
  });
  t.bridge.command('record.toggle');
  assert.deepEqual(t.takePosted(), [{ type: 'toggle_recording' }]);
  assert.equal(t.relay.state.recording, false, 'not before the iframe says so');
  assert.deepEqual(t.bridge.states, []);
  t.send('dictation.on', { ...ONE });
  assert.deepEqual(t.bridge.states, [RED]);
  t.clock.advance(10000);
  assert.deepEqual(t.notices, [], 'answered, and no led_follows_relay notice');

  // started and stopped from the app's own controls
  t.send('dictation.off', { ...ONE });
  t.send('dictation.on', { ...ONE });
  assert.deepEqual(t.bridge.states, [RED, GREEN, RED]);
  // an event for another report does not touch this one
  t.send('dictation.off', { mrn: 'M7', accession_number: 'Z', site_id: 'S1' });
  assert.equal(t.relay.state.recording, true);

  // a record message the iframe ignores
  t.bridge.command('record.stop');
  t.clock.advance(3000);
  assert.deepEqual(t.notices.map((n) => n.kind), ['no_reaction']);
  assert.match(t.notices[0].reason, /'stop_recording' message \(record\.stop\)/);
  assert.equal(t.relay.state.recording, true, 'the LED still says what the app said');
});

test('a recording event from the iframe counts as configured from then on', async () => {
  const t = await withOpenReport(ONE);
  t.send('recording.started', { ...ONE });
  assert.deepEqual(t.bridge.states, [RED]);
  t.bridge.command('record.stop');
  assert.equal(t.relay.state.recording, true, 'waits for the iframe');
  t.send('recording.stopped', { ...ONE });
  assert.deepEqual(t.bridge.states, [RED, GREEN]);
  assert.deepEqual(t.notices, []);
});

// --- coexistence with the iframe's own WebHID ------------------------------------------------

test('an iframe allowed hid raises a notice and a console warning; without hid nothing', async (ctx) => {
  const warn = ctx.mock.method(console, 'warn', () => {});
  const events = [];
  const withHid = fakeIframe({ allow: 'microphone; hid' });
  const t = setup({ iframe: withHid });
  t.relay.addEventListener('notice', (e) => events.push(e.detail));
  await settle();
  assert.deepEqual(t.notices.map((n) => n.kind), ['hid']);
  assert.deepEqual(events, t.notices, 'the notice event too');
  assert.match(t.notices[0].reason, /allow="hid"/);
  assert.equal(warn.mock.callCount(), 1);
  assert.match(warn.mock.calls[0].arguments[0], /WebHID/);

  for (const allow of ['microphone', 'microphone; hidden-thing', '', null]) {
    const u = setup({ iframe: fakeIframe({ allow }) });
    await settle();
    assert.deepEqual(u.notices, [], String(allow));
  }
  const v = setup({ iframe: fakeIframe({ allow: "hid 'src'; microphone" }) });
  await settle();
  assert.deepEqual(v.notices.map((n) => n.kind), ['hid'], 'an allowlist after the name');
  assert.equal(warn.mock.callCount(), 2);
});
