/** The pure alert lifecycle: state machine, suppression, chattering, escalation timing and job ids. */
export * from './model.ts';
export { REASONS } from './reasons.ts';
export { transition, episodeEndOf } from './transition.ts';
export { suppressionFor, isDataSilenceRule, gatewaySubject, type SuppressiblePredicate, type SuppressionOptions } from './suppression.ts';
export { detectChattering, DEFAULT_CHATTERING, type ChatteringOptions } from './chattering.ts';
export { escalationDue, nextEscalation, DEFAULT_ESCALATION_LIMITS, type EscalationLimits, type EscalationOptions } from './escalation.ts';
export { escalationJobId, notificationJobId, eventKey } from './job-ids.ts';
