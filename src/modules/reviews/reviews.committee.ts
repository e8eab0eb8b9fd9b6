/**
 * The committee view's arithmetic (no SQL, no HTTP): each application's scores per criterion and
 * reviewer side by side, the averages, the ranking by the total average, and the running sum of the
 * amounts applied for down the ranking against the budget left.
 */
export interface CommitteeReviewer {
  userId: number;
  name: string;
}

interface ApplicationLine {
  id: number;
  status: 'draft' | 'submitted' | 'under_review' | 'approved' | 'rejected';
  applicantKind: 'organisation' | 'informal_group';
  organisationName: string | null;
  groupName: string | null;
  projectTitle: string | null;
  appliedOre: number | null;
}

/** One reviewer's cell on one criterion: a score, none yet, or a declared conflict of interest. */
type ScoreCell = { reviewer: CommitteeReviewer } & (
  | { kind: 'score'; score: number }
  | { kind: 'none' }
  | { kind: 'conflicted' }
);

interface CommitteeRow {
  application: ApplicationLine;
  applicantName: string | null;
  decided: boolean;
  /**
   * The viewer declared a conflict of interest here: the others' scores are not shown to them, and
   * the row is listed apart, after the ranking, with no rank, running sum or budget mark (its place
   * would tell the scores).
   */
  viewerConflicted: boolean;
  /** The place in the ranking, from 1; null for a row listed apart. */
  rank: number | null;
  /** Per criterion, in the round's order: each reviewer's cell and the average of the scores. */
  criteria: { criterionId: number; cells: ScoreCell[]; average: number | null }[];
  average: number | null;
  /** Applied for, summed down the ranking over the applications not yet decided. */
  runningOre: number | null;
  withinBudget: boolean | null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function rankForCommittee(input: {
  applications: ApplicationLine[];
  criteria: { id: number }[];
  reviewers: CommitteeReviewer[];
  reviews: { applicationId: number; reviewerId: number; scores: { criterionId: number; score: number }[] }[];
  conflicts: { applicationId: number; userId: number }[];
  viewerId: number;
  budgetOre: number;
  awardedOre: number;
}) {
  const conflicted = new Set(input.conflicts.map((c) => `${c.applicationId}:${c.userId}`));
  const scoreOf = new Map<string, number>();
  for (const r of input.reviews) {
    if (conflicted.has(`${r.applicationId}:${r.reviewerId}`)) continue;
    for (const s of r.scores) scoreOf.set(`${r.applicationId}:${r.reviewerId}:${s.criterionId}`, s.score);
  }
  const rows: CommitteeRow[] = input.applications.map((a) => {
    const criteria = input.criteria.map((c) => {
      const cells: ScoreCell[] = input.reviewers.map((reviewer) => {
        if (conflicted.has(`${a.id}:${reviewer.userId}`)) return { reviewer, kind: 'conflicted' };
        const score = scoreOf.get(`${a.id}:${reviewer.userId}:${c.id}`);
        return score === undefined ? { reviewer, kind: 'none' } : { reviewer, kind: 'score', score };
      });
      const scores = cells.flatMap((cell) => (cell.kind === 'score' ? [cell.score] : []));
      return { criterionId: c.id, cells, average: mean(scores) };
    });
    return {
      application: a,
      applicantName: a.applicantKind === 'informal_group' ? a.groupName : a.organisationName,
      decided: a.status === 'approved' || a.status === 'rejected',
      viewerConflicted: conflicted.has(`${a.id}:${input.viewerId}`),
      criteria,
      average: mean(criteria.flatMap((c) => (c.average === null ? [] : [c.average]))),
      rank: null,
      runningOre: null,
      withinBudget: null,
    };
  });
  // Best first; unscored last; on a tie the smaller amount first, then the earlier application. The
  // viewer's own conflicts come after all of them, in the order sent, outside the ranking.
  rows.sort(
    (x, y) =>
      Number(x.viewerConflicted) - Number(y.viewerConflicted) ||
      (x.viewerConflicted ? 0 : (y.average ?? -1) - (x.average ?? -1)) ||
      (x.viewerConflicted ? 0 : (x.application.appliedOre ?? 0) - (y.application.appliedOre ?? 0)) ||
      x.application.id - y.application.id,
  );
  const budgetLeftOre = input.budgetOre - input.awardedOre;
  let running = 0;
  let openOre = 0;
  rows.forEach((row, i) => {
    if (!row.viewerConflicted) row.rank = i + 1;
    if (row.decided) return;
    openOre += row.application.appliedOre ?? 0;
    if (row.viewerConflicted) return;
    running += row.application.appliedOre ?? 0;
    row.runningOre = running;
    row.withinBudget = running <= budgetLeftOre;
  });
  return {
    reviewers: input.reviewers,
    rows,
    budgetOre: input.budgetOre,
    awardedOre: input.awardedOre,
    budgetLeftOre,
    /** Applied for by the applications not yet decided. */
    openOre,
  };
}
