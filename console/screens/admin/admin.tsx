/**
 * Admin: users (officers with roles and passwords), enterprises and their
 * ledger facts, gateways (provision — the secret shown once —, rotate the
 * secret, revoke and restore), sensors with their registered alarm marks,
 * the point registry (测点登记: tag numbers, thresholds, links, stop/resume,
 * major hazard sources, import/export of the point list), and the
 * enterprises' registered alarm limits (rule overrides). Every change
 * is on the audit trail, with the admin who made it.
 */
import { useState } from 'preact/hooks';
import { t } from '../../i18n.ts';
import { Audit } from './audit.tsx';
import { Enterprises } from './enterprises.tsx';
import { Gateways } from './gateways.tsx';
import { Import } from './import.tsx';
import { Overrides } from './overrides.tsx';
import { Registry } from './registry.tsx';
import { Stops } from './stops.tsx';
import { Users } from './users.tsx';

type Tab = 'users' | 'enterprises' | 'import' | 'gateways' | 'registry' | 'overrides' | 'audit' | 'stops';

export function AdminView() {
  const [tab, setTab] = useState<Tab>('users');
  const tabs: [Tab, string][] = [
    ['users', t('officers')],
    ['enterprises', t('enterprises')],
    ['import', t('importList')],
    ['gateways', `${t('gateways')} · ${t('sensors')}`],
    ['registry', t('registry')],
    ['overrides', t('ruleOverrides')],
    ['stops', t('plannedStops')],
    ['audit', t('audit')],
  ];
  return (
    <section class="admin" data-testid="admin">
      <div class="tabs" role="tablist">
        {tabs.map(([k, label]) => (
          <button key={k} role="tab" aria-selected={tab === k} class={tab === k ? 'current' : ''} onClick={() => setTab(k)} data-testid={`tab-${k}`}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'users' && <Users />}
      {tab === 'enterprises' && <Enterprises />}
      {tab === 'gateways' && <Gateways />}
      {tab === 'registry' && <Registry />}
      {tab === 'overrides' && <Overrides />}
      {tab === 'stops' && <Stops />}
      {tab === 'import' && <Import />}
      {tab === 'audit' && <Audit />}
    </section>
  );
}
