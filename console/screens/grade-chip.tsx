/**
 * An alarm grade as a chip in its colour (红色 / 橙色 / 黄色 / 蓝色), alone or with a count ("红色 3", `data-grade`
 * marking the count's grade for whoever reads the counts).
 */
import { t } from '../i18n.ts';
import type { Grade } from '../types.ts';

export function GradeChip({ grade, count, testid }: { grade: Grade; count?: number; testid?: string }) {
  return (
    <span class={`chip grade-${grade}`} data-grade={count === undefined ? undefined : grade} data-testid={testid}>
      {t(grade)}
      {count !== undefined && ` ${count}`}
    </span>
  );
}
