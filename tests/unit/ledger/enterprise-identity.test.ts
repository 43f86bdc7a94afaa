import { describe, expect, it } from 'vitest';
import { identityPatch, normalisePhone } from '../../../ledger/enterprise-identity.ts';

describe('safety manager phone', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['+86 138 0013 8000', '13800138000'],
    ['8613800138000', '13800138000'],
    ['19912345678', '19912345678'],
    ['010-62345678', '010-62345678'],
    ['(010) 6234 5678', '010-62345678'],
    ['02162345678', '021-62345678'],
    ['0571-8888888', '0571-8888888'],
    ['0571-88888888转123', '0571-88888888转123'],
    ['0571 88888888 ext 9', '0571-88888888转9'],
    ['+86 21 62345678', '021-62345678'],
  ])('normalises %j to %s', (input, phone) => {
    expect(normalisePhone(input)).toEqual({ ok: true, phone });
  });

  it.each([
    '12345678901',
    '1380013800',
    '138001380001',
    '12345678',
    '010-01234567',
    '010-12345678',
    '0571-123456',
    'abc',
    '',
    '13800138000转12',
    '010-12345678转',
  ])('refuses %j with a message in both languages', (input) => {
    const r = normalisePhone(input);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/不是有效的电话号码.*not a valid phone number/);
  });
});

describe('identity patch', () => {
  it('checks and normalises every field given', () => {
    const p = identityPatch.parse({
      creditCode: '91350100m000100y43',
      longitude: 116.4,
      latitude: 39.9,
      safetyManagerPhone: '+86 13800138000',
      address: ' 北京市 ',
    });
    expect(p).toEqual({ creditCode: '91350100M000100Y43', longitude: 116.4, latitude: 39.9, safetyManagerPhone: '13800138000', address: '北京市' });
  });

  it.each([
    [{ longitude: 39.9, latitude: 116.4 }, /经度应在73—136之间/],
    [{ longitude: -116.4, latitude: 39.9 }, /longitude must be within 73–136/],
    [{ longitude: 116.4, latitude: 0 }, /纬度应在3—54之间/],
    [{ longitude: 116.4 }, /经度和纬度须同时给出/],
    [{ longitude: 116.4, latitude: null }, /longitude and latitude go together/],
    [{ creditCode: '91350100M000100Y4Z' }, /应为“3”/],
    [{ safetyManagerPhone: '12345' }, /not a valid phone number/],
    [{ unknown: 1 }, /unrecognized/i],
  ])('refuses %j', (input, message) => {
    const r = identityPatch.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });

  it('clears fields with null', () => {
    expect(identityPatch.parse({ creditCode: null, longitude: null, latitude: null })).toEqual({ creditCode: null, longitude: null, latitude: null });
  });
});
