// API: the admin API's reference, rendered from GET /api/openapi.json
// (the same as the stand-alone page /api/docs).
import {get} from './api.js';
import {fill, h} from './lib.js';
import {keepAnchorsLocal, renderApi} from './apidoc.js';

export default {
  title: 'API',
  mount(main) {
    const box = h('div', {id: 'api-doc'}, h('p', {class: 'muted'}, 'Loading /api/openapi.json…'));
    fill(main, box);
    keepAnchorsLocal(box);
    get('/api/openapi.json').then((doc) => renderApi(box, doc))
      .catch((err) => fill(box, h('p', {class: 'bad'}, `Cannot read /api/openapi.json: ${err.message}`)));
    return null;
  },
};
