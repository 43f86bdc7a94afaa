/**
 * What a checklist item comes from (检查依据): the standards and rules, as the task records them (their Chinese
 * titles, the legal text), with their English names for the English console. Pure: the console imports it.
 */
export const BASES = {
  GDS: 'GB/T 50493-2019 石油化工可燃气体和有毒气体检测报警设计标准',
  CHEM_MAJOR: '化工和危险化学品生产经营单位重大生产安全事故隐患判定标准（试行）',
  COAL_MAJOR: '煤矿重大事故隐患判定标准',
  COAL_RULES: '煤矿安全规程',
  INDUSTRY_MAJOR: '工贸企业重大事故隐患判定标准',
  CRIMINAL_LAW: '刑法第一百三十四条之一；应急〔2021〕23号（六）',
} as const;

const ENGLISH: Readonly<Record<string, string>> = {
  [BASES.GDS]: 'GB/T 50493-2019 Standard for design of combustible and toxic gas detection and alarm in the petrochemical industry',
  [BASES.CHEM_MAJOR]: 'Criteria for major accident hazards in chemical and hazardous chemical units (trial)',
  [BASES.COAL_MAJOR]: 'Criteria for major accident hazards in coal mines',
  [BASES.COAL_RULES]: 'Coal Mine Safety Regulations',
  [BASES.INDUSTRY_MAJOR]: 'Criteria for major accident hazards in industry and trade enterprises',
  [BASES.CRIMINAL_LAW]: 'Criminal Law art. 134-1; MEM document 应急〔2021〕23号 (6)',
};

/** A basis in the language asked for: its English name when it has one, else as recorded. */
export const basisIn = (basis: string, lang: 'zh' | 'en'): string => (lang === 'en' ? (ENGLISH[basis] ?? basis) : basis);
