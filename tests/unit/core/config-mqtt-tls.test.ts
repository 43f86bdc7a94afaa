/** The MQTT TLS listener's configuration (issue #19 §5): defaults, the environment, and the combinations refused at start. */
import { describe, expect, it } from 'vitest';
import { configError, MINIMAL_CONFIG } from '../../../testkit/config.ts';
import { configInputFromEnv, parseConfig } from '../../../core/config.ts';

const minimal = MINIMAL_CONFIG;
const files = { certFile: '/etc/nss/server.pem', keyFile: '/etc/nss/server.key' };

describe('mqtt.tls / mqtt.plain', () => {
  it('runs the plain listener only by default', () => {
    const c = parseConfig(minimal);
    expect(c.mqtt.plain).toBe(true);
    expect(c.mqtt.tls).toBeUndefined();
  });

  it('defaults the TLS port to 8883 and client certificates to off', () => {
    expect(parseConfig({ ...minimal, mqtt: { tls: files } }).mqtt.tls).toEqual({ ...files, port: 8883, clientCert: 'off' });
  });

  it('maps the environment', () => {
    const env = {
      REDIS_URL: minimal.redisUrl,
      INFLUX_URL: minimal.influx.url,
      MQTT_PLAIN: 'false',
      MQTT_TLS_PORT: '18883',
      MQTT_TLS_CERT_FILE: files.certFile,
      MQTT_TLS_KEY_FILE: files.keyFile,
      MQTT_TLS_CA_FILE: '/etc/nss/ca.pem',
      MQTT_TLS_CLIENT_CERT: 'required',
    };
    const c = parseConfig(configInputFromEnv(env));
    expect(c.mqtt.plain).toBe(false);
    expect(c.mqtt.tls).toEqual({ ...files, port: 18883, caFile: '/etc/nss/ca.pem', clientCert: 'required' });
  });

  const invalid: { name: string; input: unknown; names: string[] }[] = [
    { name: 'a certificate without its key', input: { ...minimal, mqtt: { tls: { certFile: files.certFile } } }, names: ['mqtt.tls.keyFile'] },
    { name: 'a key without its certificate', input: { ...minimal, mqtt: { tls: { keyFile: files.keyFile } } }, names: ['mqtt.tls.certFile'] },
    {
      name: 'client certificates without a CA',
      input: { ...minimal, mqtt: { tls: { ...files, clientCert: 'required' } } },
      names: ['mqtt.tls.caFile', 'required'],
    },
    {
      name: 'optional client certificates without a CA',
      input: { ...minimal, mqtt: { tls: { ...files, clientCert: 'optional' } } },
      names: ['mqtt.tls.caFile'],
    },
    { name: 'an unknown client certificate mode', input: { ...minimal, mqtt: { tls: { ...files, clientCert: 'yes' } } }, names: ['mqtt.tls.clientCert'] },
    { name: 'no listener at all', input: { ...minimal, mqtt: { plain: false } }, names: ['mqtt.plain', 'mqtt.tls'] },
    { name: 'a TLS port out of range', input: { ...minimal, mqtt: { tls: { ...files, port: 70_000 } } }, names: ['mqtt.tls.port'] },
  ];
  it.each(invalid)('refuses $name, naming the key', ({ input, names }) => {
    const err = configError(input);
    expect(err.code).toBe('CONFIG_INVALID');
    for (const n of names) expect(err.message).toContain(n);
  });

  it('refuses MQTT_PLAIN=false without the TLS variables', () => {
    const err = configError(configInputFromEnv({ REDIS_URL: minimal.redisUrl, INFLUX_URL: minimal.influx.url, MQTT_PLAIN: 'false' }));
    expect(err.message).toContain('mqtt.plain');
  });
});
