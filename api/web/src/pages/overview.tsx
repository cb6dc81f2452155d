import { useSession } from "../session";
import { EmptyState, PageTitle } from "../ui";

/** Overview will show live sending; until analytics reports land it says what to do first. */
export function Overview() {
  const { can } = useSession();
  return (
    <>
      <PageTitle title="Overview">Overview</PageTitle>
      <EmptyState title="Nothing to show yet">
        <p>
          This page will show live sends per minute, the delivery rate, today's spend and your recent campaigns, as
          soon as tern's analytics reports are served.
        </p>
        <ul class="next-steps">
          {can("send") && (
            <li>
              <a href="/send">Send a message</a> and watch its characters, encoding, segments and cost as you type.
            </li>
          )}
          {can("admin") && (
            <li>
              <a href="/developers/api-keys">Create an API key</a> for your store's backend.
            </li>
          )}
          <li>
            <a href="/coverage">See where you can send</a>, and what it costs.
          </li>
        </ul>
      </EmptyState>
    </>
  );
}
