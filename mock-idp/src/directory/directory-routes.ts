import { Router } from 'express';
import type { IdpContext } from '../context.ts';
import type { Directory } from './directory.ts';
import { publicUser } from './user.ts';

/** The directory API: users and groups, as tests and scenarios arrange them. */
export function directoryRoutes(ctx: Pick<IdpContext, 'directory' | 'parsers'>): Router {
  const { directory } = ctx;
  const body = ctx.parsers.body;
  const router = Router();
  const shownUser = (u: ReturnType<Directory['getUser']>) => publicUser(u, directory.memberOf(u));
  const shownGroup = (g: ReturnType<Directory['getGroup']>) => ({ ...g, members: directory.membersOf(g).map((u) => u.email) });

  router.get('/api/users', (_req, res) => res.json({ users: directory.listUsers().map(shownUser) }));
  router.post('/api/users', body, (req, res) => res.status(201).json(shownUser(directory.createUser(req.body))));
  router.get('/api/users/:key', (req, res) => res.json(shownUser(directory.getUser(String(req.params.key)))));
  router.put('/api/users/:key', body, (req, res) => res.json(shownUser(directory.replaceUser(String(req.params.key), req.body))));
  router.patch('/api/users/:key', body, (req, res) => res.json(shownUser(directory.updateUser(String(req.params.key), req.body))));
  router.delete('/api/users/:key', (req, res) => {
    directory.deleteUser(String(req.params.key));
    res.status(204).end();
  });
  router.get('/api/groups', (_req, res) => res.json({ groups: directory.listGroups().map(shownGroup) }));
  router.post('/api/groups', body, (req, res) => res.status(201).json(shownGroup(directory.createGroup(req.body))));
  router.get('/api/groups/:key', (req, res) => res.json(shownGroup(directory.getGroup(String(req.params.key)))));
  router.put('/api/groups/:key', body, (req, res) => res.json(shownGroup(directory.replaceGroup(String(req.params.key), req.body))));
  router.delete('/api/groups/:key', (req, res) => {
    directory.deleteGroup(String(req.params.key));
    res.status(204).end();
  });
  return router;
}
