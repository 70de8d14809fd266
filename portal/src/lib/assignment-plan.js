// The assignment plan (`assign?validateOnly=true`) as an admin reads it: who gains, keeps or loses a Cloud PC, and why.
import { plural } from './format.js';

// the outcomes, in the order the review lists them
// (`label`: one user's outcome; `tile`: after a count of users)
export const OUTCOMES = {
  gain: { label: 'Gets a Cloud PC', tile: 'gain a Cloud PC', order: 0 },
  keep: { label: 'Keeps their Cloud PC', tile: 'keep their Cloud PC', order: 1 },
  lose: { label: 'Loses their Cloud PC', tile: 'lose their Cloud PC', order: 2 },
  other: { label: 'Served by another policy', tile: 'served by another policy', order: 3 },
  none: { label: 'No Cloud PC: no license', tile: 'without a Windows 365 license', order: 4 },
};

/** One user's outcome; `served` holds the users who already have a Cloud PC of this policy. */
export function outcomeOf(entry, served = new Set()) {
  switch (entry.action) {
    case 'provision':
      return served.has(entry.userId) ? 'keep' : 'gain';
    case 'lose':
      // no longer targeted, but without a license it had no Cloud PC to lose
      return entry.cloudPcCount ? 'lose' : 'none';
    case 'servedByEarlierPolicy':
      return 'other';
    default:
      return 'none';
  }
}

/** The plan's users as rows `{...entry, outcome, label}`, by outcome then name, and the count of each outcome. */
export function describePlan(plan, served = new Set()) {
  const rows = (plan?.users || []).map((entry) => {
    const outcome = outcomeOf(entry, served);
    return { ...entry, outcome, label: OUTCOMES[outcome].label };
  });
  rows.sort((a, b) => OUTCOMES[a.outcome].order - OUTCOMES[b.outcome].order || a.userPrincipalName.localeCompare(b.userPrincipalName));
  const counts = Object.fromEntries(Object.keys(OUTCOMES).map((outcome) => [outcome, 0]));
  let newCloudPcs = 0;
  for (const row of rows) {
    counts[row.outcome] += 1;
    if (row.outcome === 'gain') newCloudPcs += row.cloudPcCount || 0;
  }
  return { rows, counts, newCloudPcs, membersNotFound: plan?.summary?.membersNotFound || 0 };
}

/** One sentence for the top of the review: "2 users get 3 Cloud PCs; 1 loses theirs; 1 has no license." */
export function planHeadline(described) {
  const { counts, newCloudPcs } = described;
  const parts = [];
  if (counts.gain) parts.push(`${plural(counts.gain, 'user')} ${counts.gain === 1 ? 'gets' : 'get'} ${plural(newCloudPcs, 'new Cloud PC')}`);
  if (counts.keep) parts.push(`${plural(counts.keep, 'user')} ${counts.keep === 1 ? 'keeps' : 'keep'} their Cloud PCs`);
  if (counts.lose) parts.push(`${plural(counts.lose, 'user')} ${counts.lose === 1 ? 'loses' : 'lose'} their Cloud PCs after the grace period`);
  if (counts.other) parts.push(`${plural(counts.other, 'user')} ${counts.other === 1 ? 'is' : 'are'} served by another policy`);
  if (counts.none) parts.push(`${plural(counts.none, 'user')} ${counts.none === 1 ? 'has' : 'have'} no Windows 365 license`);
  if (!parts.length) return 'Nobody gains or loses a Cloud PC.';
  const sentence = parts.join('; ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}
