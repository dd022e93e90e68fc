/* live.js: the page's live feed of task changes (docs/api.md, "Live").
 * Opens EventSource('/ops/stream') (the session cookie signs it in;
 * EventSource resumes with Last-Event-ID by itself) and, for every batch of
 * changes, dispatches on document
 *   CustomEvent('ops:changes', {detail: {changes: [{task_id, type, version}]}})
 * When the stream is refused (503 past the server's cap, an old proxy) or
 * keeps failing, it polls GET /ops/changes every 2 s from the last position
 * instead, dispatching the same event, and tries the stream again every
 * 60 s. A tab hidden for 5 s lets its stream go (browsers give a site six
 * connections: hidden tabs must not hold them) and, shown again, resumes
 * from its last position, so what changed meanwhile still arrives. Pages
 * depend on that event alone. Loaded once per page. */
(function () {
  'use strict';
  if (window.OpsLive) return;
  var POLL_MS = 2000, STREAM_RETRY_MS = 60000, BATCH_MS = 50, FAILS_BEFORE_POLLING = 3, HIDDEN_MS = 5000;
  var live = window.OpsLive = {mode: 'starting'}; /* mode: for tests and debugging only */
  var last = null, pending = [], flushTimer = 0, source = null, fails = 0, pollTimer = 0, retryTimer = 0,
    hideTimer = 0, asking = false; /* asking: a poll is on its way (one chain of polls at a time) */

  function flush() {
    flushTimer = 0;
    if (!pending.length) return;
    var changes = pending;
    pending = [];
    document.dispatchEvent(new CustomEvent('ops:changes', {detail: {changes: changes}}));
  }

  /* changes that arrive together (one poll of the server's feed) go out as one batch */
  function add(c) {
    if (!c || typeof c.task_id !== 'string' || typeof c.type !== 'string') return;
    pending.push({task_id: c.task_id, type: c.type, version: c.version});
    if (!flushTimer) flushTimer = setTimeout(flush, BATCH_MS);
  }

  function after() { return last ? '?after=' + encodeURIComponent(last) : ''; }

  function poll() {
    pollTimer = 0;
    asking = true;
    var more = false, stop = false;
    fetch('/ops/changes' + after(), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) {
        if (r.status === 401) stop = true; /* signed out: the page itself says so */
        return r.ok ? r.json() : null;
      })
      .then(function (b) {
        if (!b) return;
        (b.data || []).forEach(add);
        if (b.last_event_id) last = b.last_event_id;
        more = !!b.more;
      })
      .catch(function () {})
      .then(function () {
        asking = false;
        if (live.mode === 'polling' && !stop) pollTimer = setTimeout(poll, more ? 0 : POLL_MS);
      });
  }

  function startPolling() {
    if (source) { source.close(); source = null; }
    if (live.mode !== 'polling') {
      live.mode = 'polling';
      if (!asking && !pollTimer) poll();
    }
    if (!retryTimer && window.EventSource) retryTimer = setTimeout(function () { retryTimer = 0; openStream(); }, STREAM_RETRY_MS);
  }

  function openStream() {
    if (!window.EventSource) { startPolling(); return; }
    /* after a spell of polling, the stream goes on from where it left off */
    var es = source = new EventSource('/ops/stream' + after());
    es.addEventListener('ready', function (e) {
      fails = 0;
      if (e.lastEventId) last = e.lastEventId;
      if (pollTimer) { clearTimeout(pollTimer); pollTimer = 0; }
      live.mode = 'stream';
    });
    es.onmessage = function (e) {
      if (e.lastEventId) last = e.lastEventId;
      var c;
      try { c = JSON.parse(e.data); } catch (x) { return; }
      add(c);
    };
    es.onerror = function () {
      /* CLOSED: refused (an answer other than 200); CONNECTING: EventSource
       * retries by itself, resuming, unless that keeps failing */
      if (es.readyState === EventSource.CLOSED || ++fails >= FAILS_BEFORE_POLLING) {
        es.close();
        if (source === es) source = null;
        fails = 0;
        startPolling();
      }
    };
  }

  function pause() {
    hideTimer = 0;
    if (source) { source.close(); source = null; }
    clearTimeout(pollTimer);
    clearTimeout(retryTimer);
    pollTimer = retryTimer = 0;
    live.mode = 'paused';
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      if (!hideTimer) hideTimer = setTimeout(pause, HIDDEN_MS);
      return;
    }
    clearTimeout(hideTimer);
    hideTimer = 0;
    if (live.mode === 'paused') openStream();
  });

  openStream();
})();
