// The composer's counter and preview: characters, encoding, segments and
// cost, the characters that force UCS-2 marked, and what would avoid it.
import { Encoding } from "./gen/tern/v1/message_pb";
import { encodingName, money, type Count } from "./composer";

export function Counter({ count, pending, priced }: { count?: Count; pending: boolean; priced: boolean }) {
  return (
    <dl class={"counter" + (pending ? " pending" : "")} aria-label="Message counter" aria-live="polite" aria-busy={pending}>
      <div>
        <dt>Characters</dt>
        <dd id="count-chars">{count?.chars ?? 0}</dd>
      </div>
      <div>
        <dt>Encoding</dt>
        <dd id="count-encoding" class={count?.encoding === Encoding.UCS2 ? "ucs2" : undefined}>
          {count ? encodingName(count.encoding) : "—"}
        </dd>
      </div>
      <div>
        <dt>Segments</dt>
        <dd id="count-segments">{count?.segments ?? 0}</dd>
      </div>
      <div>
        <dt>{count?.encoding === Encoding.UCS2 ? "UTF-16 units" : "Septets"}</dt>
        <dd id="count-units">{count?.units ?? 0}</dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd id="count-cost">{priced ? money(count?.price) : "enter a recipient"}</dd>
      </div>
    </dl>
  );
}

/** Preview shows the text with each character that forces UCS-2 marked. */
export function Preview({ body, ucs2 }: { body: string; ucs2: string[] }) {
  if (body === "") return null;
  const parts: (string | preact.JSX.Element)[] = [];
  let run = "";
  [...body].forEach((c, i) => {
    if (ucs2.includes(c)) {
      if (run) parts.push(run);
      run = "";
      parts.push(
        <mark key={i} class="ucs2-char" title="This character makes the message UCS-2">
          {c}
        </mark>,
      );
    } else run += c;
  });
  if (run) parts.push(run);
  return (
    <figure class="preview">
      <figcaption>Preview{ucs2.length > 0 && <> — marked characters make the message UCS-2</>}</figcaption>
      <p id="preview-text">{parts}</p>
    </figure>
  );
}

interface SuggestProps {
  count?: Count;
  onSmart: () => void;
  onRemove: (text: string) => void;
}

/** Suggestion offers the smart-encoding (or removal) that would make the text GSM-7. */
export function Suggestion({ count, onSmart, onRemove }: SuggestProps) {
  const s = count?.suggestion;
  if (!count || !s) return null;
  const fewer = s.segments < count.segments ? `${s.segments} segment${s.segments === 1 ? "" : "s"} instead of ${count.segments}` : `still ${s.segments} segment${s.segments === 1 ? "" : "s"}, with 160 characters a segment instead of 70`;
  const repl = s.replacements.map((r) => `${r.from} → ${r.to || "(removed)"}`).join(", ");
  return (
    <div class="suggestion" id="suggestion" role="note">
      {s.kind === "smart" ? (
        <>
          <p>
            Smart encoding sends this as GSM-7: {fewer}. It replaces {repl}.
          </p>
          <button type="button" onClick={onSmart}>
            Use smart encoding
          </button>
        </>
      ) : (
        <>
          <p>
            Without {s.remove.map((c) => `“${c}”`).join(" ")} this message goes as GSM-7: {fewer}
            {repl && <> (smart encoding also replaces {repl})</>}.
          </p>
          <button type="button" onClick={() => onRemove(s.text!)}>
            {s.remove.length === 1 ? "Remove it" : "Remove them"}
            {repl && " and use smart encoding"}
          </button>
        </>
      )}
    </div>
  );
}
