// Small building blocks every page shares: labelled fields with their
// error beside them, alerts, empty states.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface FieldProps {
  id: string;
  label: string;
  error?: string;
  hint?: ComponentChildren;
  children: ComponentChildren;
}

/**
 * Field labels its control (whose id is id) and shows the API's error for
 * it right below, tied to it with aria-describedby by fieldAria.
 */
export function Field({ id, label, error, hint, children }: FieldProps) {
  return (
    <div class={"field" + (error ? " has-error" : "")}>
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p class="hint" id={id + "-hint"}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={id + "-error"}>
          {error}
        </p>
      )}
    </div>
  );
}

/** fieldAria are the attributes that tie a control to its hint and error. */
export function fieldAria(id: string, error?: string, hint?: boolean) {
  const by = [hint ? id + "-hint" : "", error ? id + "-error" : ""].filter(Boolean).join(" ");
  return { id, name: id, "aria-invalid": error ? ("true" as const) : undefined, "aria-describedby": by || undefined };
}

export function Alert({ kind = "error", children }: { kind?: "error" | "ok" | "info"; children: ComponentChildren }) {
  return (
    <div class={"alert alert-" + kind} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="empty" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** PageTitle is a page's h1; it sets the document title too. */
export function PageTitle({ children, title }: { children: ComponentChildren; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = title + " · tern";
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
