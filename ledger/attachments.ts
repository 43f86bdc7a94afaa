/**
 * Attachments (附件, issue #18): the photos and PDFs an enterprise feeds back on its alarm with, and later an
 * inspector's photo evidence. Each is kept whole in PostgreSQL (table `attachments`, migration 21) with its
 * SHA-256, size and type, under the enterprise it belongs to and the subject it is about (an alarm, a task, a
 * self-inspection report). Evidence (domain rule 8): never updated or deleted — the table refuses both.
 *
 * - `put` takes a file only if it is not empty, not over the size limit (the bureau's `attachments.maxBytes`,
 *   platform default 10 MiB), and its bytes are a type taken (ledger/file-types.ts) that agrees with the type
 *   declared; it records the upload on the audit trail (without the bytes), in the same transaction.
 * - `get` reads within the caller's scope (another enterprise's, or outside the jurisdiction: not found) and
 *   checks the bytes against their recorded SHA-256 before handing them out: bytes that no longer match are
 *   refused with `INTEGRITY_FAILED` (the table was changed behind the platform's back).
 * - `list` and `checkOwned` read the metadata only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { withAudit } from '../core/audit.ts';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db/db.ts';
import { AppError } from '../core/errors.ts';
import { Params, scopeSql, whereAll, type Scope } from '../core/jurisdiction.ts';
import { ATTACHMENT_TYPES, checkType, sanitizeFilename, typesDeclaredBy, TYPES_TAKEN, type AttachmentType } from './file-types.ts';

/** The platform's default size limit, bytes (10 MiB): the bureau sets its own (`attachments.maxBytes`, `ATTACHMENTS_MAX_BYTES`). */
export const DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

export const SUBJECT_TYPES = ['alert', 'task', 'self_inspection'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];
/** What an attachment is about. */
export interface Subject {
  type: SubjectType;
  id: string;
}

/** An attachment without its bytes. */
export interface AttachmentMeta {
  id: string;
  enterpriseId: string;
  subject: Subject;
  /** Sanitised (ledger/file-types.ts `sanitizeFilename`); Chinese names kept. */
  filename: string;
  mediaType: AttachmentType;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** `user:<id>`. */
  uploadedBy: string;
  /** Epoch ms. */
  uploadedAt: number;
}

export interface PutInput {
  enterpriseId: string;
  subject: Subject;
  /** As the sender named it (sanitised here); absent → `attachment.<ext>`. */
  filename?: string | undefined;
  /** The `Content-Type` the sender declared; must agree with what the bytes are. */
  contentType: string | undefined;
  bytes: Uint8Array;
  /** `user:<id>`. */
  actor: string;
}

/** A new attachment's id: unguessable (128 random bits), so that an id alone discloses nothing. */
export const newAttachmentId = (): string => `att_${randomBytes(16).toString('base64url')}`;

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const mib = (n: number): string => `${Math.round((n / (1024 * 1024)) * 100) / 100} MiB`;

/** 413 with the limit and where it comes from. */
export function tooLarge(maxBytes: number, size?: number): AppError {
  const limit = `${maxBytes} 字节（${mib(maxBytes)}）`;
  return new AppError('PAYLOAD_TOO_LARGE', `the attachment is larger than ${maxBytes} bytes (${mib(maxBytes)}, the bureau's attachments.maxBytes)`, {
    expose: {
      maxBytes,
      ...(size === undefined ? {} : { size }),
      reason: {
        zh: `附件超过 ${limit} 的上限（本局设置 attachments.maxBytes，平台默认 10 MiB）`,
        en: `the attachment exceeds ${maxBytes} bytes (${mib(maxBytes)}; the bureau's attachments.maxBytes, platform default 10 MiB)`,
      },
    },
  });
}

const unsupported = (zh: string, en: string, extra: Record<string, unknown> = {}): AppError =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', en, { expose: { ...extra, reason: { zh, en } } });

interface Row {
  id: string;
  enterprise_id: string;
  subject_type: SubjectType;
  subject_id: string;
  filename: string;
  media_type: AttachmentType;
  size: number;
  sha256: string;
  uploaded_by: string;
  uploaded_at: Date;
}
const META_COLUMNS = 'id, enterprise_id, subject_type, subject_id, filename, media_type, size, sha256, uploaded_by, uploaded_at';
const metaOf = (r: Row): AttachmentMeta => ({
  id: r.id,
  enterpriseId: r.enterprise_id,
  subject: { type: r.subject_type, id: r.subject_id },
  filename: r.filename,
  mediaType: r.media_type,
  size: Number(r.size),
  sha256: r.sha256,
  uploadedBy: r.uploaded_by,
  uploadedAt: new Date(r.uploaded_at).getTime(),
});

export class AttachmentStore {
  readonly maxBytes: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    opts: { maxBytes?: number | undefined } = {},
  ) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_ATTACHMENT_MAX_BYTES;
  }

  /**
   * Stores a file: 415 a declared type not taken, 400 empty, 413 over the limit, 415 content not taken or not the type declared. The caller has
   * checked that `enterpriseId` owns `subject` and that the actor may attach to it. One audit record
   * `attachment.stored` (subject `attachment`, id, with the enterprise, subject, name, type, size and SHA-256).
   */
  async put(input: PutInput): Promise<AttachmentMeta> {
    const { bytes } = input;
    const declared = input.contentType ?? '(none)';
    // the declared type first: a body of another kind (JSON, a form) is refused as such, whatever it holds
    if (typesDeclaredBy(input.contentType).length === 0)
      throw unsupported(`不接受声明的类型 ${declared}：仅接受 ${TYPES_TAKEN.zh}`, `Content-Type ${declared} is not taken: only ${TYPES_TAKEN.en}`, {
        accepted: ATTACHMENT_TYPES,
      });
    if (bytes.length === 0)
      throw new AppError('BAD_REQUEST', 'body: the file is empty', { expose: { reason: { zh: '上传的文件为空', en: 'the file is empty' } } });
    if (bytes.length > this.maxBytes) throw tooLarge(this.maxBytes, bytes.length);
    const checked = checkType(bytes, input.contentType);
    if (!checked.ok) {
      if (checked.reason === 'mismatch')
        throw unsupported(
          `文件内容为 ${checked.sniffed}，与声明的类型 ${declared} 不符`,
          `the file's content is ${checked.sniffed}, not the ${declared} declared`,
          {
            detected: checked.sniffed,
          },
        );
      throw unsupported(`文件内容不是 ${TYPES_TAKEN.zh}（按文件头识别）`, `the file's content is not one of ${TYPES_TAKEN.en} (by its leading bytes)`);
    }
    const meta: AttachmentMeta = {
      id: newAttachmentId(),
      enterpriseId: input.enterpriseId,
      subject: input.subject,
      filename: sanitizeFilename(input.filename, checked.type),
      mediaType: checked.type,
      size: bytes.length,
      sha256: sha256Hex(bytes),
      uploadedBy: input.actor,
      uploadedAt: this.clock.now(),
    };
    await withAudit(
      this.db,
      (tx) =>
        tx.query(
          `INSERT INTO attachments (id, enterprise_id, subject_type, subject_id, filename, media_type, size, sha256, content, uploaded_by, uploaded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            meta.id,
            meta.enterpriseId,
            meta.subject.type,
            meta.subject.id,
            meta.filename,
            meta.mediaType,
            meta.size,
            meta.sha256,
            bytes,
            meta.uploadedBy,
            new Date(meta.uploadedAt),
          ],
        ),
      () => ({
        actor: input.actor,
        action: 'attachment.stored',
        subjectType: 'attachment',
        subjectId: meta.id,
        data: {
          enterpriseId: meta.enterpriseId,
          subject: meta.subject,
          filename: meta.filename,
          mediaType: meta.mediaType,
          size: meta.size,
          sha256: meta.sha256,
        },
        at: meta.uploadedAt,
      }),
    );
    return meta;
  }

  /** The attachment's metadata if it is within `scope` (else undefined: missing and out of scope alike). */
  async meta(scope: Scope, id: string): Promise<AttachmentMeta | undefined> {
    const p = new Params();
    const s = scopeSql(scope, p, 'enterprise_id');
    const { rows } = await this.db.query<Row>(`${s.cte}SELECT ${META_COLUMNS} FROM attachments ${whereAll([`id = ${p.add(id)}`, s.cond])}`, p.values);
    return rows[0] ? metaOf(rows[0]) : undefined;
  }

  /**
   * The attachment and its bytes if it is within `scope` (else undefined), after checking the bytes against their
   * recorded SHA-256 and size: a mismatch is `INTEGRITY_FAILED` (500-class, `details`: id, recorded and actual hash).
   */
  async get(scope: Scope, id: string): Promise<{ meta: AttachmentMeta; bytes: Buffer } | undefined> {
    const p = new Params();
    const s = scopeSql(scope, p, 'enterprise_id');
    const { rows } = await this.db.query<Row & { content: Uint8Array }>(
      `${s.cte}SELECT ${META_COLUMNS}, content FROM attachments ${whereAll([`id = ${p.add(id)}`, s.cond])}`,
      p.values,
    );
    const r = rows[0];
    if (!r) return undefined;
    const meta = metaOf(r);
    const bytes = Buffer.isBuffer(r.content) ? r.content : Buffer.from(r.content.buffer, r.content.byteOffset, r.content.byteLength);
    const actual = sha256Hex(bytes);
    if (actual !== meta.sha256 || bytes.length !== meta.size)
      throw new AppError('INTEGRITY_FAILED', `attachment ${id}: the stored bytes do not match the recorded SHA-256`, {
        details: { id, enterpriseId: meta.enterpriseId, recorded: meta.sha256, actual, recordedSize: meta.size, actualSize: bytes.length },
      });
    return { meta, bytes };
  }

  /** A subject's attachments within `scope`, oldest first (metadata only). */
  async list(scope: Scope, subject: Subject): Promise<AttachmentMeta[]> {
    const p = new Params();
    const s = scopeSql(scope, p, 'enterprise_id');
    const { rows } = await this.db.query<Row>(
      `${s.cte}SELECT ${META_COLUMNS} FROM attachments ${whereAll([`subject_type = ${p.add(subject.type)}`, `subject_id = ${p.add(subject.id)}`, s.cond])}
       ORDER BY uploaded_at, id`,
      p.values,
    );
    return rows.map(metaOf);
  }

  /**
   * For a feedback (or a finding) that refers to attachments by id: each must exist, belong to `enterpriseId` and be
   * about `subject`. Returns their metadata in the order given (duplicates once); otherwise 400 naming the ids
   * that are not (`error.attachmentIds`), whether missing, another enterprise's or another subject's alike.
   */
  async checkOwned(enterpriseId: string, subject: Subject, ids: readonly string[]): Promise<AttachmentMeta[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const { rows } = await this.db.query<Row>(
      `SELECT ${META_COLUMNS} FROM attachments WHERE id = ANY($1::text[]) AND enterprise_id = $2 AND subject_type = $3 AND subject_id = $4`,
      [unique, enterpriseId, subject.type, subject.id],
    );
    const found = new Map(rows.map((r) => [r.id, metaOf(r)]));
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw new AppError('BAD_REQUEST', `attachmentIds: not attachments of this ${subject.type}: ${missing.join(', ')}`, {
        expose: {
          attachmentIds: missing,
          reason: {
            zh: `附件不存在或不属于本${SUBJECT_NAMES[subject.type]}：${missing.join('、')}`,
            en: `not attachments of this ${subject.type}: ${missing.join(', ')}`,
          },
        },
      });
    return unique.map((id) => found.get(id)!);
  }
}

const SUBJECT_NAMES: Record<SubjectType, string> = { alert: '报警', task: '检查任务', self_inspection: '自查报告' };
