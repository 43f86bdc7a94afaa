/**
 * Citations used by the default packs. Clause numbers are given where the
 * limit is stated; check them against the current text when the packs are
 * reviewed.
 */
export const STD = {
  gds: 'GB/T 50493-2019《石油化工可燃气体和有毒气体检测报警设计标准》§5.5 报警值设定',
  oel: 'GBZ 2.1-2019《工作场所有害因素职业接触限值 第1部分：化学有害因素》',
  coalMethane: '《煤矿安全规程》(2022) 第四百九十八条 甲烷传感器报警、断电、复电浓度',
  coalAir: '《煤矿安全规程》(2022) 第一百三十五条 有害气体最高允许浓度 (CO 0.0024 %)',
  coalWind: '《煤矿安全规程》(2022) 第一百三十六条 井巷风速 (采煤工作面 0.25–4 m/s)',
  coalMajor: '《煤矿重大事故隐患判定标准》(应急管理部令第4号) 通风系统、安全监控系统',
  tankMonitoring: 'AQ 3035-2010《危险化学品重大危险源 安全监控通用技术规范》; GB 50160-2008(2018年版)',
  tankInterlock: '《危险化学品重大危险源监督管理暂行规定》第十三条 (紧急切断); 《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准(试行)》',
  smelting: '《工贸企业重大事故隐患判定标准》(应急管理部令第10号) 冶金: 水冷元件出水温度、进出水流量差监测报警及联锁',
  dust: 'GB 15577-2018《粉尘防爆安全规程》; AQ 4273-2016《粉尘爆炸危险场所用除尘系统安全技术规范》',
  tampering: '应急〔2021〕23号 §(六) (篡改、隐瞒、销毁安全数据); 《安全生产法》第三十六条',
} as const;

/** Kinds of analog sensors whose value is a physical quantity with noise (frozen / out-of-range checks). */
export const ANALOG_KINDS = [
  'combustible_gas',
  'toxic_gas',
  'oxygen',
  'methane',
  'carbon_monoxide',
  'wind_speed',
  'level',
  'temperature',
  'pressure',
  'flow',
  'dust_concentration',
  'differential_pressure',
  'current',
];
export const GAS_KINDS = ['combustible_gas', 'toxic_gas', 'methane', 'carbon_monoxide'];

export const MINUTE = 60_000;
