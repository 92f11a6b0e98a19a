// The admin API as the console calls it: reads from this node, changes
// sent to this node (a follower forwards them to the leader). The bearer
// token, when the cluster has one, is asked for before the first change
// and kept in this tab's sessionStorage only.
import {h, modal} from './lib.js';

const TOKEN_KEY = 'hamd.token';
// A change refused with 503 "no leader", or with "no leader: forwarding
// to node N failed: ... cannot connect" (this node still names a leader
// that died), was submitted nowhere: asked again every 200 ms for up to
// 3 s, as hactl does (an election on a loaded host takes 1-3 s), before
// the page says so.
const NO_LEADER_RETRY_MS = 200;
const NO_LEADER_WAIT_MS = 3000;

export class ApiError extends Error {
  constructor(status, message, field) {
    super(message);
    this.status = status;
    this.field = field || null;
  }
}

// Whether this node says changes need a token (null: not known yet).
let tokenRequired = null;
const authListeners = new Set();

export function setTokenRequired(required) {
  if (tokenRequired === required) return;
  tokenRequired = required;
  authListeners.forEach((fn) => fn());
}

export function onAuthChange(fn) {
  authListeners.add(fn);
}

export function authState() {
  return {required: tokenRequired, set: sessionStorage.getItem(TOKEN_KEY) !== null};
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  authListeners.forEach((fn) => fn());
}

// Asks for the token; resolves with it ("" to send without one) or
// undefined when cancelled.
export function askToken(reason) {
  return modal((close) => {
    const input = h('input', {type: 'password', id: 'token-input', autocomplete: 'off',
      spellcheck: 'false', 'aria-describedby': 'token-help', autofocus: true});
    return h('form', {class: 'dlg', onsubmit: (e) => { e.preventDefault(); close(input.value.trim()); }},
      h('h2', {}, 'Bearer token'),
      h('div', {class: 'dlg-body'},
        h('p', {}, reason),
        h('label', {for: 'token-input'}, 'Token (first line of [admin] token_file)'),
        input,
        h('p', {id: 'token-help', class: 'muted'},
          'Kept in this browser tab only (sessionStorage) and sent with changes.')),
      h('div', {class: 'dlg-actions'},
        h('button', {type: 'button', class: 'btn', onclick: () => close(undefined)}, 'Cancel'),
        h('button', {type: 'submit', class: 'btn primary', id: 'token-ok'}, 'Use token')));
  });
}

export async function setToken() {
  const t = await askToken('Changes to this cluster need its bearer token.');
  if (t === undefined) return false;
  sessionStorage.setItem(TOKEN_KEY, t);
  authListeners.forEach((fn) => fn());
  return true;
}

async function parse(resp) {
  const text = await resp.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

function errorOf(status, body) {
  const msg = body && typeof body === 'object' && body.error ? body.error : `HTTP ${status}`;
  return new ApiError(status, msg, body && body.field);
}

async function call(method, path, body, headers = {}) {
  let resp;
  try {
    resp = await fetch(path, {
      method, headers: {...headers, ...(body !== undefined ? {'Content-Type': 'application/json'} : {})},
      body: body !== undefined ? JSON.stringify(body) : undefined, cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, `this node did not answer (${err.message})`);
  }
  const data = await parse(resp);
  if (!resp.ok) throw Object.assign(errorOf(resp.status, data), {response: data});
  return data;
}

// GET path -> its JSON; throws ApiError.
export function get(path) {
  return call('GET', path);
}

const NOT_SUBMITTED = /^no leader(: forwarding to node \d+ failed: .*cannot connect.*)?$/;

function noLeader(err) {
  return err.status === 503 && NOT_SUBMITTED.test(err.message);
}

// call(), asked again while the answer is "no leader".
async function callLeader(method, path, body, headers) {
  for (let waited = 0; ; waited += NO_LEADER_RETRY_MS) {
    try {
      return await call(method, path, body, headers);
    } catch (err) {
      if (!noLeader(err)) throw err;
      if (waited >= NO_LEADER_WAIT_MS) {
        throw new ApiError(503, `No leader for ${NO_LEADER_WAIT_MS / 1000} s: nothing was changed. ` +
          'An election is under way or fewer than a majority of nodes are up; ' +
          `try again once the overview shows a leader (503 ${err.message})`);
      }
      await new Promise((resolve) => setTimeout(resolve, NO_LEADER_RETRY_MS));
    }
  }
}

// A change: asks for the token first when the cluster needs one and none
// is set; a 401 forgets the token and says why; "no leader" is asked
// again for a while. Throws ApiError.
export async function send(method, path, body) {
  if (tokenRequired && sessionStorage.getItem(TOKEN_KEY) === null && !(await setToken()))
    throw new ApiError(0, 'Cancelled: this change needs the bearer token');
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers = token ? {Authorization: `Bearer ${token}`} : {};
  try {
    return await callLeader(method, path, body, headers);
  } catch (err) {
    if (err.status === 401) {
      forgetToken();
      setTokenRequired(true);
      throw new ApiError(401, `401 Unauthorized: ${token ? 'the token was refused' :
        'this change needs the bearer token'} (${err.message})`);
    }
    throw err;
  }
}
