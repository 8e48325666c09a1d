// The HTTP surface of a replica (hono): routes, and a JSON 404 / 500 so no request ever gets an HTML page.
import { Hono } from 'hono';
import { getMembers, postAdmin } from './admin-routes.ts';
import type { ClusterAdmin, ReplicaService } from './replica-service.ts';
import { getDecision, getDecisions } from './decisions-route.ts';
import { problem } from './problem.ts';
import { getCapabilities, getHealth, getMetrics, getState } from './read-routes.ts';
import { postTransition } from './transition-route.ts';

/** `admin` is the cluster operator surface; a single-node replica has none (those paths answer 404). */
export function createApp(replica: ReplicaService, admin?: ClusterAdmin): Hono {
  const app = new Hono();
  if (admin !== undefined) {
    app.get('/members', (c) => getMembers(c, admin));
    app.post('/admin', (c) => postAdmin(c, admin));
  }
  app.get('/genesis', (c) => c.json(replica.genesis));
  app.get('/snapshot', (c) => {
    c.header('content-type', 'application/octet-stream');
    return c.body(Buffer.from(replica.snapshotFile()));
  });
  app.post('/transition', (c) => postTransition(c, replica));
  app.get('/state', (c) => getState(c, replica));
  app.get('/health', (c) => getHealth(c, replica));
  app.get('/metrics', (c) => getMetrics(c, replica));
  app.get('/capabilities', (c) => getCapabilities(c, replica));
  app.get('/decisions', (c) => getDecisions(c, replica));
  app.get('/decisions/:id{.+}', (c) => getDecision(c, replica));
  app.notFound((c) => problem(c, 'not_found', [`${c.req.method} ${c.req.path} is not an endpoint; see openapi.yaml`]));
  app.onError((err, c) => {
    replica.log.error({ event: 'http_error', err: err.message, path: c.req.path }, 'unhandled error in request');
    return problem(c, 'internal_error', ['internal error; the replica logged it'])
  });
  return app;
}
