/**
 * Attachments of an alarm (附件, issue #18; the store: ledger/attachments.ts):
 *
 *   POST /api/v1/alerts/:id/attachments?name=…   the file as the raw body, with its own Content-Type → 201 {id, sha256, size, mediaType, filename}
 *   GET  /api/v1/alerts/:id/attachments          the alarm's attachments, metadata only
 *   GET  /api/v1/attachments/:id                 the file, byte for byte, with its SHA-256
 *
 * Who may attach: the enterprise's own people (`alerts.respond`: photos and files with their feedback) and the
 * officers who review feedback (`alerts.review`: evidence of a verification, e.g. a screenshot of the video
 * check). The route's documented access is `alerts.read` (everyone who may see the alarm) and a route hook
 * refuses, before any byte of the body is read, a caller who has neither permission (an inspector: 403). The
 * alarm must be in the caller's scope — its own enterprise's, or the officer's jurisdiction — else 404 as if
 * it did not exist. Reading and listing: `alerts.read`, within the caller's scope (another enterprise's
 * attachment: 404).
 *
 * The body: at most the bureau's `attachments.maxBytes` (platform default 10 MiB; the route's `bodyLimit`, so an
 * oversize upload is refused as it arrives, 413 in Chinese and English, and the store checks again). Its type
 * is read from its first bytes and must agree with the declared Content-Type (415 otherwise); empty: 400. The
 * raw-body parser is registered in this plugin's scope only, for any content type, so a wrong type gets the
 * platform's 415 with its reason rather than fastify's.
 *
 * Photo evidence of an inspection task (issue #20 §8: the inspector's phone), in the same store, with the same
 * size limit, type checks and download route:
 *
 *   POST /api/v1/tasks/:id/attachments?name=…    the assigned inspector (`tasks.work`), while the task is on site or
 *                                                being re-checked; the attachment belongs to the task's enterprise
 *   GET  /api/v1/tasks/:id/attachments           the task's attachments, metadata only (`tasks.read`)
 *
 * The task must be in the caller's scope (else 404). Findings and the re-check name the ids as their evidence.
 * The enterprise's users never see them (`seenBy` above: only what its own people uploaded).
 *
 * A download whose stored bytes no longer match their recorded SHA-256 is not served: 500 `INTEGRITY_FAILED`,
 * logged as an error and counted (`nss_attachment_integrity_failures_total`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { idSchema } from '../core/contract.ts';
import { AppError, ERRORS } from '../core/errors.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Db } from '../core/db/db.ts';
import { AlertQueries } from '../alerts/query.ts';
import { enterpriseInScope } from '../core/jurisdiction.ts';
import { TaskStore } from '../inspections/tasks/store.ts';
import { AttachmentStore, tooLarge, type AttachmentMeta, type PutInput } from '../ledger/attachments.ts';
import { ATTACHMENT_TYPES } from '../ledger/file-types.ts';
import type { Authenticator, Principal } from './auth.ts';
import { attachment } from './report-scope.ts';
import { parse } from './parse.ts';
import { can, ROLE_NAMES } from './roles.ts';

/**
 * The body as the handler gets it: the bytes kept out of sight (a private field) so the server's checks that walk
 * a parsed body (api/parse.ts `refuseNul`) do not walk megabytes byte by byte; a file may hold NUL bytes.
 */
class FileBody {
  readonly #bytes: Buffer;
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }
  get bytes(): Buffer {
    return this.#bytes;
  }
}

const alertPath = z.strictObject({ id: idSchema });
const attachmentPath = z.strictObject({ id: idSchema });
const uploadQuery = z.strictObject({
  name: z
    .string()
    .max(1000)
    .optional()
    .meta({ description: "The file's name (UTF-8, Chinese allowed; sanitised: last path segment, no control characters, an extension of its type)" }),
});
/** The body as described (OpenAPI): the file's bytes. */
const fileBody = z.string().meta({ description: `The file itself, with its own Content-Type: ${ATTACHMENT_TYPES.join(', ')}` });

/** Whether a role may attach files to an alarm it can see: the enterprise answering, or an officer reviewing. */
export const mayAttach = (who: Principal): boolean => can(who.role, 'alerts.respond') || can(who.role, 'alerts.review');

/** What the upload answers and the list shows of an attachment. */
const view = (m: AttachmentMeta) => ({
  id: m.id,
  sha256: m.sha256,
  size: m.size,
  mediaType: m.mediaType,
  filename: m.filename,
  uploadedBy: m.uploadedBy,
  uploadedAt: new Date(m.uploadedAt).toISOString(),
});

/** `Repr-Digest` (RFC 9530) of a hex SHA-256: `sha-256=:<base64>:`. */
export const reprDigest = (sha256Hex: string): string => `sha-256=:${Buffer.from(sha256Hex, 'hex').toString('base64')}:`;

/** An ASCII stand-in for a name (old clients); the real one goes in `filename*`. */
const asciiName = (name: string): string => {
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  const stem = (dot > 0 ? name.slice(0, dot) : name).replace(/[^A-Za-z0-9._ -]/g, '_');
  return `${/[A-Za-z0-9]/.test(stem) ? stem : 'attachment'}${ext.replace(/[^A-Za-z0-9.]/g, '')}`;
};

/** This plugin's routes take any content type as bytes (the store decides, 415 with the reason) and answer fastify's 413 in the platform's words. */
function takeFiles(app: FastifyInstance, store: AttachmentStore): void {
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, new FileBody(body as Buffer)));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw tooLarge(store.maxBytes);
    throw err;
  });
}

/**
 * Stores the request's file for an alarm or a task, answers 201 with what was stored; a refusal (type, size, name) is
 * counted and logged, then answered as the error it is. `what` names it in the log ("attachment", "task photo").
 */
async function storeUpload(
  store: AttachmentStore,
  metrics: Metrics,
  req: FastifyRequest,
  reply: FastifyReply,
  target: Omit<PutInput, 'bytes' | 'contentType'>,
  what: string,
) {
  const bytes = req.body instanceof FileBody ? req.body.bytes : Buffer.alloc(0);
  const contentType = req.headers['content-type'];
  const of = { [`${target.subject.type}Id`]: target.subject.id, enterpriseId: target.enterpriseId, actor: target.actor };
  try {
    const meta = await store.put({ ...target, contentType, bytes });
    metrics.attachments.inc({ operation: 'upload', outcome: 'stored' });
    req.log.info({ ...of, attachmentId: meta.id, size: meta.size, sha256: meta.sha256 }, `${what} stored`);
    return reply.status(201).send({ id: meta.id, sha256: meta.sha256, size: meta.size, mediaType: meta.mediaType, filename: meta.filename });
  } catch (err) {
    if (err instanceof AppError && err.httpStatus < 500) {
      metrics.attachments.inc({ operation: 'upload', outcome: 'refused' });
      req.log.info({ ...of, code: err.code, contentType, size: bytes.length }, `${what} refused`);
    }
    throw err;
  }
}

const taskPath = z.strictObject({ id: z.string().min(1).max(100) });
/** The task states in which its inspector takes photos: on site (findings) and at the re-check visit. */
const PHOTO_STATES: ReadonlySet<string> = new Set(['on_site', 'rechecking']);

/** Photo evidence of inspection tasks (see the top of this file). */
export function taskAttachmentApi(
  config: { auth: Authenticator; maxBytes?: number | undefined },
  deps: { db: Db; clock: { now(): number }; metrics: Metrics },
) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const store = new AttachmentStore(deps.db, deps.clock, { maxBytes: config.maxBytes });
    const tasks = new TaskStore(deps.db);
    takeFiles(app, store);
    const visibleTask = async (who: Principal, id: string) => {
      const task = await tasks.get(id);
      if (!task || !(await enterpriseInScope(deps.db, who.scope, task.enterpriseId))) throw new AppError('NOT_FOUND', `task ${id} not found`);
      return task;
    };

    app.post(
      '/api/v1/tasks/:id/attachments',
      {
        bodyLimit: store.maxBytes,
        // before the body is read: only an inspector (tasks.work) may upload
        onRequest: async (req) => void (await auth.authorize(req, 'tasks.work')),
        schema: { params: taskPath, querystring: uploadQuery, body: fileBody, consumes: [...ATTACHMENT_TYPES] },
      },
      async (req, reply) => {
        const who = await auth.authorize(req, 'tasks.work');
        const { id } = parse(taskPath, req.params, 'path');
        const { name } = parse(uploadQuery, req.query, 'query');
        const task = await visibleTask(who, id);
        if (task.inspectorId !== who.id)
          throw new AppError('FORBIDDEN', `only the assigned inspector (${task.inspectorId ?? 'none'}) may attach photos to task ${id}`, {
            expose: {
              task: 'NOT_THE_INSPECTOR',
              reason: { zh: '只有本任务的执法人员可以上传现场照片', en: "only the task's assigned inspector may attach photos" },
            },
          });
        if (!PHOTO_STATES.has(task.state))
          throw new AppError('CONFLICT', `photos are taken on site or at the re-check; task ${id} is ${task.state}`, {
            expose: {
              task: 'INVALID_TRANSITION',
              reason: { zh: '仅在现场检查或复查时可上传照片', en: 'photos are taken on site or at the re-check only' },
            },
          });
        return storeUpload(
          store,
          deps.metrics,
          req,
          reply,
          { enterpriseId: task.enterpriseId, subject: { type: 'task', id }, filename: name, actor: who.actor },
          'task photo',
        );
      },
    );

    app.get('/api/v1/tasks/:id/attachments', { schema: { params: taskPath } }, async (req) => {
      const who = await auth.authorize(req, 'tasks.read');
      const { id } = parse(taskPath, req.params, 'path');
      await visibleTask(who, id);
      return { attachments: (await store.list(who.scope, { type: 'task', id })).map(view) };
    });
  };
}

export function attachmentApi(config: { auth: Authenticator; maxBytes?: number | undefined }, deps: { db: Db; clock: { now(): number }; metrics: Metrics }) {
  return async (app: FastifyInstance): Promise<void> => {
    const { auth } = config;
    const store = new AttachmentStore(deps.db, deps.clock, { maxBytes: config.maxBytes });
    const queries = new AlertQueries(deps.db);
    const visibleAlert = async (who: Principal, id: string) => {
      const alert = await queries.get(who.scope, id);
      if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
      return alert;
    };

    takeFiles(app, store);

    /** Before the body is read: an inspector (neither answering nor reviewing) may see the alarm but not attach to it. */
    const mayAttachHook = async (req: FastifyRequest) => {
      const who = await auth.authorize(req, 'alerts.read');
      if (!mayAttach(who)) {
        req.log.warn({ url: req.url, actor: who.actor, role: who.role }, 'request refused: role may not attach files');
        throw new AppError('FORBIDDEN', `a ${ROLE_NAMES[who.role].en} may not attach files (alerts.respond or alerts.review)`, {
          expose: {
            permission: 'alerts.respond',
            reason: {
              zh: `${ROLE_NAMES[who.role].zh}无权上传附件（需 alerts.respond 或 alerts.review）`,
              en: `a ${ROLE_NAMES[who.role].en} may not attach files`,
            },
          },
        });
      }
    };

    app.post(
      '/api/v1/alerts/:id/attachments',
      {
        bodyLimit: store.maxBytes,
        onRequest: mayAttachHook,
        schema: { params: alertPath, querystring: uploadQuery, body: fileBody, consumes: [...ATTACHMENT_TYPES] },
      },
      async (req, reply) => {
        const who = await auth.authorize(req, 'alerts.read');
        const { id } = parse(alertPath, req.params, 'path');
        const { name } = parse(uploadQuery, req.query, 'query');
        const alert = await visibleAlert(who, id);
        return storeUpload(
          store,
          deps.metrics,
          req,
          reply,
          { enterpriseId: alert.enterpriseId, subject: { type: 'alert', id }, filename: name, actor: who.actor },
          'attachment',
        );
      },
    );

    /**
     * Whether the caller may see a file uploaded by `uploadedBy`: an enterprise's user sees only what its
     * enterprise's own people uploaded, not the bureau's verification evidence (as it does not see the
     * bureau's verification notes); officers see everything in their scope.
     */
    const seenBy = async (who: Principal): Promise<(uploadedBy: string) => boolean> => {
      if (who.kind !== 'enterprise') return () => true;
      const { rows } = await deps.db.query<{ id: string }>('SELECT id FROM officers WHERE enterprise_id = $1', [who.enterpriseId]);
      const own = new Set(rows.map((r) => `user:${r.id}`));
      return (uploadedBy) => own.has(uploadedBy);
    };

    app.get('/api/v1/alerts/:id/attachments', { schema: { params: alertPath } }, async (req) => {
      const who = await auth.authorize(req, 'alerts.read');
      const { id } = parse(alertPath, req.params, 'path');
      await visibleAlert(who, id);
      const sees = await seenBy(who);
      return { attachments: (await store.list(who.scope, { type: 'alert', id })).filter((m) => sees(m.uploadedBy)).map(view) };
    });

    app.get('/api/v1/attachments/:id', { schema: { params: attachmentPath } }, async (req, reply) => {
      const who = await auth.authorize(req, 'alerts.read');
      const { id } = parse(attachmentPath, req.params, 'path');
      let file: Awaited<ReturnType<AttachmentStore['get']>>;
      try {
        file = await store.get(who.scope, id);
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'INTEGRITY_FAILED')) throw err;
        deps.metrics.attachmentIntegrityFailures.inc();
        deps.metrics.attachments.inc({ operation: 'download', outcome: 'integrity_failed' });
        req.log.error({ err, details: err.details, actor: who.actor }, 'attachment failed its integrity check: not served');
        return reply.status(ERRORS.INTEGRITY_FAILED.httpStatus).send({
          error: {
            code: 'INTEGRITY_FAILED',
            message: `attachment ${id}: the stored file no longer matches its recorded SHA-256 and is not served`,
            reason: {
              zh: '存储的附件与登记的 SHA-256 不符（可能已被篡改），不予提供；已记录并通知运维',
              en: 'the stored file no longer matches its recorded SHA-256 (it may have been altered) and is not served; this has been logged',
            },
          },
        });
      }
      if (!file || !(await seenBy(who))(file.meta.uploadedBy)) throw new AppError('NOT_FOUND', `attachment ${id} not found`);
      const { meta, bytes } = file;
      deps.metrics.attachments.inc({ operation: 'download', outcome: 'served' });
      req.log.info({ attachmentId: id, enterpriseId: meta.enterpriseId, actor: who.actor }, 'attachment served');
      return reply
        .header('content-type', meta.mediaType)
        .header('content-length', String(bytes.length))
        .header('content-disposition', attachment(asciiName(meta.filename), meta.filename))
        .header('x-content-sha256', meta.sha256)
        .header('repr-digest', reprDigest(meta.sha256))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, no-cache')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .send(bytes);
    });
  };
}
