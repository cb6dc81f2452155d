// Package keyword classifies inbound texts as opt-out, opt-in, help or
// nothing, the way carriers and regulators expect a sender to read them.
//
// The classifier is context-free: "YES" is opt_in whatever was asked.
// Whether a reply changes consent is for the consent flow to decide; this
// package only reads the words. It ignores case, accents, surrounding
// whitespace and punctuation, and polite fillers ("please", "thanks").
// Only a message that is a keyword or a known short phrase matches:
// "Cancel my order" is not an opt-out, "Where is my order?" is none.
//
// Built-in sets and their sources:
//
//   - English opt-out: the CTIA Messaging Principles and Best Practices
//     (2023, §5) and Short Code Monitoring Handbook (STOP, STOPALL,
//     UNSUBSCRIBE, END, QUIT, CANCEL), plus the words the FCC's 2024 TCPA
//     consent-revocation order (FCC 24-24, 47 CFR 64.1200(a)(12)) makes
//     per se reasonable revocation: stop, quit, end, revoke, opt out,
//     cancel, unsubscribe; and short phrases with the same meaning
//     ("stop texting me", "please stop", "remove me").
//     Opt-in: START, UNSTOP, YES (CTIA), SUBSCRIBE. Help: HELP, INFO.
//     Y, YES and a few short agreements also confirm (Result.Confirms):
//     they answer a double opt-in's "Reply Y to confirm", as SÍ, OUI and
//     JA do in the other sets; START and SUBSCRIBE do not.
//   - Spanish: the Spanish keywords US carriers and aggregators honour for
//     Spanish-language programs (ALTO, PARAR, CANCELAR, AYUDA) and the
//     BAJA/ALTA convention of Spanish and Latin American senders.
//   - French: the bilingual keywords of the Canadian Common Short Code
//     guidelines (ARRET/ARRÊT, AIDE) and the STOP of French SMS practice
//     (AF2M code of conduct), with DÉSABONNER and DÉSINSCRIRE.
//   - German: aggregator practice in Germany, Austria and Switzerland:
//     STOP, STOPP, ABMELDEN, ABBESTELLEN, KÜNDIGEN, ENDE; HILFE; START,
//     ANMELDEN, JA.
//
// Tenants add or remove words with Config; New checks that no word means
// two things.
package keyword
