import type { InfluxClient } from '../core/influx/client.ts';
import type { AdminClient } from './api.ts';

export interface ProvisionedGateway {
  enterpriseId: string;
  gatewayId: string;
  secret: string;
}

/** Provisions enterprise E with gateway G and a small tank-farm sensor set, through the API. */
export async function provisionTankFarm(api: AdminClient, enterpriseId: string, gatewayId: string, authority = true): Promise<ProvisionedGateway> {
  if (authority) await api.request('POST', '/api/v1/authorities', { id: 'city-1', name: '示例市应急管理局', level: 'city' });
  await api.ok('POST', '/api/v1/enterprises', { id: enterpriseId, name: `企业 ${enterpriseId}`, sector: 'hazardous_chemicals', authorityId: 'city-1' });
  const gw = await api.ok<{ secret: string }>('POST', '/api/v1/gateways', { id: gatewayId, enterpriseId });
  const sensors = [
    { id: 'GT-101', kind: 'combustible_gas', unit: '%LEL', periodS: 5 },
    { id: 'LT-201', kind: 'level', unit: 'm', periodS: 10 },
    { id: 'P-RUN', kind: 'production', periodS: 60 },
    { id: 'V-IN', kind: 'valve', periodS: 60 },
  ];
  for (const s of sensors) await api.ok('POST', '/api/v1/sensors', { ...s, enterpriseId, gatewayId });
  return { enterpriseId, gatewayId, secret: gw.secret };
}

/** Reads back a sensor's stored readings as [ms, value, quality] rows, oldest first. */
export async function storedReadings(influx: InfluxClient, enterpriseId: string, sensorId: string): Promise<[number, number, string][]> {
  const series = await influx.query(`SELECT "value", "quality" FROM "reading" WHERE "ent" = '${enterpriseId}' AND "sensor" = '${sensorId}' ORDER BY time ASC`);
  return (series[0]?.values ?? []) as [number, number, string][];
}

export async function countReadings(influx: InfluxClient, where = ''): Promise<number> {
  const series = await influx.query(`SELECT count("value") FROM "reading"${where ? ` WHERE ${where}` : ''}`);
  return Number(series[0]?.values[0]?.[1] ?? 0);
}

/** The tests' jurisdiction: 示例市应急管理局 (`city`) over 甲县应急管理局 (K1) and 乙县应急管理局 (K2). */
export async function createCityAndCounties(api: AdminClient, city = 'C'): Promise<void> {
  await api.ok('POST', '/api/v1/authorities', { id: city, name: '示例市应急管理局', level: 'city' });
  await api.ok('POST', '/api/v1/authorities', { id: 'K1', name: '甲县应急管理局', level: 'county', parentId: city });
  await api.ok('POST', '/api/v1/authorities', { id: 'K2', name: '乙县应急管理局', level: 'county', parentId: city });
}
