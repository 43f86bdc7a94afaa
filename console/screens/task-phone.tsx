/**
 * The inspector's phone (issue #20 §8): photos taken with the phone's camera and uploaded to the task
 * (`POST /api/v1/tasks/:id/attachments`, the attachment store), their thumbnails, the enterprise's address
 * with a map link (a `geo:` URI: the bureau's intranet has no tile server, the phone's map app opens it), and
 * the outbox of findings entered offline ("待发送 n 条").
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { colon, fill, t, time } from '../i18n.ts';
import { dismiss, outbox, waiting } from '../outbox.ts';
import { useValue } from '../state.ts';

export interface TaskFile {
  id: string;
  mediaType: string;
  filename: string;
  size: number;
  uploadedAt?: string;
}

/** The enterprise's address and WGS-84 coordinates (api/tasks.ts `placeOf`). */
export interface TaskPlace {
  address: string | null;
  longitude: number | null;
  latitude: number | null;
}

/** The task's photos and files (metadata), re-read when `tick` changes. */
export function useTaskFiles(taskId: string, tick: unknown): TaskFile[] {
  const [files, setFiles] = useState<TaskFile[]>([]);
  useEffect(() => {
    let gone = false;
    api<{ attachments: TaskFile[] }>('GET', `/api/v1/tasks/${encodeURIComponent(taskId)}/attachments`).then(
      (r) => !gone && setFiles(r.attachments),
      () => undefined,
    );
    return () => {
      gone = true;
    };
  }, [taskId, tick]);
  return files;
}

const SHOWN = ['image/jpeg', 'image/png', 'image/webp'];

/** Thumbnails of the evidence that are attachments (other references as they were written). */
export function Thumbs({ ids, files, testid = 'thumbs', label }: { ids: readonly string[]; files: readonly TaskFile[]; testid?: string; label?: string }) {
  const byId = new Map(files.map((f) => [f.id, f]));
  // an attachment id not (yet) in the list read — a list kept from before it was taken, read offline — is still the task's photo
  const own = ids.filter((id) => byId.has(id) || id.startsWith('att_')).map((id) => byId.get(id) ?? { id, mediaType: 'image/jpeg', filename: '', size: 0 });
  const other = ids.filter((id) => !byId.has(id) && !id.startsWith('att_'));
  if (own.length === 0 && other.length === 0) return null;
  return (
    <ul class="attachments thumbs" data-testid={testid} aria-label={label}>
      {own.map((f) => {
        const href = `/api/v1/attachments/${encodeURIComponent(f.id)}`;
        return (
          <li key={f.id} data-testid="photo" data-id={f.id}>
            <a href={href} target="_blank" rel="noopener">
              {SHOWN.includes(f.mediaType) ? (
                <img class="thumb" src={href} alt={f.filename ? fill('photoAlt', { name: f.filename }) : t('photoEvidence')} loading="lazy" />
              ) : (
                f.filename
              )}
            </a>
          </li>
        );
      })}
      {other.map((ref) => (
        <li key={ref} class="muted">
          {ref}
        </li>
      ))}
    </ul>
  );
}

/**
 * A camera button: each photo taken (or picked) is uploaded to the task at once and handed to `onAdded`
 * (its id goes into the evidence). Offline, the photo cannot be sent: the inspector is told to take it again
 * when back online (the findings themselves are queued).
 */
export function PhotoInput({ taskId, label, onAdded, testid }: { taskId: string; label: string; onAdded: (f: TaskFile) => void; testid: string }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | undefined>();
  const upload = async (input: HTMLInputElement) => {
    setBusy(true);
    setNote(undefined);
    try {
      for (const file of [...(input.files ?? [])]) {
        if (navigator.onLine === false) {
          setNote(t('photoOffline'));
          break;
        }
        const a = await api<TaskFile>(
          'POST',
          `/api/v1/tasks/${encodeURIComponent(taskId)}/attachments?name=${encodeURIComponent(file.name || 'photo.jpg')}`,
          file,
          file.type || 'application/octet-stream',
        );
        onAdded(a);
      }
    } catch (err) {
      setNote(navigator.onLine === false ? t('photoOffline') : (err as Error).message);
    } finally {
      input.value = '';
      setBusy(false);
    }
  };
  return (
    <div class="photo-input">
      <label class={`button${busy ? ' busy' : ''}`}>
        📷 {busy ? t('photoUploading') : label}
        <input
          type="file"
          accept="image/*"
          capture="environment"
          class="visually-hidden"
          disabled={busy}
          onChange={(e) => void upload(e.target as HTMLInputElement)}
          data-testid={testid}
        />
      </label>
      {note && (
        <p class="error" role="alert">
          {note}
        </p>
      )}
    </div>
  );
}

/** `geo:` URI of a point (RFC 5870; WGS-84, latitude first) with the enterprise's name as the label map apps show. */
export const geoUri = (lat: number, lon: number, label: string): string => `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(label)})`;
/** `geo:` URI searching an address (Android map apps; the phone's own maps resolve it). */
export const addressUri = (address: string): string => `geo:0,0?q=${encodeURIComponent(address)}`;

/** The enterprise's address and the links that open it in the phone's map app. */
export function PlaceFacts({ place, name }: { place: TaskPlace | undefined; name: string }) {
  if (!place) return null;
  const located = place.latitude !== null && place.longitude !== null;
  return (
    <>
      <dt>{t('address')}</dt>
      <dd data-testid="task-address">
        {place.address ?? <span class="muted">{t('addressUnknown')}</span>}
        {(located || place.address) && (
          <span class="map-links">
            {located && (
              <a class="button" href={geoUri(place.latitude!, place.longitude!, name)} data-testid="map-link">
                {t('openMap')}
              </a>
            )}
            {place.address && (
              <a class="button" href={addressUri(place.address)} data-testid="address-link">
                {t('openAddress')}
              </a>
            )}
          </span>
        )}
        {located && (
          <span class="muted" data-testid="coordinates">
            {' '}
            {t('coordinates')}
            {colon()}
            {place.latitude!.toFixed(6)}, {place.longitude!.toFixed(6)}
          </span>
        )}
      </dd>
    </>
  );
}

/** "待发送 n 条" and the refused entries of the outbox (of this task, or all on the list). */
export function OutboxState({ taskId }: { taskId?: string }) {
  const all = useValue(outbox);
  const mine = taskId === undefined ? all : all.filter((e) => e.taskId === taskId);
  const pending = waiting(mine);
  const refused = mine.filter((e) => e.refused !== undefined);
  if (mine.length === 0) return null;
  return (
    <div class="outbox" data-testid="outbox">
      {pending.length > 0 && (
        <p class="note" role="status" data-testid="outbox-pending" data-count={pending.length}>
          {fill('outboxPending', { n: pending.length })}
          {colon()}
          {t('outboxWhenOnline')}
          {taskId !== undefined && (
            <span class="muted">
              {' '}
              {t('outboxQueuedAt')} {time(pending[0]!.queuedAt)}
            </span>
          )}
        </p>
      )}
      {refused.map((e) => (
        <p key={e.key} class="error" role="alert" data-testid="outbox-refused">
          {t('outboxRefused')}
          {colon()}
          {e.refused}{' '}
          <button class="link" onClick={() => dismiss(e.key)}>
            {t('outboxDismiss')}
          </button>
        </p>
      ))}
    </div>
  );
}
