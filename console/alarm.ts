/**
 * The audible and visual alarm for a new red alert (issue #20 §4): a duty room hears a red alarm arrive, and a
 * desktop notification shows it while the console is behind other windows. Browsers let a page make sound or ask
 * for notifications only after a click: the officer turns it on once after signing in (`enable`), and it stays on
 * for the page's life.
 */
import { signal } from './state.ts';

export const alarmOn = signal(false);
/** Set while a new red alert rings (the banner flashes), cleared after `RING_MS`. */
export const ringing = signal(false);

/** How long the banner flashes after a new red alert: the platform's default. */
const RING_MS = 10_000;
let audio: AudioContext | undefined;
let stopRinging: ReturnType<typeof setTimeout> | undefined;

/** Turns the alarm on (from a click): the sound is unlocked and desktop notifications are asked for. */
export async function enable(): Promise<void> {
  audio ??= new AudioContext();
  await audio.resume().catch(() => undefined);
  if (typeof Notification !== 'undefined' && Notification.permission === 'default') await Notification.requestPermission().catch(() => undefined);
  alarmOn.set(true);
  beep(1); // the officer hears what it will sound like
}

/** Three short tones at 880 Hz (a high, urgent pitch), or `times` of them. */
function beep(times = 3): void {
  if (!audio) return;
  const start = audio.currentTime;
  for (let i = 0; i < times; i++) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.3;
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.45);
    osc.stop(start + i * 0.45 + 0.3);
  }
}

/** A new red alert: rings, flashes the banner, and shows a desktop notification (`title`, `body`), if turned on. */
export function ring(alertId: string, title: string, body: string, open: () => void): void {
  if (!alarmOn.get()) return;
  beep();
  ringing.set(true);
  clearTimeout(stopRinging);
  stopRinging = setTimeout(() => ringing.set(false), RING_MS);
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    const n = new Notification(title, { body, tag: alertId, requireInteraction: true });
    n.onclick = () => {
      window.focus();
      open();
      n.close();
    };
  }
}
