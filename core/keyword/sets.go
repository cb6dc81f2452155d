package keyword

// set is one language's built-in words and phrases, written as people
// type them; they are normalized when a Classifier is built.
type set struct {
	optOut, optIn, help []string
	// confirm are opt-in words that also answer a question with yes.
	confirm []string
	// fillers are polite words dropped from either end of a message.
	fillers []string
}

// builtin holds the sets by ISO 639-1 code. See the package comment for
// their sources.
var builtin = map[string]set{
	"en": {
		optOut: []string{
			"stop", "stopall", "stop all", "unsubscribe", "end", "quit", "cancel", "revoke",
			"optout", "opt out", "opt-out",
			"stop texting", "stop texting me", "stop text", "stop texts", "stop the texts", "stop these texts",
			"stop messaging", "stop messaging me", "stop messages", "stop the messages", "stop these messages",
			"stop sending", "stop sending me", "stop sending texts", "stop sending me texts",
			"stop sending messages", "stop sending me messages", "stop contacting me",
			"no more texts", "no more messages", "no more",
			"unsubscribe me", "remove me", "remove me from your list", "remove me from the list",
			"remove me from this list", "take me off", "take me off your list", "take me off the list",
			"take me off this list", "opt me out", "dont text me", "do not text me", "dont text me again",
			"do not text me again", "dont message me", "do not message me", "do not contact me",
			"dont contact me", "leave me alone",
		},
		optIn:   []string{"start", "unstop", "subscribe", "opt in", "optin", "opt-in"},
		confirm: []string{"y", "yes", "yes i do", "yes i agree", "i agree", "confirm", "yep", "yeah"},
		help:    []string{"help", "info", "help me"},
		fillers: []string{"please", "pls", "plz", "thanks", "thank you", "thx", "now", "asap", "ok", "okay"},
	},
	"es": {
		optOut: []string{
			"alto", "parar", "pare", "detener", "cancelar", "baja", "darme de baja", "dar de baja",
			"darse de baja", "no mas", "no mas mensajes", "no quiero mas mensajes", "fin", "terminar",
			"salir", "basta",
		},
		optIn:   []string{"alta", "comenzar", "iniciar"},
		confirm: []string{"si", "si acepto", "acepto", "confirmar", "confirmo"},
		help:    []string{"ayuda", "informacion"},
		fillers: []string{"por favor", "porfa", "gracias", "ya"},
	},
	"fr": {
		optOut: []string{
			"arret", "arreter", "stop sms", "desabonner", "se desabonner", "desabonnement",
			"desinscrire", "me desinscrire", "desinscription", "annuler", "fin", "ne plus recevoir",
		},
		optIn:   []string{"commencer", "abonner"},
		confirm: []string{"oui", "jaccepte", "confirmer", "je confirme"},
		help:    []string{"aide"},
		fillers: []string{"svp", "s il vous plait", "s il te plait", "merci"},
	},
	"de": {
		optOut: []string{
			"stopp", "abmelden", "abbestellen", "kundigen", "kuendigen", "ende", "beenden",
			"austragen", "keine sms mehr", "abo beenden",
		},
		optIn:   []string{"anmelden", "starten"},
		confirm: []string{"ja", "bestatigen", "bestaetigen", "ich stimme zu"},
		help:    []string{"hilfe"},
		fillers: []string{"bitte", "danke"},
	},
}
