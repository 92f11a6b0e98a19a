// A small renderer of the OpenAPI 3.0 description (/api/openapi.json):
// operations grouped by tag, with parameters, request body and answers,
// and the schemas they use. Used by the console's API page and by the
// stand-alone page /api/docs; nothing is fetched from elsewhere.
import {badge, fill, h} from './lib.js';

const REF_PREFIX = '#/components/schemas/';
const DEPTH_MAX = 4; // nested schemas shown inline before "see below"

function refName(ref) {
  return ref && ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

// A short type text: "string", "integer ≥ 1", "array of Account", ...
function typeText(s) {
  if (!s) return 'any';
  if (s.$ref) return h('a', {href: `#schema-${refName(s.$ref)}`, class: 'mono'}, refName(s.$ref));
  if (s.type === 'array') return ['array of ', typeText(s.items)];
  const parts = [s.type || 'object'];
  if (s.format) parts.push(`(${s.format})`);
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.nullable) parts.push('or null');
  return parts.join(' ');
}

function schemaView(s, depth = 0) {
  if (!s) return null;
  if (s.$ref || s.type === 'array' || (s.type && s.type !== 'object') || !s.properties)
    return h('div', {class: 'schema-line'}, typeText(s),
      s.enum ? h('span', {class: 'muted'}, ` one of ${s.enum.filter((v) => v !== null).join(', ')}`) : null,
      s.description ? h('span', {class: 'muted'}, ` — ${s.description}`) : null,
      s.type === 'array' && s.items && !s.items.$ref && s.items.properties && depth < DEPTH_MAX
        ? schemaView(s.items, depth + 1) : null);
  const required = new Set(s.required || []);
  return h('table', {class: 'grid small schema'},
    h('tbody', {}, Object.entries(s.properties).map(([name, p]) => h('tr', {},
      h('th', {scope: 'row', class: 'mono'}, name, required.has(name) ? h('span', {class: 'req', title: 'required'}, ' *') : null),
      h('td', {}, typeText(p),
        p.enum ? h('div', {class: 'muted small'}, `one of: ${p.enum.filter((v) => v !== null).join(', ')}`) : null,
        p.default !== undefined ? h('div', {class: 'muted small'}, `default ${JSON.stringify(p.default)}`) : null),
      h('td', {class: 'muted'}, p.description || '',
        p.type === 'object' && p.properties && depth < DEPTH_MAX ? schemaView(p, depth + 1) : null,
        p.type === 'array' && p.items && p.items.properties && depth < DEPTH_MAX ? schemaView(p.items, depth + 1) : null)))));
}

function contentSchema(c) {
  const [type, media] = Object.entries(c || {})[0] || [];
  return type ? {type, schema: media.schema} : null;
}

function operation(path, method, op) {
  const id = `op-${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`;
  const params = op.parameters || [];
  const body = op.requestBody && contentSchema(op.requestBody.content);
  return h('article', {class: 'op', id, dataset: {method: method.toUpperCase(), path}},
    h('h3', {class: 'op-head'},
      h('span', {class: `method m-${method}`}, method.toUpperCase()),
      h('span', {class: 'mono op-path'}, path),
      op.security ? badge('token', 'warn', 'needs the bearer token when [admin] token_file is set') : null),
    h('p', {}, op.summary),
    op.description ? h('p', {class: 'muted'}, op.description) : null,
    params.length ? [h('h4', {}, 'Parameters'), h('table', {class: 'grid small'},
      h('thead', {}, h('tr', {}, ['Name', 'In', 'Type', ''].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, params.map((p) => h('tr', {},
        h('th', {scope: 'row', class: 'mono'}, p.name, p.required ? h('span', {class: 'req'}, ' *') : null),
        h('td', {}, p.in), h('td', {}, typeText(p.schema)), h('td', {class: 'muted'}, p.description || '')))))] : null,
    body ? [h('h4', {}, `Request body (${body.type})${op.requestBody.required ? '' : ', optional'}`),
      op.requestBody.description ? h('p', {class: 'muted'}, op.requestBody.description) : null,
      schemaView(body.schema)] : null,
    h('h4', {}, 'Answers'),
    h('table', {class: 'grid small'},
      h('tbody', {}, Object.entries(op.responses).map(([code, r]) => {
        const c = contentSchema(r.content);
        return h('tr', {class: code >= 400 ? 'resp-err' : ''},
          h('th', {scope: 'row', class: 'mono'}, code),
          h('td', {}, r.description),
          h('td', {}, c ? [h('span', {class: 'muted small'}, `${c.type}: `), typeText(c.schema)] : '—'));
      }))));
}

// Renders the description doc into el.
export function renderApi(el, doc) {
  const byTag = new Map((doc.tags || []).map((t) => [t.name, {tag: t, ops: []}]));
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags || ['other'])[0];
      if (!byTag.has(tag)) byTag.set(tag, {tag: {name: tag}, ops: []});
      byTag.get(tag).ops.push(operation(path, method, op));
    }
  const schemas = Object.entries((doc.components || {}).schemas || {});
  fill(el,
    h('section', {class: 'panel api-intro'},
      h('h2', {}, `${doc.info.title} ${doc.info.version}`),
      h('p', {}, doc.info.description),
      h('p', {class: 'muted small'}, `OpenAPI ${doc.openapi}: `, h('a', {href: '/api/openapi.json'}, '/api/openapi.json'),
        ' · full page: ', h('a', {href: '/api/docs'}, '/api/docs')),
      h('nav', {class: 'api-toc', 'aria-label': 'Sections'}, [...byTag.values()].map(({tag, ops}) =>
        h('a', {href: `#tag-${tag.name}`, class: 'chip'}, `${tag.name} (${ops.length})`)),
      h('a', {href: '#schemas', class: 'chip'}, `schemas (${schemas.length})`))),
    [...byTag.values()].map(({tag, ops}) => h('section', {class: 'panel', id: `tag-${tag.name}`},
      h('h2', {}, tag.name, tag.description ? h('span', {class: 'muted'}, ` — ${tag.description}`) : null), ops)),
    h('section', {class: 'panel', id: 'schemas'}, h('h2', {}, 'Schemas'),
      schemas.map(([name, s]) => h('div', {class: 'schema-def', id: `schema-${name}`},
        h('h3', {class: 'mono'}, name), s.description ? h('p', {class: 'muted'}, s.description) : null, schemaView(s)))));
}

// In-page links (#schema-X, #tag-Y) scroll without touching the
// console's hash route.
export function keepAnchorsLocal(el) {
  el.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#"]');
    if (!a || a.getAttribute('href').startsWith('#/')) return;
    const target = document.getElementById(a.getAttribute('href').slice(1));
    if (!target) return;
    e.preventDefault();
    target.scrollIntoView({behavior: 'smooth', block: 'start'});
  });
}
