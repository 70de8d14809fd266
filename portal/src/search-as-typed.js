// A directory search as one types: one look-up once typing pauses (not one per key), a late answer to older text
// dropped. The group and the person pickers share it.
import { useEffect, useState } from 'preact/hooks';

const TYPING_PAUSE_MS = 250;

/** `{found, problem}` for `search(text)`, read again when `text` or `inputs` change; `skipEmpty`: no text, no look-up. */
export function useSearchAsTyped(search, text, inputs, { skipEmpty = false } = {}) {
  const [found, setFound] = useState([]);
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    const wanted = text.trim();
    if (skipEmpty && !wanted) {
      setFound([]);
      return undefined;
    }
    let stale = false;
    const timer = setTimeout(async () => {
      try {
        const answer = await search(wanted);
        if (!stale) {
          setFound(answer);
          setProblem(null);
        }
      } catch (failure) {
        if (!stale) setProblem(failure.message);
      }
    }, TYPING_PAUSE_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [...inputs, text]);
  return { found, problem };
}
