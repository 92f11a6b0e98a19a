// /api/docs: the admin API's reference as a page of its own, rendered
// from /api/openapi.json by the console's renderer.
import {fill, h} from './lib.js';
import {keepAnchorsLocal, renderApi} from './apidoc.js';

const main = document.getElementById('main');
keepAnchorsLocal(main);
fetch('/api/openapi.json', {cache: 'no-cache'})
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then((doc) => renderApi(main, doc))
  .catch((err) => fill(main, h('p', {class: 'bad'}, `Cannot read /api/openapi.json: ${err.message}`)));
