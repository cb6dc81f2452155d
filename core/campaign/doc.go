// Package campaign holds a campaign's pure rules: the states it moves
// through and the actions that move it (state.go), and how one
// recipient's text is made from a stored template (message.go): the
// language variant, the contact's values, tracked links and the opt-out
// footer.
//
// The package is pure: no I/O. Storing, expanding and sending campaigns
// is pipeline/campaigns'.
package campaign
