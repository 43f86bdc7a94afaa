/**
 * The enterprise's response to its alarm (issue #18, domain rule 13), in the console:
 *
 * - `ResponseChip`: the response state, the time left to sign for or feed back (counting down; 已超时 once
 *   past) and the 督办 mark with why (超时未签收 / 超时未反馈), on the alarm list and detail, for everyone;
 * - `EnterpriseResponse`: the enterprise user's steps on its alarm: 签收, 反馈 (cause, measures, photos and
 *   files uploaded to the alarm's attachments) and 申请消警 (a refusal shows the server's reason);
 * - `OfficerResponse`: the enterprise's feedback with its attachments, the review of orange/red feedback
 *   (通过 / 退回 with a reason) and the bureau's 网络巡查 (method, outcome, note) with those recorded.
 *
 * The time left comes from the server's `owed.leftMs` at the moment the record arrived (not the computer's
 * clock against `dueAt`), so a browser whose clock is off still counts down correctly. The limits themselves
 * are the bureau's (config `response`; the platform's defaults in alerts/response/policy.ts).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, can } from '../api.ts';
import { both, colon, list, t, time } from '../i18n.ts';
import type { Alert, AttachmentMeta, ResponsePolicyView, ResponseRecord, ResponseView } from '../types.ts';

/** A response as received, with the local time it arrived (the countdown runs from its `owed.leftMs`). */
export type SeenResponse = ResponseView & { seenAt: number };
export const seen = (r: ResponseView | null | undefined): SeenResponse | null => (r ? { ...r, seenAt: Date.now() } : null);

/** Re-renders every second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [active]);
  return now;
}

/** `12:05` (minutes:seconds), or `1:02:05` past an hour. */
function clockText(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

const SUPERVISION_KEY = { sign_overdue: 'rspSignOverdue', feedback_overdue: 'rspFeedbackOverdue', review_overdue: 'rspReviewOverdue' } as const;

/** The 督办 mark: the alarm became a supervision item on the bureau's feed, and why. */
export function SupervisedMark({ reasons }: { reasons: readonly ('sign_overdue' | 'feedback_overdue' | 'review_overdue')[] }) {
  if (reasons.length === 0) return null;
  return (
    <span class="chip supervised" data-testid="supervised-mark" data-reasons={reasons.join(' ')}>
      {t('rspSupervised')}
      {colon()}
      {list(reasons.map((r) => t(SUPERVISION_KEY[r])))}
    </span>
  );
}

/** The state, the time left (or 已超时) and the 督办 mark of an alarm's response. */
export function ResponseChip({ r, alert }: { r: SeenResponse; alert?: Alert | undefined }) {
  const now = useNow(r.owed !== null);
  const reasons = alert?.supervisions ?? r.supervisions.map((s) => s.reason);
  const left = r.owed ? r.owed.leftMs - (now - r.seenAt) : undefined;
  return (
    <span class="response" data-testid="response" data-state={r.state}>
      <span class={`chip rsp rsp-${r.state}`} data-testid="response-state">
        {both(r.stateName)}
      </span>
      {r.owed && left !== undefined && (
        <span class={left <= 0 ? 'rsp-left overdue' : 'rsp-left'} data-testid="response-left" data-overdue={String(left <= 0)}>
          {t(r.owed.what === 'sign' ? 'rspSignBy' : r.owed.what === 'review' ? 'rspReviewBy' : 'rspFeedbackBy')}{' '}
          {left <= 0 ? `${t('rspOverdue')} ${clockText(left)}` : `${t('rspLeft')} ${clockText(left)}`}
        </span>
      )}
      <SupervisedMark reasons={reasons} />
    </span>
  );
}

/** A required select of the policy's named terms (causes, methods, outcomes), in both languages. */
function TermSelect(p: { value: string; onChange: (v: string) => void; terms: { id: string; zh: string; en: string }[] | undefined; testid: string }) {
  return (
    <select required value={p.value} onChange={(e) => p.onChange((e.target as HTMLSelectElement).value)} data-testid={p.testid}>
      <option value="">{t('rspChoose')}</option>
      {p.terms?.map((m) => (
        <option key={m.id} value={m.id}>
          {both(m)}
        </option>
      ))}
    </select>
  );
}

/** The response policy (causes, methods, outcomes), read once per page. */
let policyOnce: Promise<ResponsePolicyView> | undefined;
function usePolicy(): ResponsePolicyView | undefined {
  const [p, setP] = useState<ResponsePolicyView | undefined>();
  useEffect(() => {
    policyOnce ??= api<ResponsePolicyView>('GET', '/api/v1/response-policy');
    policyOnce.then(setP, () => {
      policyOnce = undefined;
    });
  }, []);
  return p;
}

/** The alarm's attachments (metadata); `reload` after an upload. */
function useAttachments(alertId: string): [AttachmentMeta[], () => void] {
  const [list, setList] = useState<AttachmentMeta[]>([]);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let gone = false;
    api<{ attachments: AttachmentMeta[] }>('GET', `/api/v1/alerts/${encodeURIComponent(alertId)}/attachments`).then(
      (r) => !gone && setList(r.attachments),
      () => undefined,
    );
    return () => {
      gone = true;
    };
  }, [alertId, tick]);
  return [list, () => setTick((n) => n + 1)];
}

/** A file: a thumbnail for a picture the browser can show, a link for anything else (PDF, HEIC). */
function AttachmentLink({ a }: { a: AttachmentMeta }) {
  const href = `/api/v1/attachments/${encodeURIComponent(a.id)}`;
  const shown = ['image/jpeg', 'image/png', 'image/webp'].includes(a.mediaType);
  return (
    <li data-testid="attachment" data-id={a.id}>
      <a href={href} target="_blank" rel="noopener">
        {shown && <img class="thumb" src={href} alt={a.filename} loading="lazy" />}
        <span>{a.filename}</span>
      </a>{' '}
      <span class="muted">{Math.max(1, Math.round(a.size / 1024))} KB</span>
    </li>
  );
}

/** The feedback on record: cause, measures, its files, and the review's verdict. */
function FeedbackView({ r, files }: { r: ResponseView; files: AttachmentMeta[] }) {
  const f = r.feedback;
  if (!f) return null;
  const named = files.filter((a) => f.attachmentIds.includes(a.id));
  return (
    <div class="rsp-feedback" data-testid="feedback">
      <h4>{t('rspFeedbackOnRecord')}</h4>
      <dl class="facts">
        <dt>{t('rspCause')}</dt>
        <dd data-testid="feedback-cause">
          {both(r.causeName)}
          {f.repeatedFalseAlarm && <span class="chip rsp-warn">{t('rspRepeatedFalseAlarm')}</span>}
        </dd>
        <dt>{t('rspMeasures')}</dt>
        <dd data-testid="feedback-measures">{f.measures}</dd>
        <dt>{t('rspFedBackAt')}</dt>
        <dd>
          {time(f.at)} <span class="muted">{f.by.replace(/^user:/, '')}</span>
        </dd>
      </dl>
      {named.length > 0 && (
        <ul class="attachments">
          {named.map((a) => (
            <AttachmentLink key={a.id} a={a} />
          ))}
        </ul>
      )}
      {r.reviewed && (
        <p class={`rsp-review ${r.reviewed.decision}`} data-testid="review-outcome" data-decision={r.reviewed.decision}>
          {t(r.reviewed.decision === 'accept' ? 'rspAccepted' : 'rspRejected')}
          {r.reviewed.reason && `${colon()}${r.reviewed.reason}`} <span class="muted">{time(r.reviewed.at)}</span>
        </p>
      )}
    </div>
  );
}

const RESPONSE_EVENT_NAMES: Record<string, { zh: string; en: string }> = {
  opened: { zh: '推送至企业', en: 'handed to the enterprise' },
  signed: { zh: '企业签收', en: 'signed for' },
  fed_back: { zh: '企业反馈', en: 'fed back' },
  reviewed: { zh: '值班员审核', en: 'reviewed' },
  clear_requested: { zh: '申请消警', en: 'asked to clear' },
  cleared: { zh: '已消警', en: 'cleared' },
  supervised: { zh: '督办', en: 'supervised' },
  closed: { zh: '监管部门处置', en: 'disposed by the bureau' },
  regraded: { zh: '等级升高，时限收紧', en: 'grade raised, limits tightened' },
};

function ResponseSteps({ events }: { events: ResponseRecord['events'] }) {
  if (events.length === 0) return null;
  return (
    <ol class="events" data-testid="response-events">
      {events.map((e, i) => (
        <li key={i}>
          <span class="muted">{time(e.at)}</span> <strong>{RESPONSE_EVENT_NAMES[e.type] ? both(RESPONSE_EVENT_NAMES[e.type]) : e.type}</strong>{' '}
          <span class="muted">{e.actor === 'system' ? t('rspSystem') : e.actor.replace(/^user:/, '')}</span>
        </li>
      ))}
    </ol>
  );
}

/** Runs a step, keeping the note (the server's reason on a refusal). */
function useStep(): { busy: boolean; note: string | undefined; run: (f: () => Promise<string | void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const run = async (f: () => Promise<string | void>) => {
    setBusy(true);
    setNote(undefined);
    try {
      const done = await f();
      if (done) setNote(done);
    } catch (err) {
      setNote((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, note, run };
}

/** The response record of one alarm, re-read when `tick` changes. */
export function useResponse(alertId: string, tick: unknown): [ResponseRecord | undefined, (r: ResponseRecord) => void] {
  const [rec, setRec] = useState<ResponseRecord | undefined>();
  useEffect(() => {
    let gone = false;
    api<ResponseRecord>('GET', `/api/v1/alerts/${encodeURIComponent(alertId)}/response`).then(
      (r) => !gone && setRec(r),
      () => undefined,
    );
    return () => {
      gone = true;
    };
  }, [alertId, tick]);
  return [rec, setRec];
}

const OPEN_TO_ENTERPRISE = ['awaiting_sign', 'awaiting_feedback'];

/** The enterprise user's side: sign for, feed back (with photos/files), ask to clear. */
export function EnterpriseResponse({ alertId, rec, onStep }: { alertId: string; rec: ResponseRecord; onStep: () => void }) {
  const policy = usePolicy();
  const [files, reloadFiles] = useAttachments(alertId);
  const [cause, setCause] = useState('');
  const [measures, setMeasures] = useState('');
  const [picked, setPicked] = useState<AttachmentMeta[]>([]);
  const { busy, note, run } = useStep();
  // when the record arrived: the countdown runs from it, not from each re-render (typing in the form)
  const shown = useMemo(() => seen(rec.response), [rec]);
  const r = rec.response;
  if (!r || !shown) return <p class="muted">{t('rspNone')}</p>;
  const path = `/api/v1/alerts/${encodeURIComponent(alertId)}`;
  const upload = (input: HTMLInputElement) =>
    run(async () => {
      for (const file of [...(input.files ?? [])]) {
        const a = await api<AttachmentMeta>(
          'POST',
          `${path}/attachments?name=${encodeURIComponent(file.name || 'photo.jpg')}`,
          file,
          file.type || 'application/octet-stream',
        );
        setPicked((p) => [...p, a]);
      }
      input.value = '';
      reloadFiles();
    });
  const feedingBack = OPEN_TO_ENTERPRISE.includes(r.state);
  return (
    <section class="rsp-panel" data-testid="enterprise-response">
      <h3>{t('rspTitle')}</h3>
      <ResponseChip r={shown} />
      {r.reviewed?.decision === 'reject' && feedingBack && (
        <p class="note" data-testid="rejected-note">
          {t('rspRejected')}
          {colon()}
          {r.reviewed.reason}
        </p>
      )}
      <div class="actions">
        {r.state === 'awaiting_sign' && (
          <button
            class="primary"
            disabled={busy}
            data-testid="sign"
            onClick={() =>
              void run(async () => {
                await api('POST', `${path}/sign`, {});
                onStep();
                return t('rspSignedNote');
              })
            }
          >
            {t('rspSign')}
          </button>
        )}
        {r.state !== 'cleared' && r.state !== 'closed' && (
          <button
            disabled={busy}
            data-testid="clear-request"
            onClick={() =>
              void run(async () => {
                const after = await api<{ response: ResponseView }>('POST', `${path}/clear-request`, {});
                onStep();
                return t(after.response.state === 'cleared' ? 'rspClearedNote' : 'rspClearPendingNote');
              })
            }
          >
            {t('rspClearRequest')}
          </button>
        )}
      </div>
      {feedingBack && (
        <form
          class="rsp-form"
          data-testid="feedback-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await api('POST', `${path}/feedback`, { cause, measures, attachmentIds: picked.map((a) => a.id) });
              setPicked([]);
              setMeasures('');
              onStep();
              return t('rspFedBackNote');
            });
          }}
        >
          <h4>{t('rspFeedback')}</h4>
          <label>
            {t('rspCause')}
            <TermSelect value={cause} onChange={setCause} terms={policy?.causes} testid="feedback-cause-select" />
          </label>
          <label>
            {t('rspMeasures')}
            <textarea
              required
              maxLength={2000}
              value={measures}
              placeholder={t('rspMeasuresHint')}
              onInput={(e) => setMeasures((e.target as HTMLTextAreaElement).value)}
              data-testid="feedback-measures-input"
            />
          </label>
          <label>
            {t('rspPhoto')}
            <input type="file" accept="image/*" capture="environment" onChange={(e) => void upload(e.target as HTMLInputElement)} data-testid="photo-input" />
          </label>
          <label>
            {t('rspFile')}
            <input
              type="file"
              multiple
              accept="image/jpeg,image/png,image/webp,image/heic,application/pdf"
              onChange={(e) => void upload(e.target as HTMLInputElement)}
              data-testid="file-input"
            />
          </label>
          <p class="muted">{t('rspFileHelp')}</p>
          {picked.length > 0 && (
            <ul class="attachments" data-testid="picked">
              {picked.map((a) => (
                <AttachmentLink key={a.id} a={a} />
              ))}
            </ul>
          )}
          <button type="submit" class="primary" disabled={busy || cause === '' || measures.trim().length < 2} data-testid="submit-feedback">
            {t('rspSubmitFeedback')}
          </button>
        </form>
      )}
      {note && (
        <p class="note" role="status" data-testid="response-note">
          {note}
        </p>
      )}
      <FeedbackView r={r} files={files} />
      <ResponseSteps events={rec.events} />
    </section>
  );
}

/** The bureau's side: the enterprise's response and feedback, the review, and the 网络巡查 records. */
export function OfficerResponse({ alertId, rec, onStep }: { alertId: string; rec: ResponseRecord; onStep: () => void }) {
  const policy = usePolicy();
  const [files] = useAttachments(alertId);
  const [reason, setReason] = useState('');
  const [method, setMethod] = useState('');
  const [outcome, setOutcome] = useState('');
  const [vnote, setVnote] = useState('');
  const review = useStep();
  const verify = useStep();
  const shown = useMemo(() => seen(rec.response), [rec]);
  const r = rec.response;
  const path = `/api/v1/alerts/${encodeURIComponent(alertId)}`;
  const reviewing = r?.state === 'awaiting_review' && can('alerts.review');
  const decide = (decision: 'accept' | 'reject') =>
    review.run(async () => {
      await api('POST', `${path}/review`, { decision, reason });
      setReason('');
      onStep();
      return t(decision === 'accept' ? 'rspAccepted' : 'rspRejected');
    });
  const named = (list: ResponsePolicyView['methods'] | undefined, id: string) => {
    const n = list?.find((x) => x.id === id);
    return n ? both(n) : id;
  };
  return (
    <section class="rsp-panel" data-testid="officer-response">
      <h3>{t('rspTitle')}</h3>
      {r ? (
        <>
          {shown && <ResponseChip r={shown} />}
          <FeedbackView r={r} files={files} />
          {reviewing && (
            <form class="rsp-form" data-testid="review-form" onSubmit={(e) => e.preventDefault()}>
              <h4>{t('rspReview')}</h4>
              <label>
                {t('rspReason')}
                <textarea
                  maxLength={2000}
                  value={reason}
                  placeholder={t('rspReasonHint')}
                  onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
                  data-testid="review-reason"
                />
              </label>
              <button type="button" class="primary" disabled={review.busy} onClick={() => void decide('accept')} data-testid="review-accept">
                {t('rspAccept')}
              </button>
              <button type="button" disabled={review.busy || reason.trim().length < 2} onClick={() => void decide('reject')} data-testid="review-reject">
                {t('rspReject')}
              </button>
            </form>
          )}
          {review.note && (
            <p class="note" role="status" data-testid="review-note">
              {review.note}
            </p>
          )}
          <ResponseSteps events={rec.events} />
        </>
      ) : (
        <p class="muted" data-testid="no-response">
          {t('rspNoneBureau')}
        </p>
      )}
      <h3>{t('rspPatrol')}</h3>
      {rec.verifications.length > 0 ? (
        <ul class="verifications" data-testid="verifications">
          {rec.verifications.map((v, i) => (
            <li key={i}>
              <span class="muted">{time(v.at)}</span> <strong>{named(policy?.methods, v.method)}</strong> · {named(policy?.outcomes, v.outcome)} · {v.note}{' '}
              <span class="muted">{v.by.replace(/^user:/, '')}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">{t('rspNoPatrol')}</p>
      )}
      {can('alerts.review') && (
        <form
          class="rsp-form"
          data-testid="patrol-form"
          onSubmit={(e) => {
            e.preventDefault();
            void verify.run(async () => {
              await api('POST', `${path}/verifications`, { method, outcome, note: vnote });
              setVnote('');
              onStep();
              return t('rspPatrolSaved');
            });
          }}
        >
          <label>
            {t('rspMethod')}
            <TermSelect value={method} onChange={setMethod} terms={policy?.methods} testid="patrol-method" />
          </label>
          <label>
            {t('rspOutcome')}
            <TermSelect value={outcome} onChange={setOutcome} terms={policy?.outcomes} testid="patrol-outcome" />
          </label>
          <label>
            {t('rspPatrolNote')}
            <textarea required maxLength={2000} value={vnote} onInput={(e) => setVnote((e.target as HTMLTextAreaElement).value)} data-testid="patrol-note" />
          </label>
          <button type="submit" class="primary" disabled={verify.busy || method === '' || outcome === '' || vnote.trim() === ''} data-testid="patrol-submit">
            {t('rspPatrolSubmit')}
          </button>
          {verify.note && (
            <p class="note" role="status" data-testid="patrol-note-result">
              {verify.note}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
