package i18n

// Mobilization emails' supporter-facing text (internal/mailing), kept
// apart so parallel work on messages.go merges cleanly.
func init() {
	for k, v := range mailingEN {
		en[k] = v
	}
	for k, v := range mailingES {
		es[k] = v
	}
}

var mailingEN = map[string]string{
	"mailing.footer": "You receive this because you asked to hear from %s.\nUnsubscribe: %s\nDelete my data: %s",
	"mailing.and":    " and ",
}

var mailingES = map[string]string{
	"mailing.footer": "Recibe este correo porque pidió noticias de %s.\nDarse de baja: %s\nBorrar mis datos: %s",
	"mailing.and":    " y ",
}
