/**
 * The outbox's check that a queued `findings` step is already on the task (console/outbox.ts `sameFindings`): an
 * earlier try applied it and its answer was lost, so the conflict of the next try is no refusal (issue #20 §8).
 */
import { describe, expect, it } from 'vitest';
import { sameFindings } from '../../../console/outbox.ts';
import type { Finding } from '../../../console/types.ts';

const f = (itemId: string, result: Finding['result'], evidence: string[] = [], note = ''): Finding => ({ itemId, result, note, evidence, selfReported: false });
const sent = { findings: [f('a', 'hazard', ['att_2', 'att_1'], '探头失效'), f('b', 'ok')] };

describe('sameFindings', () => {
  it('finds the sent findings on the task, in any order, a hazard recorded as a major one', () => {
    expect(sameFindings(sent, [f('b', 'ok'), f('a', 'major_hazard', ['att_1', 'att_2'], '探头失效')])).toBe(true);
    expect(sameFindings(sent, [f('a', 'hazard', ['att_1', 'att_2'], '探头失效'), f('b', 'ok')])).toBe(true);
  });

  it('tells other findings apart: another result, note, photo or item, one more or one less', () => {
    expect(sameFindings(sent, [f('a', 'ok', ['att_1', 'att_2'], '探头失效'), f('b', 'ok')])).toBe(false);
    expect(sameFindings(sent, [f('a', 'hazard', ['att_1', 'att_2'], '另一条'), f('b', 'ok')])).toBe(false);
    expect(sameFindings(sent, [f('a', 'hazard', ['att_1'], '探头失效'), f('b', 'ok')])).toBe(false);
    expect(sameFindings(sent, [f('a', 'hazard', ['att_1', 'att_2'], '探头失效'), f('c', 'ok')])).toBe(false);
    expect(sameFindings(sent, [f('a', 'hazard', ['att_1', 'att_2'], '探头失效')])).toBe(false);
    expect(sameFindings(sent, [])).toBe(false);
    expect(sameFindings(undefined, [])).toBe(false);
  });
});
