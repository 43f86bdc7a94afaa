/**
 * Labels of the machine-readable event reasons, Simplified Chinese first, for
 * the console and notifications. Events store only the code (and a specific
 * English `detail`), so the labels can be reworded without editing records.
 */
import type { AlertReason } from './model.ts';

export const REASONS: Readonly<Record<AlertReason, { readonly zh: string; readonly en: string }>> = {
  condition_raised: { zh: '报警条件出现，等待持续时间确认', en: 'Condition raised; waiting for the hold time' },
  raised_without_hold: { zh: '报警条件出现（无需持续时间确认）', en: 'Condition raised (no hold time)' },
  hold_elapsed: { zh: '报警条件持续超过规定时间', en: 'Condition held for the hold time' },
  start_moved_earlier: { zh: '迟到数据表明报警开始时间更早', en: 'Late data shows the condition began earlier' },
  severity_increased: { zh: '报警等级升高', en: 'Severity increased' },
  root_cause_active: { zh: '根因报警（如网关离线）未消除，暂不单独报警', en: 'Root-cause alert (e.g. gateway offline) is active; not alerted separately' },
  root_cause_cleared: { zh: '根因报警已消除，恢复单独报警', en: 'Root-cause alert cleared; alerting on its own again' },
  red_never_suppressed: { zh: '红色报警不屏蔽', en: 'Red alarms are never suppressed' },
  planned_stop_in_force: { zh: '登记的停产/检修期间，暂不单独报警（计数）', en: 'A registered planned stop is in force; counted, not alerted' },
  planned_stop_over: { zh: '停产/检修已结束，恢复单独报警', en: 'The planned stop is over; alerting on its own again' },
  acknowledged_by_officer: { zh: '值班员已签收', en: 'Acknowledged by the duty officer' },
  ack_time_limit_exceeded: { zh: '超时未签收，逐级督办', en: 'Not acknowledged within the time limit; escalated' },
  escalated_by_officer: { zh: '值班员报请上级督办', en: 'Referred to the authority above by an officer' },
  condition_cleared: { zh: '报警条件已消除', en: 'Condition cleared' },
  cleared_before_hold: { zh: '未达持续时间即消除，不报警', en: 'Cleared before the hold time; not alerted' },
  disposed_by_officer: { zh: '值班员已处置', en: 'Disposed by the duty officer' },
  consolidated: { zh: '同一测点同一事件的另一项报警并入本报警', en: 'Another alarm of the same point and episode joined this one' },
  member_cleared: { zh: '并入的一项报警条件已消除，其余仍在', en: 'One joined condition cleared; others still stand' },
  shelved_by_officer: { zh: '值班员限时搁置扰动报警', en: 'Nuisance alarm shelved for a limited time by an officer' },
  shelve_expired: { zh: '搁置期满，自动取消搁置', en: 'Shelve expired; unshelved automatically' },
  unshelved_by_officer: { zh: '值班员取消搁置', en: 'Unshelved by an officer' },
  red_never_shelved: { zh: '报警升为红色，立即取消搁置', en: 'The alarm turned red; unshelved at once' },
  raised_while_shelved: { zh: '搁置期间报警等级升高（未到红色，不通知）', en: 'Severity increased while shelved (below red; not notified)' },
  enterprise_answers_first: { zh: '移交企业先行签收、查明原因并反馈', en: 'Handed to the enterprise to sign for, find the cause and feed back first' },
  sign_overdue: { zh: '企业超时未签收，转为督办事项', en: 'The enterprise did not sign for it in time; now a supervision item' },
  feedback_overdue: { zh: '企业超时未反馈，转为督办事项', en: 'The enterprise did not feed back in time; now a supervision item' },
  enterprise_signed: { zh: '企业已签收', en: 'Signed for by the enterprise' },
  enterprise_fed_back: { zh: '企业已反馈原因及措施', en: 'The enterprise fed back the cause and measures' },
  enterprise_asked_to_clear: { zh: '企业申请消警', en: 'The enterprise asked to clear it' },
  feedback_accepted: { zh: '值班员审核通过企业反馈', en: "The enterprise's feedback was accepted" },
  feedback_rejected: { zh: '值班员退回企业反馈', en: "The enterprise's feedback was rejected" },
  review_overdue: { zh: '企业反馈超时未审核，转为督办事项', en: "The enterprise's feedback was not reviewed in time; now a supervision item" },
};
