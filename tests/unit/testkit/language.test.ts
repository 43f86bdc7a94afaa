/** The untranslated-text check the console's browser tests rely on (testkit/language.ts): what it catches and what it lets through. */
import { describe, expect, it } from 'vitest';
import { untranslated } from '../../../testkit/language.ts';

const check = (texts: string[], lang: 'zh' | 'en', known: string[] = []) => untranslated('screen', texts, lang, known).map((f) => f.what);

describe('in the Chinese console', () => {
  it('catches English words and codes', () => {
    expect(check(['no hold time'], 'zh')).toEqual(['latin: no hold time']);
    expect(check(['可燃气体 · combustible_gas'], 'zh')).toEqual(['latin: combustible_gas']);
    expect(check(['报警阈值 level1'], 'zh')).toEqual(['latin: level']);
  });

  it('catches dates as 12/5/26 6:42pm and durations in milliseconds', () => {
    expect(check(['12/5/26 6:42pm'], 'zh')).toContain('date');
    expect(check(['开始后 45238 ms 消除'], 'zh')).toContain('milliseconds');
    expect(check(['2026-12-05T10:43:03Z'], 'zh')).toContain('date');
  });

  it('lets units, standard numbers, ids and names of the data through', () => {
    expect(check(['一级报警 25 %LEL，二级 50 %LEL', '浓度 mg/m³', '压力 1.6 MPa', 'GB/T 50493-2019 第 5.5 条', 'EEMUA 191 参考值'], 'zh')).toEqual([]);
    expect(check(['甲县 · GW-CHEM-001 · GT-101'], 'zh', ['GW-CHEM-001', 'GT-101'])).toEqual([]);
    expect(check(['任务 118561be-4a62-477e-8cfc-83afce1d3b72'], 'zh')).toEqual([]);
    expect(check(['2026-12-05 18:43:03'], 'zh')).toEqual([]);
  });
});

describe('in the English console', () => {
  it('catches Chinese text and full-width punctuation', () => {
    expect(check(['Supervised (督办)'], 'en')).toEqual(['chinese: 督办']);
    expect(check(['Disposal rate（3/4）'], 'en')).toEqual(['chinese: （）']);
    expect(check(['Period：today'], 'en')).toEqual(['chinese: ：']);
  });

  it('lets names of the data and citations of Chinese standards through', () => {
    expect(check(['Sign-in: 甲县值班员'], 'en', ['甲县值班员'])).toEqual([]);
    expect(check(['GB/T 50493-2019《石油化工可燃气体和有毒气体检测报警设计标准》§5.5 报警值设定'], 'en')).toEqual([]);
    expect(check(['MEM document 应急〔2021〕23号 (6)'], 'en')).toEqual([]);
  });

  it('still catches a date as the English locale writes it', () => {
    expect(check(['23/11/2026, 09:00:00'], 'en')).toEqual(['date']);
  });
});
