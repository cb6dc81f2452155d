package smscsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"unicode/utf8"
)

// DefaultMOSystemID is the system_id a reply goes to when a control
// request names none: the one `tern serve --dev` binds its simulator
// carrier with.
const DefaultMOSystemID = "tern"

// MORequest asks the simulator to deliver a customer's reply.
type MORequest struct {
	// From is the customer's number, To the number or short code the
	// customer writes to.
	From string `json:"from"`
	To   string `json:"to"`
	Text string `json:"text"`
	// SystemID is the bound receiver to deliver to; empty is
	// DefaultMOSystemID.
	SystemID string `json:"system_id,omitempty"`
}

// ControlHandler serves POST /mo with a JSON MORequest: the simulator
// delivers the reply (SendMO) and answers 204 once the ESME took it, 400
// for a bad request, 409 when no receiver of the system_id is bound. It
// is for development: `tern sim-reply` calls it. It has no
// authentication; serve it on loopback only.
func (s *Server) ControlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mo", func(w http.ResponseWriter, r *http.Request) {
		var req MORequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			http.Error(w, "body: not an MO request: "+err.Error(), http.StatusBadRequest)
			return
		}
		switch {
		case req.From == "" || len(req.From) > 21:
			http.Error(w, "from: 1 to 21 characters", http.StatusBadRequest)
			return
		case req.To == "" || len(req.To) > 21:
			http.Error(w, "to: 1 to 21 characters", http.StatusBadRequest)
			return
		case req.Text == "" || !utf8.ValidString(req.Text) || utf8.RuneCountInString(req.Text) > 1600:
			http.Error(w, "text: 1 to 1600 characters of UTF-8", http.StatusBadRequest)
			return
		}
		if req.SystemID == "" {
			req.SystemID = DefaultMOSystemID
		}
		err := s.SendMO(r.Context(), req.SystemID, req.From, req.To, req.Text)
		switch {
		case errors.Is(err, ErrNoReceiver):
			http.Error(w, err.Error(), http.StatusConflict)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	return mux
}
