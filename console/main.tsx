/**
 * The console: duty officers' live alerts, inspectors' tasks (phone-sized),
 * in Simplified Chinese by default, English on a click. Served by the API
 * (api/console.ts), signed in with the session cookie.
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { api, can, user, type User } from './api.ts';
import { lang, setLang, t } from './i18n.ts';
import { go, match, route } from './router.ts';
import { useValue } from './state.ts';
import { AlertFeed, AlertView } from './screens/alerts.tsx';
import { Login } from './screens/login.tsx';
import { AdminView } from './screens/admin/admin.tsx';
import { EnterpriseBoard, EnterpriseView } from './screens/enterprises.tsx';
import { StatsView } from './screens/stats.tsx';
import { QualityView } from './screens/quality.tsx';
import { TaskList, TaskView } from './screens/tasks.tsx';
import { SelfInspectionView } from './screens/self-inspections.tsx';
import { startOutbox } from './outbox.ts';

function Nav({ me }: { me: User }) {
  const path = useValue(route);
  const items: [string, string, boolean][] = [
    ['/alerts', t('alerts'), can('alerts.read') && me.role !== 'inspector'],
    ['/tasks', me.role === 'inspector' ? t('myTasks') : t('tasks'), can('tasks.read')],
    ['/enterprises', t('enterprises'), can('ledger.read') && me.role !== 'inspector'],
    ['/map', t('mapTab'), can('ledger.read') && me.role !== 'inspector'],
    ['/stats', t('stats'), can('stats.read')],
    ['/quality', t('alarmQuality'), can('stats.read')],
    ['/admin', t('admin'), can('ledger.write')],
    // an enterprise user (issue #18): its own alarms above, and its quarterly self-inspection reports
    ['/self-inspections', t('siTitle'), can('self_inspection.report') && !!me.enterpriseId],
  ];
  const signOut = async () => {
    await api('DELETE', '/api/v1/session').catch(() => undefined);
    // what the service worker kept for reading offline (tasks, the session) goes with the session
    if ('caches' in window) await caches.delete('nss-data').catch(() => undefined);
    user.set(undefined);
  };
  return (
    <header class="top">
      <strong class="brand">{t('appName')}</strong>
      <nav>
        {items
          .filter(([, , show]) => show)
          .map(([href, label]) => (
            <a key={href} href={`#${href}`} class={path.startsWith(href) ? 'current' : ''}>
              {label}
            </a>
          ))}
      </nav>
      <span class="who">
        {me.name} · {t(me.role === 'admin' ? 'admin' : me.role)}
        {me.enterpriseName && <span data-testid="who-enterprise"> · {me.enterpriseName}</span>}
      </span>
      <button class="link" lang={lang.get() === 'zh' ? 'en' : 'zh-CN'} onClick={() => setLang(lang.get() === 'zh' ? 'en' : 'zh')} data-testid="lang">
        {t('language')}
      </button>
      <button class="link" onClick={() => void signOut()}>
        {t('signOut')}
      </button>
    </header>
  );
}

function Page({ me }: { me: User }) {
  const path = useValue(route);
  let m: Record<string, string> | undefined;
  // an enterprise user has its alarms and its self-inspection reports, nothing of the bureau's
  if (me.enterpriseId && !path.startsWith('/alerts') && path !== '/self-inspections') return <Redirect to="/alerts" />;
  if ((m = match('/alerts/:id', path))) return <AlertView id={m.id!} />;
  if ((m = match('/tasks/:id', path))) return <TaskView id={m.id!} />;
  if (path === '/tasks') return <TaskList mine={me.role === 'inspector'} />;
  if (path === '/alerts') return <AlertFeed />;
  if (path === '/stats') return <StatsView />;
  if (path === '/quality') return <QualityView />;
  if (path === '/enterprises') return <EnterpriseBoard />;
  if (path === '/map' && can('ledger.read')) return <EnterpriseBoard view="map" />;
  if (path === '/admin' && can('ledger.write')) return <AdminView />;
  if (path === '/self-inspections' && me.enterpriseId) return <SelfInspectionView enterpriseId={me.enterpriseId} />;
  if ((m = match('/enterprises/:id', path))) return <EnterpriseView id={m.id!} />;
  // home: inspectors their tasks, everyone else the alerts
  const home = {
    inspector: '/tasks',
    leader: '/stats',
    admin: '/admin',
    duty_officer: '/alerts',
    safety_manager: '/alerts',
    responsible_person: '/alerts',
  } as const;
  return <Redirect to={home[me.role]} />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => go(to), [to]);
  return null;
}

function App() {
  const me = useValue(user);
  useValue(lang);
  useEffect(() => {
    api<{ user: User | null }>('GET', '/api/v1/session').then(
      (r) => user.set(r.user ?? undefined),
      () => user.set(undefined),
    );
  }, []);
  if (me === null) return <p class="loading">…</p>;
  if (me === undefined) return <Login />;
  return (
    <>
      <Nav me={me} />
      <main>
        <Page me={me} />
      </main>
    </>
  );
}

setLang(lang.get()); // the page's language and title
render(<App />, document.getElementById('app')!);
// the inspector's phone (issue #20 §8): findings kept offline are sent when back online; the app shell works offline
startOutbox();
if ('serviceWorker' in navigator) void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
