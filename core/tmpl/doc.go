// Package tmpl owns message templates with personalization:
// "Hi {{first_name|there}}, order {{order_id}} has shipped."
//
// A placeholder is {{name}} or {{name|default}}; spaces inside the braces
// around the name and the default are ignored. A default in double
// quotes, {{first_name|"there"}}, is the text between them, spaces
// included. Names start with a letter
// or underscore and go on with letters, digits, underscores and dots.
// "{{" always opens a placeholder; an unclosed one is a syntax error.
//
// A template declares its variables when it is created: using an
// undeclared one is an error then, naming it. At render time a variable
// without a value (or with an empty one) takes its default; with no
// default it is an error naming it. Rendering reports the text's
// encoding and segments (core/gsm), and a template reports its worst case
// for the variables' declared maximum lengths.
//
// The package is named tmpl, not template, to keep clear of the standard
// library's text/template and html/template.
package tmpl
