// A bulk action's review (`validateOnly`) as the admin reads it, and the list's paging token; no DOM here.

const cloudPcs = (n) => `${n} Cloud PC${n === 1 ? '' : 's'}`;

/** The Cloud PCs a reviewed bulk action would act on, and those it would refuse (each with its error). */
export function splitReview(answer) {
  const refused = answer.results.filter((item) => item.status === 'failed');
  const accepted = answer.results.filter((item) => item.status !== 'failed').map((item) => item.cloudPcId);
  return { accepted, refused };
}

/** One sentence over the review: how many go ahead, how many are refused. */
export function reviewHeadline(label, { accepted, refused }) {
  if (!accepted.length) return `None of the selected Cloud PCs can be acted on: ${label.toLowerCase()} would be refused for each.`;
  if (!refused.length) return `${label}: ${accepted.length === 1 ? 'the selected Cloud PC can' : `all ${cloudPcs(accepted.length)} can`} go ahead.`;
  return `${label}: ${accepted.length} of ${accepted.length + refused.length} can go ahead. ${refused.length} would be refused:`;
}

/** The confirmation's title and button, naming the count: "Restart 3 Cloud PCs?". */
export function confirmation(label, accepted) {
  return { title: `${label} ${cloudPcs(accepted)}?`, confirmLabel: `${label} ${cloudPcs(accepted)}` };
}

/** The `skipToken` of a list's opaque `nextLink`: the page's address keeps only it, not the API's whole URL. */
export function skipTokenOf(nextLink) {
  if (!nextLink) return null;
  try {
    return new URL(nextLink, 'http://relative.invalid').searchParams.get('skipToken');
  } catch {
    return null;
  }
}
