// Package flow owns the rules of automated flows: what a flow is (a
// trigger, steps and exit conditions), the catalogue tern ships, a
// tenant's settings over it (templates, delays, times of day), and the
// pure step logic — given a run's position, its variables and the time,
// what happens next: wait until an instant, send a rendered text, go
// down a branch, or finish.
//
// Steps are: wait a duration; wait until a time of day in the
// recipient's zone (the first zone of their number, core/phone); send a
// template (core/tmpl) with variables taken from the store event that
// started the run; branch on a condition over those variables. A run is
// unique per flow and subject (a checkout, an order, a fulfillment's
// status, …): at most one reminder series per checkout. Exit conditions
// name later store events that end a run early, matched on the same
// checkout, order or customer.
//
// The package is pure: running steps, keeping runs and sending belong
// to pipeline/flows.
package flow
