/** Provisioned points of gateway G1 of enterprise E1, as the registry hands them to the decoders. */
import { readingSeriesKey, signalSeriesKey } from '../core/influx/schema.ts';
import type { PointRecord } from '../ledger/registry.ts';

export type SensorPoint = Extract<PointRecord, { type: 'sensor' }>;
export type SignalPoint = Extract<PointRecord, { type: 'signal' }>;

export const sensorPoint = (id: string, kind: string, unit: string): SensorPoint => ({
  type: 'sensor',
  id,
  enterpriseId: 'E1',
  gatewayId: 'G1',
  kind,
  unit,
  periodS: 5,
  seriesKey: readingSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', sensorId: id, kind, unit }),
});

export const signalPoint = (id: string, kind: SignalPoint['kind']): SignalPoint => ({
  type: 'signal',
  id,
  enterpriseId: 'E1',
  gatewayId: 'G1',
  kind,
  periodS: 60,
  seriesKey: signalSeriesKey({ enterpriseId: 'E1', gatewayId: 'G1', pointId: id, kind }),
});
