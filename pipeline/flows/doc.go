// Package flows runs core/flow's catalogue for every tenant: it reads
// the store events topic, starts a run for each event a tenant's
// enabled flow is triggered by (at most one per flow and subject: one
// reminder series per checkout), ends runs whose exit conditions an
// event meets, and runs each run's steps as their time comes, sending
// through the pipeline's Intake so that every send check applies
// (consent, the marketing frequency cap, quiet hours).
//
// Runs are durable in PostgreSQL. A waiting run is a row with the next
// step's due_at; every instance polls for due rows and claims a batch
// with FOR UPDATE SKIP LOCKED under a lease, so each run advances on
// one instance at a time, and a run whose instance died is taken up
// when its lease runs out. A send carries an idempotency key of the run
// and step, so a step repeated after a crash queues nothing new.
// Nothing waits in memory: waits survive restarts.
//
// Every step's outcome — waiting, sent (with the message id), skipped
// (and why: a template variable missing, the number opted out), a
// branch taken, the run's exit and its reason — is kept in the run's
// log for ListFlowRuns. A run's end is published as a FlowRunEnded
// record (webhooks' flow.run_exited).
//
// The customer's data comes from the event that started the run: its
// phone, name and order details are the templates' variables. Contacts
// (a contact id instead of a phone) and sender ids are resolved through
// small interfaces that issue 29's contact store and the tenant
// registry satisfy.
package flows
