/**
 * Provisioning of the ledger the broker and ingest rely on: authorities,
 * enterprises, gateways (credentials returned once, stored hashed) and their
 * sensors / signal points. Used by the API and, through it, the CLI. One
 * object over the per-concept stores (`authorities.ts`, `enterprises.ts`,
 * `gateways.ts`, `points.ts`) holding what they share: the database, the
 * clock of the audit records, and the hooks that tell caches a gateway changed.
 */
import type { Clock } from '../core/clock.ts';
import type { Db } from '../core/db/db.ts';
import type { LedgerContext } from './audited.ts';
import { createAuthority } from './authorities.ts';
import { createEnterprise, updateEnterpriseIdentity } from './enterprises.ts';
import { createHazardSource, deleteHazardSource, listHazardSources, updateHazardSource } from './hazard-sources.ts';
import { createGateway, listGateways, rotateGatewaySecret, setGatewayDisabled, type GatewayChangeHooks } from './gateways.ts';
import { createSensor, getRulePoint, getSensor, listSensors, setPointStopped, updateSensor } from './points.ts';
import { exportRegistry, importRegistry, type RegistryFormat } from './registry-import.ts';
import type { HeaderLanguage } from './registry-sheet.ts';

export { authorityInput, type AuthorityInput } from './authorities.ts';
export { enterpriseInput, identityPatch, type EnterpriseInput, type EnterpriseIdentity, type IdentityPatch } from './enterprises.ts';
export { hazardSourceInput, hazardSourcePatch, hazardSourcePath, type HazardSource, type HazardSourceInput } from './hazard-sources.ts';
export { gatewayInput, type GatewayInput, type GatewayChangeHooks } from './gateways.ts';
export { alarmMarksInput, rangeInput, sensorInput, sensorPatch, stopInput, type AlarmMarks, type LedgerPointView, type SensorInput, type SensorPatch } from './points.ts';

export class Provisioning {
  private readonly ctx: LedgerContext;
  private readonly hooks: GatewayChangeHooks;

  /** `hooks.onGatewayChanged` lets caches (the broker's registry, other processes via Redis) drop stale entries. */
  constructor(db: Db, clock: Clock, hooks: Partial<GatewayChangeHooks> = {}) {
    this.ctx = { db, clock };
    this.hooks = { onGatewayChanged: hooks.onGatewayChanged ?? (() => undefined), onCredentialsChanged: hooks.onCredentialsChanged ?? (async () => undefined) };
  }

  createAuthority(input: unknown, actor = 'user:admin') {
    return createAuthority(this.ctx, input, actor);
  }

  createEnterprise(input: unknown, actor = 'user:admin') {
    return createEnterprise(this.ctx, input, actor);
  }

  /** Sets or clears an enterprise's credit code, address, coordinates and safety manager (audited). */
  updateEnterpriseIdentity(enterpriseId: string, input: unknown, actor = 'user:admin') {
    return updateEnterpriseIdentity(this.ctx, enterpriseId, input, actor);
  }

  /** Registers a major hazard source of the enterprise (level checked against R, GB 18218-2018; audited). */
  createHazardSource(enterpriseId: string, input: unknown, actor = 'user:admin') {
    return createHazardSource(this.ctx, enterpriseId, input, actor);
  }

  updateHazardSource(enterpriseId: string, code: string, input: unknown, actor = 'user:admin') {
    return updateHazardSource(this.ctx, enterpriseId, code, input, actor);
  }

  deleteHazardSource(enterpriseId: string, code: string, actor = 'user:admin') {
    return deleteHazardSource(this.ctx, enterpriseId, code, actor);
  }

  listHazardSources(enterpriseId: string) {
    return listHazardSources(this.ctx.db, enterpriseId);
  }

  /** Creates a gateway and returns its secret; the secret is not stored and cannot be shown again. */
  createGateway(input: unknown, actor = 'user:admin') {
    return createGateway(this.ctx, this.hooks, input, actor);
  }

  /** Issues a new secret; the old one stops working at once: connections opened with it are closed before this returns. */
  rotateGatewaySecret(gatewayId: string, actor = 'user:admin') {
    return rotateGatewaySecret(this.ctx, this.hooks, gatewayId, actor);
  }

  setGatewayDisabled(gatewayId: string, disabled: boolean, actor = 'user:admin') {
    return setGatewayDisabled(this.ctx, this.hooks, gatewayId, disabled, actor);
  }

  createSensor(input: unknown, actor = 'user:admin') {
    return createSensor(this.ctx, this.hooks.onGatewayChanged, input, actor);
  }

  /** Changes a registered point (audited with what it was). */
  updateSensor(enterpriseId: string, sensorId: string, input: unknown, actor = 'user:admin') {
    return updateSensor(this.ctx, this.hooks.onGatewayChanged, enterpriseId, sensorId, input, actor);
  }

  /** Stops a point on record (停用, `{ reason }`) or puts it back in use (`null`). */
  setPointStopped(enterpriseId: string, sensorId: string, stop: unknown, actor = 'user:admin') {
    return setPointStopped(this.ctx, this.hooks.onGatewayChanged, enterpriseId, sensorId, stop, actor);
  }

  /**
   * Imports the enterprise's point registry from a spreadsheet (CSV in UTF-8 or GBK, or XLSX; ledger/registry-sheet.ts):
   * every row or none (400 listing every problem with its row); `dryRun` checks only.
   */
  importRegistry(enterpriseId: string, file: Uint8Array, actor = 'user:admin', opts: { dryRun?: boolean } = {}) {
    return importRegistry(this.ctx, this.hooks.onGatewayChanged, enterpriseId, file, actor, opts);
  }

  /** The enterprise's point registry as CSV (UTF-8 with a BOM, or GBK) or XLSX, in the layout an import takes. */
  exportRegistry(enterpriseId: string, opts: { format?: RegistryFormat; encoding?: 'utf-8' | 'gbk'; headers?: HeaderLanguage } = {}) {
    return exportRegistry(this.ctx, enterpriseId, opts);
  }

  listGateways(enterpriseId?: string) {
    return listGateways(this.ctx, enterpriseId);
  }

  listSensors(enterpriseId: string) {
    return listSensors(this.ctx.db, enterpriseId);
  }

  getSensor(enterpriseId: string, sensorId: string) {
    return getSensor(this.ctx.db, enterpriseId, sensorId);
  }

  /** The point as the rules see it (with its enterprise's sector). */
  getRulePoint(enterpriseId: string, sensorId: string) {
    return getRulePoint(this.ctx.db, enterpriseId, sensorId);
  }
}
