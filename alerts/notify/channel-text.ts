/**
 * The Chinese text the enterprise channels send (SMS, DingTalk and WeCom
 * robots), pure: the one-line summary (`summaryOf(n).zh`) then the enterprise,
 * the point, the grade, the event's time in Asia/Shanghai
 * (`yyyy-MM-dd HH:mm:ss`, as provincial systems write it) and, when the
 * notification carries one, the time limit to sign for (签收) the alarm.
 */
import type { Severity } from '../types.ts';
import { summaryOf, type Notification } from './notification.ts';

const GRADE_ZH: Record<Severity, string> = { red: '红色', orange: '橙色', yellow: '黄色', blue: '蓝色' };

/** `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai (UTC+8 all year, no daylight saving). */
export function shanghaiTime(t: string | number): string {
  const s = new Date(new Date(t).getTime() + 8 * 3_600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
}

/** The fields of the text, also the variables of an SMS template (`sms-aliyun.ts`). */
export interface ChannelFields {
  enterprise: string;
  point: string;
  grade: string;
  time: string;
  /** `yyyy-MM-dd HH:mm:ss` or '' when the notification carries no limit. */
  signForBy: string;
}

export function channelFields(n: Notification): ChannelFields {
  return {
    enterprise: n.enterprise.name ?? n.enterprise.id,
    point: n.alert.subject,
    grade: GRADE_ZH[n.event.severity],
    time: shanghaiTime(n.event.at),
    signForBy: n.signForBy === undefined ? '' : shanghaiTime(n.signForBy),
  };
}

/** The text, lines joined with `\n`. */
export function channelText(n: Notification): string {
  const f = channelFields(n);
  const lines = [summaryOf(n).zh, `企业：${f.enterprise}`, `测点：${f.point}`, `等级：${f.grade}`, `时间：${f.time}（北京时间）`];
  if (f.signForBy !== '') lines.push(`请于 ${f.signForBy} 前签收`);
  return lines.join('\n');
}
