// Package router chooses the carrier for each message: routes per
// destination prefix or country, and a circuit breaker per carrier so
// that traffic fails over to the next carrier of a route while one is
// failing, and returns when it recovers.
//
// The package owns the carrier configuration: --carrier specs
// (ParseCarrier), --route specs (ParseRoute) and the config file
// (LoadConfig). It builds the carriers through a dial function and hands
// them back (Router.Carriers) to be run and closed by its caller. It does
// not retry, queue, wait or store anything: when every carrier of a route
// is open, Pick says so and the caller waits and picks again, so nothing
// is dropped.
//
// # Routing
//
// A route serves an E.164 prefix ("+4479"), a country ("GB", ISO 3166-1
// alpha-2, by the numbering plan) or "*", every other destination. The
// longest matching prefix wins over a country, a country over "*". A
// route lists carriers, tried in order of priority (lower first; by
// default their position in the list), then cost per segment (cheaper
// first), then the order listed. With no routes, a single carrier serves
// every destination.
//
// # Breakers
//
// A carrier's breaker opens after BreakerConfig.Failures consecutive
// failed submits — no answer (in doubt), no usable connection, or a
// retriable system error such as ESME_RSYSERR — that are also at least
// half of its last 100 outcomes within 10 s, so a partial error storm
// does not shut a carrier that still takes most submits. A refusal of one message
// (ESME_RINVDSTADR) shows the carrier working; throttling is the SMPP
// client's to handle and counts for nothing. After OpenTimeout a
// half-open breaker lets Probes submits through; as many successes close
// it, a failure opens it again.
//
// # Config file
//
// A YAML file, every key optional but carriers:
//
//	carriers:
//	  # A spec, as --carrier takes it (see ParseCarrier for every parameter).
//	  - "eu-mobile=smpp://tern:s3cret@smsc.eu.example.net:2775?binds=2&tps=300&cost=0.031&currency=USD"
//	  # A url; fields beside it override its parameters.
//	  - url: smpp://tern:pa%40ss@smsc.us.example.com   # port 2775 by default
//	    name: us-direct                                 # default: the host
//	    binds: 4
//	    in_doubt: fail                                  # resubmit (default) or fail
//	    cost: 0.0042                                    # per segment
//	    currency: USD
//	  # Fields only: addr, system_id, password and ParseCarrier's parameters.
//	  - name: global
//	    addr: smpp.global.example.org:2776
//	    system_id: tern
//	    password: secret
//	    window: 100
//	    request_timeout: 10s
//	    cost: 0.05
//	    currency: USD
//	routes:
//	  - match: "+447"                 # UK mobiles
//	    carriers: [eu-mobile, global] # failover order
//	  - match: US
//	    carriers:
//	      - name: us-direct
//	        priority: 1
//	      - name: global
//	        priority: 1
//	        cost: 0.0045              # its cost on this route; cheaper wins a tie
//	  - match: "*"
//	    carriers: [global]
//	breaker:
//	  failures: 5        # default 5
//	  open_timeout: 10s  # default 10s
//	  probes: 1          # default 1
//
// testdata/routes.yaml is a longer example. Unknown keys are errors, and
// errors name the entry and line.
//
// # Metrics
//
// WithRegisterer exports each carrier's breaker state, breaker
// transitions, and submit latency by outcome.
package router
