import type { Page } from "../nav";
import { EmptyState, PageTitle } from "../ui";

/** Placeholder is a page still to come: it says what it will do. */
export function Placeholder({ page }: { page: Page }) {
  return (
    <>
      <PageTitle title={page.title}>{page.title}</PageTitle>
      <EmptyState title="Coming to this dashboard">
        <p>{page.about}</p>
        <p class="muted">Until then, the API does it: see the documentation of tern.v1 in proto/.</p>
      </EmptyState>
    </>
  );
}

export function NotFound() {
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is no page here. <a href="/">Go to the overview</a>.
      </p>
    </>
  );
}
