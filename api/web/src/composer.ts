// The Send page's live counter: MessageService.Estimate, debounced, with
// the smart-encoding suggestion worked out by asking again.
import { useEffect, useRef, useState } from "preact/hooks";
import { client, problem, type Problem } from "./api";
import { Encoding } from "./gen/tern/v1/message_pb";
import { MessageService, type EstimateResponse, type Money, type Replacement } from "./gen/tern/v1/message_service_pb";

export interface Suggestion {
  /** "smart": smart encoding alone makes it GSM-7; "remove": dropping the highlighted characters does. */
  kind: "smart" | "remove";
  /** The segments it would take then, instead of now. */
  segments: number;
  replacements: Replacement[];
  /** Characters to remove (kind "remove"). */
  remove: string[];
  /** The text after removing them, smart encoding on. */
  text?: string;
}

export interface Count {
  chars: number;
  encoding: Encoding;
  units: number;
  segments: number;
  price?: Money;
  ucs2: string[];
  replacements: Replacement[];
  suggestion?: Suggestion;
}

/** A recipient complete enough to price: E.164. */
export const e164 = /^\+[1-9]\d{7,14}$/;

/** chars counts a text's characters as people see code points. */
export const chars = (s: string) => [...s].length;

/** without removes every code point of drop from s. */
export const without = (s: string, drop: string[]) => [...s].filter((c) => !drop.includes(c)).join("");

async function estimate(body: string, smart: boolean, to: string, signal: AbortSignal): Promise<EstimateResponse> {
  return client(MessageService).estimate({ body, smartEncoding: smart, to: e164.test(to) ? to : "" }, { signal });
}

/** suggest works out how the text could go as GSM-7, when it is UCS-2. */
async function suggest(body: string, smart: boolean, now: EstimateResponse, signal: AbortSignal): Promise<Suggestion | undefined> {
  if (now.encoding !== Encoding.UCS2) return undefined;
  let withSmart = now;
  if (!smart) {
    withSmart = await estimate(body, true, "", signal);
    if (withSmart.encoding === Encoding.GSM7) {
      return { kind: "smart", segments: withSmart.segments, replacements: withSmart.replacements, remove: [] };
    }
  }
  const remove = withSmart.ucs2Characters;
  const text = without(body, remove);
  if (remove.length === 0 || text.trim() === "") return undefined;
  const after = await estimate(text, true, "", signal);
  if (after.encoding !== Encoding.GSM7) return undefined;
  return { kind: "remove", segments: after.segments, replacements: after.replacements, remove, text };
}

/**
 * useCount estimates body as it is typed: delay ms after the last change,
 * one call at a time, later answers winning.
 */
export function useCount(body: string, smart: boolean, to: string, delay = 250) {
  const [count, setCount] = useState<Count>();
  const [error, setError] = useState<Problem>();
  const [pending, setPending] = useState(false);
  const inflight = useRef<AbortController | undefined>(undefined);
  useEffect(() => {
    inflight.current?.abort();
    if (body === "") {
      setCount(undefined);
      setError(undefined);
      setPending(false);
      return;
    }
    setPending(true);
    const ctl = new AbortController();
    inflight.current = ctl;
    const timer = setTimeout(async () => {
      try {
        const r = await estimate(body, smart, to, ctl.signal);
        const suggestion = await suggest(body, smart, r, ctl.signal);
        if (ctl.signal.aborted) return;
        setCount({
          chars: chars(body), encoding: r.encoding, units: r.units, segments: r.segments, price: r.price,
          ucs2: r.ucs2Characters, replacements: r.replacements, suggestion,
        });
        setError(undefined);
      } catch (e) {
        if (!ctl.signal.aborted) setError(problem(e, ["body", "to"]));
      } finally {
        if (!ctl.signal.aborted) setPending(false);
      }
    }, delay);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [body, smart, to]);
  return { count, error, pending };
}

/** money formats an amount in millionths of its currency. */
export function money(m?: Money): string {
  if (!m || !m.currency) return "—";
  const v = Number(m.micros) / 1e6;
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency, maximumFractionDigits: 4 }).format(v);
  } catch {
    return `${v} ${m.currency}`;
  }
}

export const encodingName = (e: Encoding) => (e === Encoding.GSM7 ? "GSM-7" : e === Encoding.UCS2 ? "UCS-2" : "—");
