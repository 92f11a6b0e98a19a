// Accounts: the replicated data-source accounts. An enable toggle that
// changes at once and rolls back with the API's error when refused; a
// create / edit form whose validation errors land on the field the API
// names; delete with confirmation. Secrets are never shown: the API
// masks them ("***") and the form only offers to replace them.
import {ApiError, send} from './api.js';
import {badge, confirmDialog, fill, h, modal, stateBadge, toast, withProgress} from './lib.js';
import {accountOf, live, on, refreshAccounts, selfNode} from './live.js';

const MASK = '***';
const PRIORITY_MIN = 1;
const PRIORITY_MAX = 1000;

function stateHere(id) {
  const self = selfNode();
  const g = ((self && self.status && self.status.gateways) || []).find((x) => x.account === id);
  return g ? g.state : null;
}

// ---------------------------------------------------------------------------
// Enable toggle: optimistic, rolled back on refusal
// ---------------------------------------------------------------------------

function toggle(a) {
  const note = h('span', {class: 'note', id: `toggle-note-${a.id}`});
  const sw = h('button', {type: 'button', role: 'switch', class: 'switch', 'aria-checked': String(a.enabled),
    'aria-label': `${a.id} enabled`, dataset: {account: a.id}},
  h('span', {class: 'switch-knob', 'aria-hidden': 'true'}));
  sw.addEventListener('click', async () => {
    const before = sw.getAttribute('aria-checked') === 'true';
    sw.setAttribute('aria-checked', String(!before)); // at once
    sw.disabled = true;
    fill(note);
    note.className = 'note';
    try {
      await send('PUT', `/api/accounts/${encodeURIComponent(a.id)}`, {enabled: !before});
      toast(`${a.id} ${before ? 'disabled' : 'enabled'} on every node`);
      refreshAccounts();
    } catch (err) {
      sw.setAttribute('aria-checked', String(before)); // rolled back
      note.className = 'note bad';
      fill(note, err.message);
      toast(`${a.id}: ${err.message}`, 'bad');
    } finally {
      sw.disabled = false;
    }
  });
  return h('div', {class: 'toggle-cell'}, sw, note);
}

// ---------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------

function isSecret(v) {
  return v === MASK;
}

function secretRow(key = '', existing = false) {
  // autocomplete off: before a password field, a browser's password
  // manager would fill a saved user name into the secret's name.
  const k = h('input', {type: 'text', class: 'secret-key', value: key, placeholder: 'key (e.g. password)',
    'aria-label': 'Secret parameter name', readonly: existing, autocomplete: 'off'});
  const v = h('input', {type: 'password', class: 'secret-value', autocomplete: 'new-password',
    placeholder: existing ? 'unchanged (type to replace)' : 'value', 'aria-label': `Value of ${key || 'the secret'}`});
  const row = h('div', {class: 'secret-row', dataset: {existing: String(existing)}}, k, v,
    h('button', {type: 'button', class: 'btn small', 'aria-label': 'Remove this secret',
      onclick: () => row.remove()}, 'Remove'));
  return row;
}

function accountForm(acct, close) {
  const editing = !!acct;
  const a = acct || {id: '', name: '', gateway_type: '', priority: PRIORITY_MIN, enabled: true,
    exchanges: [], canary: '', params: {}};
  const plain = {};
  const secretKeys = [];
  for (const [k, v] of Object.entries(a.params || {}))
    (isSecret(v) ? secretKeys.push(k) : (plain[k] = v));
  const errs = {};
  const input = (name, label, el, help) => {
    errs[name] = h('div', {class: 'field-error', id: `err-${name}`, role: 'alert'});
    el.id = `f-${name}`;
    el.name = name;
    el.setAttribute('aria-describedby', `err-${name}${help ? ` help-${name}` : ''}`);
    return h('div', {class: 'field', dataset: {field: name}},
      h('label', {for: `f-${name}`}, label), el,
      help ? h('div', {class: 'muted small', id: `help-${name}`}, help) : null, errs[name]);
  };
  const f = {
    id: h('input', {type: 'text', value: a.id, required: true, readonly: editing, autocomplete: 'off'}),
    name: h('input', {type: 'text', value: a.name}),
    gateway_type: h('input', {type: 'text', value: a.gateway_type, required: true}),
    priority: h('input', {type: 'number', min: PRIORITY_MIN, max: PRIORITY_MAX, value: a.priority, required: true}),
    enabled: h('input', {type: 'checkbox', checked: a.enabled}),
    exchanges: h('input', {type: 'text', value: (a.exchanges || []).join(', '), required: true}),
    canary: h('input', {type: 'text', value: a.canary || ''}),
    params: h('textarea', {rows: 5, spellcheck: 'false', class: 'mono'}),
  };
  f.params.value = JSON.stringify(plain, null, 2);
  const secrets = h('div', {class: 'secrets', id: 'f-secrets'}, secretKeys.map((k) => secretRow(k, true)));
  errs.form = h('div', {class: 'field-error form-error', role: 'alert'});

  const collect = () => {
    let params;
    try {
      params = JSON.parse(f.params.value || '{}');
    } catch (err) {
      throw new ApiError(400, `params is not valid JSON: ${err.message}`, 'params');
    }
    if (typeof params !== 'object' || Array.isArray(params) || params === null)
      throw new ApiError(400, 'params must be a JSON object', 'params');
    for (const row of secrets.querySelectorAll('.secret-row')) {
      const key = row.querySelector('.secret-key').value.trim();
      const val = row.querySelector('.secret-value').value;
      if (!key) continue;
      params[key] = val || (row.dataset.existing === 'true' ? MASK : '');
    }
    const body = {
      name: f.name.value.trim() || undefined,
      gateway_type: f.gateway_type.value.trim(),
      priority: Number(f.priority.value),
      enabled: f.enabled.checked,
      exchanges: f.exchanges.value.split(/[\s,]+/).filter(Boolean),
      canary: f.canary.value.trim(),
      params,
    };
    if (!editing) body.id = f.id.value.trim();
    return body;
  };

  const showError = (err) => {
    Object.values(errs).forEach((e) => fill(e));
    const target = errs[err.field] || errs.form;
    fill(target, err.message);
    const el = f[err.field];
    if (el) el.focus();
  };

  const submit = h('button', {type: 'submit', class: 'btn primary', id: 'f-submit'}, editing ? 'Save' : 'Create');
  return h('form', {class: 'dlg wide', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    let body;
    try {
      body = collect();
    } catch (err) {
      return showError(err);
    }
    submit.disabled = true;
    submit.textContent = editing ? 'Saving…' : 'Creating…';
    try {
      const saved = editing ? await send('PUT', `/api/accounts/${encodeURIComponent(a.id)}`, body)
        : await send('POST', '/api/accounts', body);
      close(saved);
    } catch (err) {
      showError(err);
    } finally {
      submit.disabled = false;
      submit.textContent = editing ? 'Save' : 'Create';
    }
  }},
  h('h2', {}, editing ? `Edit ${a.id}` : 'New account'),
  h('div', {class: 'dlg-body form-grid'},
    input('id', 'ID', f.id, editing ? 'The id cannot change.' : '1–31 of a-z 0-9 _ -, starting with a letter or digit'),
    input('name', 'Name', f.name),
    input('gateway_type', 'Gateway type', f.gateway_type, 'Must have an executable in [gateways]'),
    input('priority', 'Priority', f.priority, '1 = best … 1000'),
    input('exchanges', 'Exchanges', f.exchanges, 'Comma separated, e.g. SHFE, DCE'),
    input('canary', 'Canary', f.canary, 'symbol.EXCHANGE watched for silence in session; empty: none'),
    h('div', {class: 'field check-field', dataset: {field: 'enabled'}},
      h('label', {class: 'check-label', for: 'f-enabled'}, Object.assign(f.enabled, {id: 'f-enabled'}), ' Enabled')),
    input('params', 'Parameters (JSON, without secrets)', f.params, 'Handed to the gateway in HAMD_GW_PARAMS'),
    h('div', {class: 'field', dataset: {field: 'secrets'}},
      h('div', {class: 'label'}, 'Secret parameters'),
      h('p', {class: 'muted small'}, 'Never shown. Leave a value empty to keep the stored one, or type a new one to replace it.'),
      secrets,
      h('button', {type: 'button', class: 'btn small', onclick: () => secrets.append(secretRow())}, 'Add secret')),
    errs.form),
  h('div', {class: 'dlg-actions'},
    h('button', {type: 'button', class: 'btn', onclick: () => close(undefined)}, 'Cancel'), submit));
}

async function editAccount(acct) {
  const saved = await modal((close) => accountForm(acct, close), 'wide');
  if (saved) {
    toast(`${saved.id} ${acct ? 'saved' : 'created'}`);
    refreshAccounts();
  }
}

async function deleteAccount(a, button) {
  const state = stateHere(a.id);
  if (!(await confirmDialog({title: `Delete ${a.id}?`, confirm: `Delete ${a.id}`, danger: true,
    body: [h('p', {}, `${a.id} (priority ${a.priority}) is ${state || 'not running'} on this node.`),
      h('p', {}, 'Its gateways stop on every node and its contracts move to other sources. This cannot be undone.')]})))
    return;
  const r = await withProgress(button, 'Deleting…', () => send('DELETE', `/api/accounts/${encodeURIComponent(a.id)}`), 'Deleted');
  if (r) {
    toast(`${a.id} deleted`);
    refreshAccounts();
  }
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

// The state of the account's gateway on this node, and the operator's
// stop (hactl stop, the Gateways page's Stop) that keeps it STOPPED on
// every node, which an account answer carries as running: false.
function stateCell(a) {
  const st = stateHere(a.id);
  return [st ? stateBadge(st) : badge('not here', 'off'),
    a.running === false ? badge('stopped by operator', 'warn', 'Start it on the Gateways page or with hactl start') : null];
}

function row(a) {
  const del = h('button', {type: 'button', class: 'btn small danger-outline', dataset: {action: 'delete', note: `del-note-${a.id}`}},
    'Delete');
  del.addEventListener('click', () => deleteAccount(a, del));
  return h('tr', {dataset: {account: a.id}},
    h('td', {}, toggle(a)),
    h('th', {scope: 'row', class: 'mono'}, a.id),
    h('td', {}, a.name),
    h('td', {}, a.gateway_type),
    h('td', {class: 'num'}, String(a.priority)),
    h('td', {}, (a.exchanges || []).join(', ')),
    h('td', {class: 'mono'}, a.canary || '—'),
    h('td', {class: 'state-cell'}, stateCell(a)),
    h('td', {class: 'actions'},
      h('button', {type: 'button', class: 'btn small', dataset: {action: 'edit'}, onclick: () => editAccount(accountOf(a.id) || a)}, 'Edit'),
      del, h('span', {class: 'note', id: `del-note-${a.id}`})));
}

export default {
  title: 'Accounts',
  mount(main) {
    const tbody = h('tbody', {});
    const render = () => {
      const list = [...(live.accounts || [])].sort((x, y) => x.priority - y.priority || x.id.localeCompare(y.id));
      if (!live.accounts) return fill(tbody, h('tr', {}, h('td', {colspan: 9, class: 'muted'}, 'Loading…')));
      fill(tbody, list.length ? list.map(row)
        : h('tr', {}, h('td', {colspan: 9, class: 'muted empty'}, 'No accounts yet.')));
    };
    // States change every second; the rest only with the accounts.
    const renderStates = () => {
      for (const tr of tbody.querySelectorAll('tr[data-account]')) {
        const a = accountOf(tr.dataset.account) || {id: tr.dataset.account};
        fill(tr.querySelector('.state-cell'), stateCell(a));
      }
    };
    fill(main,
      h('section', {class: 'panel'},
        h('div', {class: 'toolbar'},
          h('button', {type: 'button', class: 'btn primary', id: 'acct-new', onclick: () => editAccount(null)}, 'New account'),
          h('span', {class: 'muted small'}, 'Changes are replicated: they apply on every node once committed. ',
            'Disabling an account stops its gateways everywhere.')),
        h('div', {class: 'table-wrap'},
          h('table', {class: 'grid', id: 'accounts-table'},
            h('thead', {}, h('tr', {}, ['Enabled', 'ID', 'Name', 'Type', 'Priority', 'Exchanges', 'Canary',
              'State here', ''].map((t) => h('th', {scope: 'col'}, t)))),
            tbody))));
    render();
    refreshAccounts();
    const offs = [on('accounts', render), on('view', renderStates)];
    return () => offs.forEach((off) => off());
  },
};
