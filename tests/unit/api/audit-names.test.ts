/**
 * Every action the platform writes to the audit trail has a name in both languages (api/audit-names.ts), so the
 * audit screen never shows a code: the sources are read for the actions they write — literal ones, and the task's
 * and the enterprise response's steps, which are written as `task.{event}` and `alert_response.{event}`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTION_NAMES, AUDIT_SUBJECT_NAMES } from '../../../api/audit-names.ts';
import { PERMISSIONS } from '../../../api/roles.ts';

const ROOT = join(import.meta.dirname, '../../..');
const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir)).flatMap((f) => {
    const path = join(dir, f);
    return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const SUBJECTS = Object.keys(AUDIT_SUBJECT_NAMES).join('|');

describe('the audit trail’s names', () => {
  it('name every literal action the sources write', () => {
    const written = new Set<string>();
    for (const path of ['core', 'ledger', 'gateway', 'ingest', 'alerts', 'inspections', 'api'].flatMap(sources)) {
      const text = read(path);
      if (!/appendAudit|audited\(|audit\(/.test(text)) continue;
      for (const m of text.matchAll(new RegExp(`'((?:${SUBJECTS}|enterprise_users|self_inspection|alert_response)\\.[a-z_]+)'`, 'g'))) written.add(m[1]!);
    }
    const actions = [...written].filter((a) => !(a in PERMISSIONS));
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => !(a in AUDIT_ACTION_NAMES))).toEqual([]);
  });

  it('name every step of a task and of an enterprise’s response', () => {
    const taskSteps = [...read('inspections/tasks/lifecycle.ts').matchAll(/type: '([a-z_]+)'/g)].map((m) => `task.${m[1]}`);
    const union = /export type ResponseEventType = ([^;]+);/.exec(read('alerts/response/lifecycle.ts'))![1]!;
    const responseSteps = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => `alert_response.${m[1]}`);
    expect(taskSteps.length).toBeGreaterThan(10);
    expect(responseSteps.length).toBeGreaterThan(5);
    expect([...taskSteps, 'task.created', ...responseSteps].filter((a) => !(a in AUDIT_ACTION_NAMES))).toEqual([]);
  });

  it('are Chinese in Chinese and English in English', () => {
    for (const n of [...Object.values(AUDIT_ACTION_NAMES), ...Object.values(AUDIT_SUBJECT_NAMES)]) {
      expect(n.zh).toMatch(/[\u4e00-\u9fff]/);
      expect(n.en).not.toMatch(/[\u4e00-\u9fff]/);
    }
  });
});
