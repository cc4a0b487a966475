/**
 * @module The FrontEnd's HTTP metrics label a request with its OpenAPI path template, never the
 * raw URL, so the label set is bounded by the spec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { specOperations } from '../../core/openapi/index.js';
import { OTHER_ROUTE, routeTemplater } from '../../frontend/http-metrics.js';

const route = routeTemplater(
  specOperations().map((o) => o.path),
  ['/openapi.json', '/docs/*'],
);

test('a path with parameters is labelled with its spec template', () => {
  assert.equal(route('/api/v1/jobs/job1533585500968-1533585495'), '/api/v1/jobs/{name}');
  assert.equal(route('/api/v1/jobs/a%2Fb'), '/api/v1/jobs/{name}');
  assert.equal(route('/api/v1/workers/w1/drain'), '/api/v1/workers/{id}/drain');
  assert.equal(route('/api/v1/tasks/j_t1/migrate'), '/api/v1/tasks/{task}/migrate');
  assert.equal(
    route('/RESTfulSwarm/FE/switch_scheduler/best-fit'),
    '/RESTfulSwarm/FE/switch_scheduler/{name}',
  );
});

test('literal paths keep their name; the query string and a trailing slash do not count', () => {
  assert.equal(route('/api/v1/jobs'), '/api/v1/jobs');
  assert.equal(route('/api/v1/jobs?status=running&limit=5'), '/api/v1/jobs');
  assert.equal(route('/api/v1/jobs/'), '/api/v1/jobs');
  assert.equal(route('/api/v1/manager/consistency'), '/api/v1/manager/consistency');
  assert.equal(route('/metrics'), '/metrics');
});

test('a literal segment wins over a parameter in the same place', () => {
  const r = routeTemplater(['/a/{x}', '/a/b', '/a/{x}/c', '/a/b/{y}']);
  assert.equal(r('/a/b'), '/a/b');
  assert.equal(r('/a/z'), '/a/{x}');
  assert.equal(r('/a/b/c'), '/a/b/{y}');
  assert.equal(r('/a/z/c'), '/a/{x}/c');
});

test('routes outside the spec are named by the extras; anything else is one label', () => {
  assert.equal(route('/openapi.json'), '/openapi.json');
  assert.equal(route('/docs/swagger-ui.css'), '/docs');
  assert.equal(route('/docs'), '/docs');
  assert.equal(route('/nope/xyz'), OTHER_ROUTE);
  assert.equal(route('/api/v1/jobs/a/b/c/d'), OTHER_ROUTE);
  assert.equal(route('/api/v1/jobs/x.y'), '/api/v1/jobs/{name}');
  // A regex-looking path is matched literally.
  assert.equal(route('/api/v1/jobs/(.*)'), '/api/v1/jobs/{name}');
  assert.equal(route('/openapi_json'), OTHER_ROUTE);
});
