// events.mjs: issue 19's saturation clause "each viewer has every gift and moderation event",
// judged from what `sorak bench fanout --gift-share F --delete-rate R` reports: `gifts` and
// `moderation`, each with `owed` ((viewer, event) pairs sent while a viewer still connected at the
// end was watching), `delivered` and `missing`. sorakd thins a slow viewer by leaving chat lines
// out, never gifts or deletions, so a thinned viewer must still have every one of them.
//
// Pure functions of the records; no I/O.

const num = (v) => typeof v === 'number' && Number.isFinite(v);

// Gift and moderation events owed and not read in one run; null when the run traced neither (a
// peer, or a Sorak run without the flags).
export function eventsMissing(r) {
  if (!r?.gifts && !r?.moderation) return null;
  const g = r.gifts?.missing, m = r.moderation?.missing;
  if (!num(g) || !num(m)) return null;
  return g + m;
}

// One run met the clause: gifts and deletions were both owed (something was sent while viewers
// watched, so the check checked something) and none is missing.
export function everyEventRead(r) {
  return Boolean(r && !r.failed && num(r.gifts?.owed) && r.gifts.owed > 0 && num(r.moderation?.owed) &&
    r.moderation.owed > 0 && r.gifts.missing === 0 && r.moderation.missing === 0);
}

// The check (bench/report.mjs's form) for a case's Sorak runs: met when every run of the case met
// it. A count of misses is a verdict, not a measurement with noise, so the runs are not compared
// for spread (slack); a busy machine or a failed run still leaves it not measured, as every figure.
export const everyEventCheck = {
  what: 'gift and moderation events owed but not read', unit: 'count', better: 'lower', get: eventsMissing,
  slack: Infinity,
  goal: {
    text: 'none: every viewer has every gift and moderation event (every run)',
    test: (v, r, all) => {
      const runs = (all ?? []).filter((x) => x.case === r?.case && x.system === 'sorak');
      return v === 0 && runs.length > 0 && runs.every(everyEventRead);
    },
  },
};
