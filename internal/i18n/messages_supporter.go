package i18n

// The supporter flow's messages added after the first catalogs (error
// summary, check-your-email and thank-you pages, translated titles and
// error pages), kept apart so parallel work on messages.go merges cleanly.
func init() {
	for k, v := range supporterEN {
		en[k] = v
	}
	for k, v := range supporterES {
		es[k] = v
	}
}

var supporterEN = map[string]string{
	"act.err.required.first_name": "Enter your first name.",
	"act.err.required.last_name":  "Enter your last name.",
	"act.err.required.address1":   "Enter your street address.",
	"act.err.required.city":       "Enter your city.",
	"act.err.named":               "%s: %s",
	"act.prefix.Mr.":              "Mr.",
	"act.prefix.Mrs.":             "Mrs.",
	"act.prefix.Miss":             "Miss",
	"act.prefix.Ms.":              "Ms.",
	"act.prefix.Mx.":              "Mx.",
	"act.prefix.Dr.":              "Dr.",
	"act.same_letter":             "The same letter, starting “%s”",
	"act.check_email_to":          "We sent an email to %s with a link. Your letters go out only after you follow it, within 48 hours. This makes sure nobody sends letters in your name.",
	"act.check_offices":           "Your letters will go to:",
	"act.resend_title":            "No email?",
	"act.resend_hint":             "It can take a few minutes. Check your spam or junk folder; if it is not there, we can send it once more. If the address above is wrong, go back to the campaign page and send your letters again with the right one.",
	"act.resend_button":           "Send the email again",
	"act.resent":                  "We sent the email to %s again. It can take a few minutes to arrive.",
	"act.resent_already":          "We already sent this email a second time, so we will not send it again. Check your spam folder, or send your letters again from the campaign page with another address.",
	"act.sent_done":               "These letters were confirmed already: there is nothing more to do.",
	"act.thanks_offices.one":      "Your letter goes to:",
	"act.thanks_offices.other":    "Your letters go to:",
	"act.next_title":              "What you can do next",
	"act.next_lookup":             "Call your members of Congress",
	"act.next_lookup_text":        "A call after a letter adds weight: find each office's phone number.",
	"err.method":                  "This page cannot be opened that way. Go back and use the page's buttons, or start again from the home page.",
}

var supporterES = map[string]string{
	"act.err.required.first_name": "Escriba su nombre.",
	"act.err.required.last_name":  "Escriba su apellido.",
	"act.err.required.address1":   "Escriba su dirección.",
	"act.err.required.city":       "Escriba su ciudad.",
	"act.err.named":               "%s: %s",
	"act.prefix.Mr.":              "Sr. (Mr.)",
	"act.prefix.Mrs.":             "Sra. (Mrs.)",
	"act.prefix.Miss":             "Srta. (Miss)",
	"act.prefix.Ms.":              "Sra. o Srta. (Ms.)",
	"act.prefix.Mx.":              "Neutro (Mx.)",
	"act.prefix.Dr.":              "Dr. o Dra. (Dr.)",
	"act.same_letter":             "La misma carta, que empieza «%s»",
	"act.check_email_to":          "Enviamos un correo a %s con un enlace. Sus cartas salen solo después de que lo abra, dentro de 48 horas. Así nadie puede enviar cartas en su nombre.",
	"act.check_offices":           "Sus cartas irán a:",
	"act.resend_title":            "¿No le llegó el correo?",
	"act.resend_hint":             "Puede tardar unos minutos. Revise la carpeta de correo no deseado; si no está ahí, podemos enviarlo una vez más. Si la dirección de arriba está mal, vuelva a la página de la campaña y envíe sus cartas de nuevo con la correcta.",
	"act.resend_button":           "Enviar el correo otra vez",
	"act.resent":                  "Enviamos el correo a %s otra vez. Puede tardar unos minutos en llegar.",
	"act.resent_already":          "Ya enviamos este correo por segunda vez, así que no lo enviaremos de nuevo. Revise la carpeta de correo no deseado, o envíe sus cartas de nuevo desde la página de la campaña con otra dirección.",
	"act.sent_done":               "Estas cartas ya se confirmaron: no hace falta nada más.",
	"act.thanks_offices.one":      "Su carta va a:",
	"act.thanks_offices.other":    "Sus cartas van a:",
	"act.next_title":              "Qué más puede hacer",
	"act.next_lookup":             "Llame a sus miembros del Congreso",
	"act.next_lookup_text":        "Una llamada después de una carta le da más peso: encuentre el teléfono de cada oficina.",
	"err.method":                  "Esta página no se puede abrir de esa manera. Vuelva atrás y use los botones de la página, o empiece de nuevo desde la página principal.",
}
