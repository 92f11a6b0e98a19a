// Small helpers of the console: building DOM nodes, formatting numbers
// and ages, state badges, sparklines, toasts and modal dialogs. No
// framework: every page builds plain elements with h().

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('div', {class: 'x', onclick: fn}, child, 'text', [more]) -> element.
// Attributes starting with "on" become listeners (never inline handlers:
// the Content-Security-Policy forbids them); null/false skip.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces the children of el.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const MS_PER_S = 1000;
const S_PER_MIN = 60;
const MIN_PER_H = 60;

// A duration in ms as "12 ms", "3.4 s", "5 min", "2 h 10 min".
export function duration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < MS_PER_S) return `${Math.round(ms)} ms`;
  const s = ms / MS_PER_S;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < S_PER_MIN) return `${Math.round(s)} s`;
  const min = Math.floor(s / S_PER_MIN);
  if (min < MIN_PER_H) return `${min} min`;
  const hrs = Math.floor(min / MIN_PER_H);
  return `${hrs} h ${min % MIN_PER_H} min`;
}

// An age in ms as "12 ms ago", or "never".
export function ago(ms) {
  return ms === null || ms === undefined ? 'never' : `${duration(ms)} ago`;
}

export function int(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

// "2026-06-24T10:30:45.123Z" -> "10:30:45.123" (UTC, as the logs).
export function clock(iso) {
  const m = /T(\d\d:\d\d:\d\d(\.\d+)?)/.exec(iso || '');
  return m ? m[1] : iso || '';
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

// Health state -> class. Colour always comes with the state's name.
const STATE_CLASS = {
  HEALTHY: 'ok', CONNECTING: 'info', UNHEALTHY: 'warn', DISCONNECTED: 'bad',
  RESTARTING: 'busy', STOPPED: 'off',
};

export function stateClass(state) {
  return STATE_CLASS[state] || 'off';
}

export function badge(text, cls, title) {
  return h('span', {class: `badge ${cls}`, title}, text);
}

export function stateBadge(state) {
  return badge(state || 'UNKNOWN', stateClass(state));
}

// ---------------------------------------------------------------------------
// Sparkline: values (numbers) as a small SVG line, newest on the right
// ---------------------------------------------------------------------------

const SPARK_W = 120;
const SPARK_H = 28;

export function sparkline(values, label) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  if (values.length < 2) return svg;
  const max = Math.max(1, ...values);
  const step = SPARK_W / (values.length - 1);
  const pts = values.map((v, i) =>
    `${(i * step).toFixed(1)},${(SPARK_H - 2 - (v / max) * (SPARK_H - 4)).toFixed(1)}`);
  const area = document.createElementNS(SVG_NS, 'polygon');
  area.setAttribute('points', `0,${SPARK_H} ${pts.join(' ')} ${SPARK_W},${SPARK_H}`);
  area.setAttribute('class', 'spark-area');
  const line = document.createElementNS(SVG_NS, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('class', 'spark-line');
  svg.append(area, line);
  return svg;
}

// ---------------------------------------------------------------------------
// Toasts
// ---------------------------------------------------------------------------

const TOAST_MS = 6000;

export function toast(text, kind = 'ok') {
  const box = document.getElementById('toasts');
  const t = h('div', {class: `toast ${kind}`, role: kind === 'bad' ? 'alert' : 'status'}, text);
  box.append(t);
  setTimeout(() => t.remove(), TOAST_MS);
}

// ---------------------------------------------------------------------------
// Dialogs (<dialog>, keyboard reachable, Escape cancels)
// ---------------------------------------------------------------------------

// Shows a modal built by build(close) and resolves with what close gets
// (undefined on Escape).
export function modal(build, cls = '') {
  const dlg = document.getElementById('dialog');
  return new Promise((resolve) => {
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      dlg.close();
      resolve(value);
    };
    dlg.className = cls;
    fill(dlg, build(close));
    dlg.onclose = () => close(undefined);
    dlg.showModal();
    const first = dlg.querySelector('[autofocus], input, select, textarea, button.primary, button');
    if (first) first.focus();
  });
}

// Asks a yes/no question; resolves true when confirmed.
export function confirmDialog({title, body, confirm = 'Confirm', danger = false}) {
  return modal((close) => h('form', {method: 'dialog', class: 'dlg',
    onsubmit: (e) => { e.preventDefault(); close(true); }},
  h('h2', {}, title),
  h('div', {class: 'dlg-body'}, body),
  h('div', {class: 'dlg-actions'},
    h('button', {type: 'button', class: 'btn', onclick: () => close(false)}, 'Cancel'),
    h('button', {type: 'submit', class: danger ? 'btn danger' : 'btn primary', autofocus: true},
      confirm))))
    .then((v) => v === true);
}

// Runs the async action behind a button: the button shows progress, then
// success or the error next to it (and in a toast). Returns the action's
// result, or undefined when it failed.
export async function withProgress(button, busyText, action, doneText = 'Done') {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  const note = noteOf(button);
  button.disabled = true;
  button.classList.add('busy');
  button.textContent = busyText;
  fill(note);
  note.className = 'note';
  try {
    const result = await action();
    note.className = 'note ok';
    fill(note, doneText);
    return result;
  } catch (err) {
    note.className = 'note bad';
    fill(note, err.message || String(err));
    toast(err.message || String(err), 'bad');
    return undefined;
  } finally {
    button.disabled = false;
    button.classList.remove('busy');
    button.textContent = label;
  }
}

// The note element that belongs to a button (data-note names its id).
function noteOf(button) {
  const id = button.dataset.note;
  return (id && document.getElementById(id)) || h('span');
}

// Downloads text as a file (a blob URL: nothing leaves the browser).
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], {type: 'text/plain'}));
  const a = h('a', {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), MS_PER_S);
}
