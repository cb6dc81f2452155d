package main

import (
	"cmp"
	"context"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/router"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/phone"
	"github.com/ternsms/tern/pipeline"
)

// carrierLifecycle is a carrier that holds connections: Run keeps them
// up until its ctx ends; Close unbinds them first, waiting at most until
// its ctx ends. The router builds carriers and leaves running and
// closing them to its caller.
type carrierLifecycle interface {
	Run(ctx context.Context) error
	Close(ctx context.Context) error
}

// startCarriers builds the router over the carriers and routes of
// --routes, --carrier and --route, or over the in-process simulator when
// none is configured, and runs each carrier until the stack stops it.
// Receipts and replies the carriers receive go to the receipt sink.
func (s *system) startCarriers(ctx context.Context) error {
	routing, err := s.c.routing()
	if err != nil {
		return err
	}
	if len(routing.Carriers) == 0 {
		sim, err := s.startSimulator(ctx)
		if err != nil {
			return err
		}
		routing.Carriers = []router.CarrierConfig{sim}
	}
	s.phones = phone.NewCache(200_000)
	receipts, err := pipeline.NewReceiptSink(s.c.kafka)
	if err != nil {
		return err
	}
	s.st.onStop("receipt sink", func(context.Context) error { return receipts.Close() })
	s.router, err = router.New(routing, func(cc router.CarrierConfig) (carriers.Carrier, error) {
		return smpp.NewClient(cc.SMPP, smpp.WithReceiptHandler(receipts.Handle),
			smpp.WithInboundHandler(receipts.HandleInbound), smpp.WithLogger(s.log))
	}, router.WithLogger(s.log), router.WithRegisterer(s.reg), router.WithPhoneCache(s.phones))
	if err != nil {
		return err
	}
	s.policies = map[string]pipeline.InDoubtPolicy{}
	for _, cc := range routing.Carriers {
		if s.policies[cc.Name], err = pipeline.ParseInDoubtPolicy(s.router.InDoubtPolicy(cc.Name)); err != nil {
			return err
		}
		s.slots += cmp.Or(cc.SMPP.Window, 100) * max(cc.SMPP.Binds, 1)
		s.r.smscAddrs = append(s.r.smscAddrs, cc.Name+"="+cc.SMPP.Addr)
	}
	runCarriers(s.st, s.router.Carriers())
	return nil
}

// startSimulator starts the in-process simulator SMSC of --sim-* and
// returns the carrier that reaches it.
func (s *system) startSimulator(ctx context.Context) (router.CarrierConfig, error) {
	sim, err := smscsim.New(s.c.sim, smscsim.WithLogger(s.log))
	if err != nil {
		return router.CarrierConfig{}, err
	}
	// The simulator lives until the stack stops it, not until ctx ends.
	if err := sim.Start(context.WithoutCancel(ctx)); err != nil {
		return router.CarrierConfig{}, err
	}
	s.st.onStop("simulator smsc", func(context.Context) error { return sim.Close() })
	s.r.sim = sim
	return router.ParseCarrier("sim=smpp://tern:tern@" + sim.Addr())
}

// runCarriers runs each carrier that has a lifecycle until the stack
// stops; the stack closes it (unbind) before it cancels its Run. A
// carrier without one holds nothing to start or stop.
func runCarriers(st *stack, cs []carriers.Carrier) {
	for _, c := range cs {
		lc, ok := c.(carrierLifecycle)
		if !ok {
			continue
		}
		st.goRun("carrier "+c.Name(), lc.Run)
		st.onStop("carrier "+c.Name()+" unbind", lc.Close) // before Run is cancelled
	}
}
