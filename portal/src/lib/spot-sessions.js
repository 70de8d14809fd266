// A Spot Group's sessions and decisions as the pages word them: the questions before an action, each session's result, the timeline's pages.

const sessions = (count) => `${count} session${count === 1 ? '' : 's'}`;
const users = (count) => (count === 1 ? 'this user' : `these ${count} users`);

export const ACTION_LABELS = { sendMessage: 'Send a message', disconnect: 'Disconnect', logOff: 'Log off' };
const DONE = { sendMessage: 'Message sent', disconnect: 'Disconnected', logOff: 'Logged off' };

/** What the confirmation asks before `action` on `count` sessions (a message has its own dialog instead). */
export function actionQuestion(action, count) {
  if (action === 'logOff') {
    return {
      title: `Log off ${sessions(count)}?`,
      message: `Log off ${users(count)} now? Their apps close at once: work they have not saved is lost. `
        + 'Send them a message first to give them time to save.',
      confirmLabel: `Log off ${sessions(count)}`,
      destructive: true,
    };
  }
  return {
    title: `Disconnect ${sessions(count)}?`,
    message: `Disconnect ${users(count)}? Their sessions stay on their hosts, with their work open, until they connect again.`,
    confirmLabel: `Disconnect ${sessions(count)}`,
    destructive: false,
  };
}

/** Why one session's action failed, in an admin's words: a session that is gone is said plainly. */
export function reasonOf(result) {
  if (result.status === 'succeeded') return null;
  if (result.statusCode === 404) return 'The session is gone: the user signed out, or was logged off already.';
  return result.error?.summary || result.error?.message || `Azure answered ${result.statusCode}.`;
}

/** One sentence over a bulk action's answer: how many went, how many did not. */
export function resultHeadline(answer) {
  const { succeeded, failed } = answer.counts;
  const total = succeeded + failed;
  const done = DONE[answer.action];
  if (!failed) return `${done}: ${total === 1 ? 'the session' : `all ${sessions(total)}`}.`;
  if (!succeeded) return `${ACTION_LABELS[answer.action]} failed for ${total === 1 ? 'the session' : `all ${sessions(total)}`}.`;
  return `${done}: ${succeeded} of ${sessions(total)}. ${failed} failed: see ${failed === 1 ? 'its row' : 'their rows'} below.`;
}

/** The answer's results with the user and host each session had when it was selected (a gone one is no longer listed). */
export function resultRows(answer, seen) {
  return answer.results.map((result) => {
    const session = seen.get(result.sessionId);
    return {
      ...result,
      userPrincipalName: session?.userPrincipalName || result.sessionId,
      sessionHostName: session?.sessionHostName || '—',
      reason: reasonOf(result),
    };
  });
}

/** "12 of 100 characters": a text field's length against its limit. */
export function lengthNote(value, limit) {
  return `${String(value || '').length} of ${limit} characters`;
}

/** A timeline's first page and the pages read after it, newest first, each line once (a line read again, on the first
 * page as it refreshes and on a later page, is kept where the first page has it). */
export function mergePages(first, more) {
  const seen = new Set();
  const lines = [];
  for (const line of [...(first || []), ...(more || [])]) {
    if (seen.has(line.id)) continue;
    seen.add(line.id);
    lines.push(line);
  }
  return lines;
}
