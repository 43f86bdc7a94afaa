/**
 * The peer pipeline: Node-RED 4 with node-red-contrib-influxdb, installed on
 * first use into var/peer/node-red (gitignored; never a dependency of the
 * project), running the flow a Node-RED user would wire for our contract.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { portOpen, stopChild } from '../../platform/local-services.ts';
import { freePort } from '../../testkit/services.ts';
import { ALERT_TOPIC, NODE_RED_DIR, PEER_DIR, peerEnt, type Variant } from './options.ts';
import { waitFor, type Proc } from './proc.ts';

/** Installs Node-RED 4 and node-red-contrib-influxdb into var/peer/node-red the first time. */
export function ensureNodeRed(): string {
  const red = joinPath(NODE_RED_DIR, 'node_modules/node-red/red.js');
  if (!existsSync(red) || !existsSync(joinPath(NODE_RED_DIR, 'node_modules/node-red-contrib-influxdb/package.json'))) {
    mkdirSync(NODE_RED_DIR, { recursive: true });
    console.error('installing Node-RED 4 and node-red-contrib-influxdb into var/peer/node-red …');
    execFileSync('npm', ['install', '--prefix', NODE_RED_DIR, 'node-red@4', 'node-red-contrib-influxdb', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  return red;
}

/** The envelope → points function: one InfluxDB point per reading, tagged like ours (ent, gw, sensor, unit). */
const POINTS_JS = `const [, ent, gw] = msg.topic.split('/');
msg.payload = msg.payload.readings.map((r) => ({
  measurement: 'reading',
  tags: { ent, gw, sensor: r.sensor, unit: r.unit },
  fields: { value: r.value, quality: r.quality },
  timestamp: r.ts,
}));
return msg;`;

/** The flow a Node-RED user would wire for our contract (see the file comment). */
export function peerFlow(v: Variant, mqttPort: number, influxPort: number, join: number): object[] {
  const node = (id: string, type: string, wires: string[][], extra: object) => ({ id, type, z: 'peer', name: id, x: 100, y: 100, wires, ...extra });
  const fn = (id: string, func: string, to: string) =>
    node(id, 'function', [[to]], { func, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] });
  return [
    { id: 'peer', type: 'tab', label: `peer ${v}`, disabled: false, info: '' },
    {
      id: 'broker',
      type: 'mqtt-broker',
      name: 'mosquitto',
      broker: '127.0.0.1',
      port: String(mqttPort),
      clientid: `node-red-${v}`,
      autoConnect: true,
      usetls: false,
      protocolVersion: 4,
      keepalive: 60,
      cleansession: true,
      autoUnsubscribe: true,
      birthTopic: '',
      closeTopic: '',
      willTopic: '',
    },
    {
      id: 'influx',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(influxPort),
      protocol: 'http',
      database: 'peer',
      name: 'influxd',
      usetls: false,
      tls: '',
      influxdbVersion: '1.x',
    },
    node('in', 'mqtt in', [['json']], {
      topic: `v1/${peerEnt(v)}/+/readings`,
      qos: '1',
      datatype: 'utf8',
      broker: 'broker',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
    }),
    node('json', 'json', [['points', 'readings']], { property: 'payload', action: 'obj', pretty: false }),
    fn('points', POINTS_JS, v === 'batched' ? 'join' : 'write'),
    ...(v === 'batched'
      ? [
          node('join', 'join', [['flatten']], {
            mode: 'custom',
            build: 'array',
            property: 'payload',
            propertyType: 'msg',
            key: 'topic',
            joiner: '\\n',
            joinerType: 'str',
            useparts: false,
            accumulate: false,
            timeout: '0.1',
            count: String(join),
            reduceRight: false,
          }),
          fn('flatten', 'msg.payload = msg.payload.flat();\nreturn msg;', 'write'),
        ]
      : []),
    node('write', 'influxdb batch', [], { influxdb: 'influx', precision: 'ms', retentionPolicy: '' }),
    node('readings', 'change', [['split']], { rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.readings', tot: 'msg' }] }),
    node('split', 'split', [['threshold']], {
      splt: '\\n',
      spltType: 'str',
      arraySplt: 1,
      arraySpltType: 'len',
      stream: false,
      addname: '',
      property: 'payload',
    }),
    node('threshold', 'switch', [['alert']], {
      property: 'payload.value',
      propertyType: 'msg',
      rules: [{ t: 'gte', v: '50', vt: 'num' }],
      checkall: 'true',
      repair: false,
      outputs: 1,
    }),
    node('alert', 'mqtt out', [], { topic: ALERT_TOPIC, qos: '1', retain: 'false', broker: 'broker' }),
  ];
}

/** Starts Node-RED headless (editor off, no credentials, no telemetry) with the flow of variant `v`. */
export async function startNodeRed(red: string, v: Variant, mqttPort: number, influxPort: number, join: number): Promise<Proc> {
  const port = await freePort();
  const flowFile = joinPath(NODE_RED_DIR, `flows-${v}.json`);
  writeFileSync(flowFile, JSON.stringify(peerFlow(v, mqttPort, influxPort, join), null, 1));
  // In var/peer/node-red (its package.json has no "type": "module"), so Node-RED's require() reads it as CommonJS.
  const settings = joinPath(NODE_RED_DIR, `settings-${v}.js`);
  writeFileSync(
    settings,
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      userDir: NODE_RED_DIR,
      flowFile,
      credentialSecret: false,
      disableEditor: true,
      httpNodeRoot: false,
      mqttReconnectTime: 1000,
      logging: { console: { level: 'warn', metrics: false, audit: false } },
      diagnostics: { enabled: false, ui: false },
      telemetry: { enabled: false },
      externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
      functionExternalModules: false,
      editorTheme: { projects: { enabled: false } },
    })};\n`,
  );
  const log = openSync(joinPath(PEER_DIR, `node-red-${v}.log`), 'a');
  const child = spawn(process.execPath, [red, '--settings', settings], { cwd: NODE_RED_DIR, stdio: ['ignore', log, log] });
  await waitFor(`node-red (${v})`, () => portOpen(port), child, 60_000);
  return { name: `node-red ${v}`, child, port, stop: () => stopChild(child) };
}
