// What the console knows, kept live by one Server-Sent Events stream
// (GET /api/stream): the cluster view (`status`), committed events
// (`event`) and this node's log lines (`log`). The stream reconnects by
// itself; after a gap it catches up from /api/events and /api/logs.
import {get, setTokenRequired} from './api.js';

const RETRY_MIN_MS = 1000;       // first reconnect delay
const RETRY_MAX_MS = 5000;       // reconnect delay cap (doubles up to it)
const WATCHDOG_MS = 35000;       // nothing at all for this long: reconnect
const HISTORY_MS = 5 * 60 * 1000; // ticks/s kept for the sparklines
const EVENTS_MAX = 1000;         // events kept in the page
const LOGS_MAX = 5000;           // log lines kept in the page
const EVENTS_FIRST = 200;        // events loaded at start
const LOGS_FIRST = 500;          // log lines loaded at start
const ACCOUNTS_REFRESH_MS = 5000; // accounts re-read (another operator's edits)
const MS_PER_S = 1000;

export const live = {
  view: null,            // the GET /api/cluster document, newest
  viewAt: null,          // when it came (Date.now() ms)
  conn: 'connecting',    // connecting | live | disconnected
  retryInMs: 0,          // when disconnected: next attempt in
  rates: new Map(),      // "node/account" -> [{t, ticks, rate}]
  events: [],            // committed events, oldest first
  logs: [],              // this node's log lines, oldest first
  accounts: null,        // GET /api/accounts, when loaded
  lastEventSeq: 0,       // newest event seq seen
  lastLogSeq: 0,         // newest log seq seen
};

const listeners = new Map();

// Calls fn(data) on each change of kind (view, event, log, conn,
// accounts). Returns a function that stops it.
export function on(kind, fn) {
  if (!listeners.has(kind)) listeners.set(kind, new Set());
  listeners.get(kind).add(fn);
  return () => listeners.get(kind).delete(fn);
}

function emit(kind, data) {
  for (const fn of listeners.get(kind) || []) {
    try {
      fn(data);
    } catch (err) {
      console.error(err); // one page's bug must not stop the others
    }
  }
}

// ---------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------

export function nodes() {
  return live.view ? live.view.nodes : [];
}

export function selfNode() {
  return nodes().find((n) => n.self) || null;
}

// The node of view that publishes (by its own status), else the leader
// view's node names if that one answers, else null: right after a leader
// dies this node still names it for up to an election timeout, and a
// node that does not answer leads nothing the page can show.
export function leaderOf(view) {
  const ns = view ? view.nodes : [];
  return ns.find((n) => n.reachable && n.status && n.status.publishing) ||
    ns.find((n) => n.reachable && n.status && n.id === view.leader) || null;
}

export function leaderNode() {
  return leaderOf(live.view);
}

// The gateway status behind a contract's source in view: ACCOUNT as the
// leader runs it, or ACCOUNT@nodeN as node N runs it (a relayed source:
// the leader's own copy of that account is usually the one that failed).
// null when that node does not answer or runs no such gateway.
export function sourceOf(view, source) {
  const m = /^(.+)@node(\d+)$/.exec(source || '');
  const account = m ? m[1] : source;
  const node = m ? (view ? view.nodes : []).find((n) => n.id === Number(m[2])) : leaderOf(view);
  const gws = (node && node.reachable && node.status && node.status.gateways) || [];
  return gws.find((g) => g.account === account) || null;
}

function recordRates(view, now) {
  for (const n of view.nodes) {
    for (const g of (n.status && n.status.gateways) || []) {
      const key = `${n.id}/${g.account}`;
      const hist = live.rates.get(key) || [];
      const prev = hist[hist.length - 1];
      const dt = prev ? (now - prev.t) / MS_PER_S : 0;
      const rate = prev && dt > 0 ? Math.max(0, (g.ticks - prev.ticks) / dt) : 0;
      hist.push({t: now, ticks: g.ticks, rate});
      while (hist.length && now - hist[0].t > HISTORY_MS) hist.shift();
      live.rates.set(key, hist);
    }
  }
}

function applyView(view) {
  live.view = view;
  live.viewAt = Date.now();
  recordRates(view, Date.now());
  const self = selfNode();
  if (self && self.status) setTokenRequired(!!self.status.token_required);
  emit('view', view);
}

// ticks/s of node's account now, and the series for its sparkline.
export function rateOf(nodeId, account) {
  const hist = live.rates.get(`${nodeId}/${account}`) || [];
  return {now: hist.length > 1 ? hist[hist.length - 1].rate : null,
    series: hist.slice(1).map((p) => p.rate)};
}

// ---------------------------------------------------------------------------
// Events and log lines
// ---------------------------------------------------------------------------

// Appends item (newer than what the list holds) to list, keeping the
// newest max; returns false for an item already seen.
function keep(list, max, item, last) {
  if (item.seq <= last) return false;
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
  return true;
}

function addEvent(ev) {
  if (!keep(live.events, EVENTS_MAX, ev, live.lastEventSeq)) return;
  live.lastEventSeq = ev.seq;
  emit('event', ev);
}

function addLog(line) {
  if (!keep(live.logs, LOGS_MAX, line, live.lastLogSeq)) return;
  live.lastLogSeq = line.seq;
  emit('log', line);
}

async function catchUp() {
  try {
    const ev = live.lastEventSeq ? await get(`/api/events?since=${live.lastEventSeq}&limit=1000`)
      : await get(`/api/events?limit=${EVENTS_FIRST}`);
    if (ev.last_seq < live.lastEventSeq) live.lastEventSeq = 0; // a fresh history
    ev.events.forEach(addEvent);
  } catch { /* the stream brings new ones anyway */ }
  try {
    const q = live.lastLogSeq ? `since=${live.lastLogSeq}&limit=2000` : `limit=${LOGS_FIRST}`;
    const logs = await get(`/api/logs?level=debug&${q}`);
    if (logs.last_seq < live.lastLogSeq) live.lastLogSeq = 0; // the node restarted
    logs.lines.forEach(addLog);
  } catch { /* idem */ }
}

// ---------------------------------------------------------------------------
// Accounts (replicated: this node's copy)
// ---------------------------------------------------------------------------

let accountsLoading = null;

export function refreshAccounts() {
  if (accountsLoading) return accountsLoading;
  accountsLoading = get('/api/accounts').then((list) => {
    // Pages rebuild on this event: only when something changed, so that
    // a form or a switch is not redrawn under the operator's hands.
    if (JSON.stringify(list) !== JSON.stringify(live.accounts)) {
      live.accounts = list;
      emit('accounts', list);
    }
    return list;
  }).catch(() => live.accounts).finally(() => { accountsLoading = null; });
  return accountsLoading;
}

export function accountOf(id) {
  return (live.accounts || []).find((a) => a.id === id) || null;
}

// ---------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------

let source = null;
let retryMs = RETRY_MIN_MS;
let watchdog = null;
let retryTimer = null;

function setConn(conn, retryInMs = 0) {
  live.conn = conn;
  live.retryInMs = retryInMs;
  emit('conn', conn);
}

function feedWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => reconnect(), WATCHDOG_MS);
}

function reconnect() {
  if (source) source.close();
  source = null;
  clearTimeout(watchdog);
  setConn('disconnected', retryMs);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, retryMs);
  retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
}

function listen(name, fn) {
  source.addEventListener(name, (e) => {
    feedWatchdog();
    let data;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    fn(data);
  });
}

let accountsTimer = null;

export function connect() {
  if (!accountsTimer) accountsTimer = setInterval(refreshAccounts, ACCOUNTS_REFRESH_MS);
  if (source) source.close();
  // Every line the node logs: the Logs page filters by level itself.
  source = new EventSource('/api/stream?level=debug');
  listen('status', applyView);
  listen('event', addEvent);
  listen('log', addLog);
  source.onopen = () => {
    retryMs = RETRY_MIN_MS;
    feedWatchdog();
    setConn('live');
    catchUp();
    if (!live.view) get('/api/cluster').then(applyView).catch(() => {});
  };
  // EventSource retries on its own only sometimes (never after a 503):
  // the page does it, with a visible countdown.
  source.onerror = () => reconnect();
}
