# Ferrys Wörter auf Deutsch (Schlüssel und Argumente wie in en/ferry.ftl).
# Begriffe: „Übertragung“ (transfer), „Entwurf“ (draft), „Freigabelink“ (share link),
# „Download-Limit“. Anrede: „Sie“.

## Layout: header, footer, switchers

skip-to-content = Zum Inhalt springen
home-label = Ferry, Startseite
nav-account = Konto
nav-my-transfers = Meine Übertragungen
sign-out = Abmelden
sign-in = Anmelden
sign-up = Registrieren
footer = Ferry – Dateien, die jeden Serverausfall überstehen. Links laufen ab; nichts wird länger aufbewahrt, als Sie festlegen.
theme-group = Farbschema
theme-light = Hell
theme-dark = Dunkel
theme-system = System
language-group = Sprache

## Error pages

error-not-found-title = Nicht gefunden
error-not-found = Unter dieser Adresse gibt es nichts. Wenn Ihnen jemand einen Link geschickt hat, prüfen Sie, ob er vollständig kopiert wurde.
error-too-many-title = Zu viele Versuche
error-too-many = Das wurde in kurzer Zeit zu oft versucht. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.
error-forbidden-title = Nicht erlaubt
error-forbidden = Diese Seite steht Ihnen nicht offen.
error-other-title = Nicht möglich
error-other = Diese Adresse lässt sich so nicht verwenden.
error-go-home = Zur Upload-Seite
unavailable-title = Gleich wieder da
unavailable = Ferry erreicht gerade einen Teil seines Speichers nicht, deshalb kann diese Seite nicht angezeigt werden. Nichts, was Sie gesendet haben, geht verloren. Bitte versuchen Sie es in einer Minute erneut.
unavailable-unlock = Das Passwort kann gerade nicht geprüft werden. Bitte versuchen Sie es in einer Minute erneut.

## Sizes and durations

size-b = { $n } B
size-kb = { $n } KB
size-mb = { $n } MB
size-gb = { $n } GB
size-tb = { $n } TB
duration-seconds = { $n } s
duration-minutes = { $n } Min.
duration-hours = { $n } Std.
duration-days = { $n } T.

## A transfer's limits

expires-in-days =
    { $days ->
        [one] Läuft in { $days } Tag ab
       *[other] Läuft in { $days } Tagen ab
    }
downloads-left =
    { $left ->
        [one] noch { $left } Download
       *[other] noch { $left } Downloads
    }
downloads-left-per-file =
    { $left ->
        [one] noch { $left } Download pro Datei
       *[other] noch { $left } Downloads pro Datei
    }
downloads-left-up-to =
    { $left ->
        [one] noch bis zu { $left } Download
       *[other] noch bis zu { $left } Downloads
    }
downloads-left-up-to-per-file =
    { $left ->
        [one] noch bis zu { $left } Download pro Datei
       *[other] noch bis zu { $left } Downloads pro Datei
    }
password-protected = passwortgeschützt
days-count =
    { $days ->
        [one] { $days } Tag
       *[other] { $days } Tage
    }

## Upload page

upload-title = Dateien senden
upload-lead = Legen Sie Dateien ab, um sie hochzuladen. Sie warten in Ihrem Entwurf, bis Sie ihn senden – auch wenn Sie die Seite neu laden oder unsere Server neu starten.
upload-drop = Dateien hierher ziehen und ablegen
upload-or = oder
upload-choose = Dateien auswählen
upload-choose-label = Dateien auswählen
draft-title = Ihr Entwurf
draft-empty = Noch keine Dateien.
draft-remove = Entfernen
draft-remove-label = { $name } entfernen
upload-overall-label = Fortschritt des gesamten Uploads
send-expires-after = Läuft ab nach
send-download-limit = Download-Limit
send-no-limit = Kein Limit
send-password = Passwort (optional)
send-password-hint = Mindestens { $min } Zeichen. Schicken Sie es getrennt vom Link.
send-recipients = Link per E-Mail senden an (optional)
send-recipients-hint = Bis zu { $max } Adressen, durch Kommas getrennt.
send-message = Nachricht (optional)
send-notify = Per E-Mail benachrichtigen, wenn zum ersten Mal heruntergeladen wird
send-button = Senden und Link erhalten
send-error-not-address = „{ $address }“ ist keine E-Mail-Adresse
send-error-too-many = zu viele Empfänger: höchstens { $max } pro Sendung (MAIL_RECIPIENTS_PER_SEND)
send-error-message-long = die Nachricht ist länger als { $max } Zeichen

## The upload page's script

js-uploading = Wird hochgeladen: { $pct } % von { $size }
js-ready =
    { $done ->
        [one] { $done } Datei hochgeladen – bereit zum Senden.
       *[other] { $done } Dateien hochgeladen – bereit zum Senden.
    }
js-failed =
    { $failed ->
        [one] { $failed } Datei fehlgeschlagen.
       *[other] { $failed } Dateien fehlgeschlagen.
    }
js-progress-label = Upload-Fortschritt von { $name }
js-failed-status = fehlgeschlagen ({ $status })

## Sent page

sent-title = Gesendet
sent-notice =
    { $count ->
        [one] Gesendet. Teilen Sie diesen Link – wer ihn hat, kann { $count } Datei ({ $size }) herunterladen.
       *[other] Gesendet. Teilen Sie diesen Link – wer ihn hat, kann { $count } Dateien ({ $size }) herunterladen.
    }
sent-mail-failed = Die Übertragung wurde gesendet, aber ihre E-Mails konnten nicht eingereiht werden. Teilen Sie den Link selbst.
share-link-label = Freigabelink
copy = Kopieren
copied = Kopiert
copied-status = Link in die Zwischenablage kopiert.
open-share-page = Freigabeseite öffnen
changed-mind = Doch anders entschieden?
delete-explain = Beim Löschen funktioniert der Link sofort nicht mehr, und die Dateien werden freigegeben.
delete-transfer = Diese Übertragung löschen
qr-label = QR-Code des Freigabelinks
qr-caption = Scannen, um den Link auf dem Handy zu öffnen

## Share page

download-title = Herunterladen
files-for-you =
    { $count ->
        [one] { $count } Datei für Sie
       *[other] { $count } Dateien für Sie
    }
preview-cost = Jede Vorschau verbraucht einen der Downloads, die der Absender erlaubt hat.
preview = Vorschau
view-pdf = PDF ansehen
view-text = Als Text ansehen
download = Herunterladen
play-label = { $name } abspielen
text-start-label = Anfang von { $name }
text-first-part = Die ersten 64 KiB. { $link } oder die Datei herunterladen.
view-all-text = Alles als Text ansehen
download-zip = Alle als .zip herunterladen
share-this-page = Diese Seite teilen
gone-title = Link abgelaufen
gone-heading = Dieser Link funktioniert nicht mehr
gone-lead = Die Übertragung ist abgelaufen, wurde gelöscht oder so oft heruntergeladen, wie der Absender erlaubt hat. Bitten Sie den Absender um einen neuen Link.
send-your-own = Eigene Dateien senden
password-required = Passwort erforderlich
share-password-lead = Der Absender hat diese Dateien mit einem Passwort geschützt.
unlock = Entsperren
try-again-title = Bitte in einer Minute erneut versuchen
wrong-password = Dieses Passwort ist nicht richtig.
deleted-title = Gelöscht
deleted-lead = Der Link funktioniert nicht mehr, und die Dateien werden gelöscht.
send-more = Weitere Dateien senden

## Accounts

signup-title = Konto erstellen
signin-title = Anmelden
have-account = Schon ein Konto? { $link }
new-here = Neu hier? { $link }
account-lead = Ein Konto führt eine Liste der Übertragungen, die Sie senden, damit Sie sie später ansehen und löschen können.
email-label = E-Mail
password-label = Passwort
account-password-hint = Mindestens { $min } Zeichen. Ein paar ungewöhnliche Wörter ergeben ein starkes Passwort; gängige Passwörter und Ihre E-Mail-Adresse werden abgelehnt.
forgot-link = Passwort vergessen?
error-not-email = Das sieht nicht nach einer E-Mail-Adresse aus.
error-account-exists = Es gibt schon ein Konto mit dieser E-Mail-Adresse. Melden Sie sich stattdessen an.
error-signin-wrong = E-Mail oder Passwort stimmt nicht.
weak-too-short = Wählen Sie ein Passwort mit mindestens { $min } Zeichen.
weak-too-long = Dieses Passwort ist zu lang: höchstens { $max } Bytes.
weak-like-email = Ihr Passwort darf nicht Ihre E-Mail-Adresse sein. Wählen Sie etwas, das nur Sie wissen.
weak-common = Dieses Passwort steht auf einer Liste gängiger Passwörter – den ersten, die ein Angreifer ausprobiert. Wählen Sie ein anderes.
weak-guessable = Dieses Passwort wäre leicht zu erraten. Fügen Sie ein paar ungewöhnliche Wörter hinzu.
me-title = Meine Übertragungen
me-signed-in-as = Angemeldet als { $email }.
me-confirmed = Ihre Adresse ist bestätigt.
me-unconfirmed = Ihre Adresse ist noch nicht bestätigt: Wir haben Ihnen einen Link geschickt.
me-send-again = Erneut senden
me-nothing = Noch nichts. { $link }.
me-send-some = Dateien senden
delete = Löschen

## Password reset and address confirmation

forgot-title = Passwort vergessen?
forgot-lead = Geben Sie die Adresse Ihres Kontos ein. Gibt es dazu ein Konto, schicken wir einen Link, mit dem Sie ein neues Passwort wählen.
forgot-button = Link zusenden
check-mail-title = Sehen Sie in Ihr Postfach
check-mail-lead = Falls ein Konto diese Adresse hat, ist ein Link zum Wählen eines neuen Passworts unterwegs. Er funktioniert einmal und nur für begrenzte Zeit.
back-to-signin = Zurück zur Anmeldung
link-expired = Dieser Link ist abgelaufen.
link-used = Dieser Link funktioniert nicht: Er wurde schon benutzt, oder ein neuerer hat ihn ersetzt.
ask-new-link = Neuen Link anfordern
link-invalid-title = Link ungültig
new-password-label = Neues Passwort
reset-hint = Mindestens { $min } Zeichen. Alle Geräte, die bei diesem Konto angemeldet sind, werden abgemeldet.
reset-button = Neues Passwort festlegen
reset-title = Neues Passwort wählen
password-changed = Ihr Passwort ist geändert. Alle Geräte, die angemeldet waren, sind abgemeldet.
password-changed-title = Passwort geändert
address-confirmed-title = Adresse bestätigt
verify-ask-again = Melden Sie sich an und fordern Sie unter { $link } einen neuen an.

## Operations (admins)

admin-title = Betrieb
admin-processes = Prozesse
admin-process-line = PID { $pid } · v{ $version } · läuft seit { $uptime } · zuletzt gesehen vor { $seen }
admin-queues = Warteschlangen
admin-no-jobs = Noch keine Jobs.
admin-dead = Gescheiterte Jobs
admin-attempts =
    { $count ->
        [one] { $count } Versuch
       *[other] { $count } Versuche
    }
admin-retry = Erneut versuchen
admin-none = Keine.
admin-schedules = Zeitpläne
admin-last-next = zuletzt { $last } · als Nächstes { $next }
admin-last = zuletzt { $last }
admin-never = nie
admin-unannounced = keine Uhr kündigt ihn gerade an

## Mails

mail-signature = – Ferry
mail-reset-subject = Ihr Ferry-Passwort zurücksetzen
mail-reset-intro = Jemand (hoffentlich Sie) hat darum gebeten, das Passwort Ihres Ferry-Kontos zurückzusetzen.
mail-reset-choose-text =
    { $minutes ->
        [one] Wählen Sie hier ein neues Passwort (der Link funktioniert einmal, { $minutes } Minute lang):
       *[other] Wählen Sie hier ein neues Passwort (der Link funktioniert einmal, { $minutes } Minuten lang):
    }
mail-reset-choose = Neues Passwort wählen
mail-reset-works =
    { $minutes ->
        [one] (der Link funktioniert einmal, { $minutes } Minute lang).
       *[other] (der Link funktioniert einmal, { $minutes } Minuten lang).
    }
mail-reset-ignore = Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.
mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse für Ferry
mail-verify-intro = Bestätigen Sie, dass diese Adresse zu Ihrem Ferry-Konto gehört:
mail-verify-button = Meine Adresse bestätigen
mail-verify-ignore = Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail.
mail-files =
    { $count ->
        [one] { $count } Datei
       *[other] { $count } Dateien
    }
mail-share-subject = { $sender } hat Ihnen { $what } geschickt
mail-share-intro = { $sender } hat Ihnen { $what } mit Ferry geschickt.
mail-share-message = Nachricht:
mail-download = Herunterladen
mail-first-subject = { $what } wurde heruntergeladen
mail-first-intro = Ihre Übertragung { $what } wurde zum ersten Mal heruntergeladen.
mail-request-subject = Neuer Upload in „{ $title }“
mail-request-intro =
    { $count ->
        [one] { $count } Datei ist in Ihrer Dateianfrage „{ $title }“ angekommen:
       *[other] { $count } Dateien sind in Ihrer Dateianfrage „{ $title }“ angekommen:
    }

## Malware scanning
scan-infected-title = Schadsoftware gefunden
scan-infected = „{ $name }“ enthält Schadsoftware ({ $signature }) und wird deshalb nicht ausgeliefert.
scan-pending-title = Wird geprüft
scan-pending = „{ $name }“ wird gerade auf Schadsoftware geprüft. Versuchen Sie es gleich noch einmal.
scan-unscanned-title = Nicht geprüft
scan-unscanned = „{ $name }“ ist zu groß für die Prüfung auf Schadsoftware und wird deshalb nicht ausgeliefert.
scan-owner-told = Die Person, die dies geteilt hat, wurde benachrichtigt.
scan-no-owner = Diese Übertragung wurde anonym hochgeladen; es gibt niemanden, der benachrichtigt werden kann.
scan-back-to-share = Zurück zur Freigabeseite
scan-label-infected = Schadsoftware gefunden ({ $signature }): wird nicht ausgeliefert
scan-label-pending = Wird auf Schadsoftware geprüft
scan-label-unscanned = Zu groß für die Prüfung auf Schadsoftware: wird nicht ausgeliefert
scan-zip-leaves-out = Das Archiv enthält die Dateien nicht, die nicht ausgeliefert werden.
scan-infected-files =
    { $count ->
        [one] { $count } Datei gesperrt: Schadsoftware gefunden
       *[other] { $count } Dateien gesperrt: Schadsoftware gefunden
    }
mail-malware-subject = Schadsoftware in „{ $name }“ gefunden
mail-malware-intro = Der Virenscanner hat { $signature } in „{ $name }“ gefunden, einer Datei, die Sie geteilt haben. Sie wird an niemanden ausgeliefert.

## Dateianfragen (die eigene Seite /requests, die Seite der Hochladenden /r/{token})

nav-file-requests = Dateianfragen
me-ask-for-files = Jemanden um Dateien bitten.
me-via-request = Hochgeladen zu deiner Anfrage „{ $title }“
error-gone-title = Geschlossen
error-gone = Diese Dateianfrage ist geschlossen: Ihr Besitzer hat sie geschlossen, oder ihre Zeit ist abgelaufen. Bitte um einen neuen Link.
request-password-lead = Wer um diese Dateien bittet, hat das Hochladen mit einem Passwort geschützt.
request-files-left =
    { $n ->
        [one] noch { $n } Datei
       *[other] noch { $n } Dateien
    }
request-bytes-left = bis zu { $size } insgesamt
request-open-until = offen bis { $date }
request-sent =
    { $n ->
        [one] Danke: { $n } Datei gesendet. Nur wer darum gebeten hat, kann sie sehen.
       *[other] Danke: { $n } Dateien gesendet. Nur wer darum gebeten hat, kann sie sehen.
    }
request-your-files = Deine Dateien
request-only-you = Nur du siehst diese Liste. Die Dateien anderer werden hier nie gezeigt.
request-send = Absenden
requests-title = Dateianfragen
requests-lead = Eine Dateianfrage ist ein Link, über den dir jeder Dateien hochladen kann – ganz ohne Konto. Was ankommt, findest du unter
requests-none = Noch keine Anfragen.
requests-new = Neue Anfrage
requests-field-title = Worum bittest du?
requests-field-message = Nachricht an die Hochladenden (optional)
requests-field-days = Offen für (Tage)
requests-field-max-files = Höchstens Dateien
requests-field-max-size = Höchstens insgesamt
requests-size-hint = Eine Größe wie 500 MB oder 2 GB.
requests-field-transfer-days = Angekommenes aufbewahren für (Tage)
requests-field-transfer-max-downloads = Download-Limit des Angekommenen
requests-field-password = Passwort für Hochladende (optional)
requests-create = Anfrage erstellen
requests-files-used =
    { $max ->
        [one] { $used } von { $max } Datei
       *[other] { $used } von { $max } Dateien
    }
requests-bytes-used = { $used } von { $max }
requests-closed = geschlossen
requests-expired = abgelaufen
requests-link-label = Link der Anfrage „{ $title }“
requests-qr = QR-Code
requests-close = Diese Anfrage schließen
requests-error-no-title = Gib der Anfrage einen Titel.
requests-error-too-long = „{ $field }“ ist länger als { $max } Zeichen.
requests-error-number = „{ $field }“ muss eine ganze Zahl von { $low } bis { $high } sein.
requests-error-size = „{ $value }“ ist keine Größe (wie 500 MB oder 2 GB).
requests-error-too-many-open = Du hast { $max } offene Anfragen: Schließe zuerst eine.

## API tokens (/tokens) and members-only uploads

error-sign-in-title = Bitte zuerst anmelden
error-sign-in = Dafür brauchst du ein Konto. Melde dich an oder sende ein API-Token mit der Anfrage.
members-only-lead = Auf diesem Server dürfen nur Mitglieder hochladen. Melde dich an, um Dateien zu senden.
members-only-links = Einen geteilten Link öffnen oder über eine Dateianfrage hochladen, die dir jemand geschickt hat, geht ohne Konto.
me-api-tokens = API-Tokens
tokens-title = API-Tokens
tokens-lead = Mit einem Token handelt ein Skript oder ein CI-Job für dich: sende es als „Authorization: Bearer …“. Wer es hat, kann alles, was seine Rechte erlauben. Halte es geheim und widerrufe es, wenn du es nicht mehr brauchst.
tokens-made = Dein neues Token. Kopiere es jetzt: Es wird nur dieses eine Mal angezeigt.
tokens-secret-label = Das neue Token „{ $name }“
tokens-made-once = Ferry speichert nur einen Fingerabdruck davon. Wenn du es verlierst, widerrufe es und erstelle ein neues.
tokens-none = Du hast noch keine Tokens.
tokens-new = Neues Token
tokens-field-name = Name
tokens-name-example = z. B. nächtlicher Build
tokens-field-scopes = Was es darf
tokens-scope-upload = Dateien hochladen (sie erscheinen unter Meine Übertragungen)
tokens-scope-read = Meine Übertragungen lesen
tokens-scope-requests = Meine Dateianfragen verwalten
tokens-field-expiry = Läuft ab nach (Tagen)
tokens-never = nie
tokens-expiry-hint = Leer lassen für ein Token, das gilt, bis du es widerrufst.
tokens-create = Token erstellen
tokens-last-used = zuletzt benutzt { $date }
tokens-never-used = nie benutzt
tokens-expired = abgelaufen
tokens-expires = läuft ab { $date }
tokens-no-expiry = läuft nicht ab
tokens-revoke = Widerrufen
tokens-revoke-label = Das Token „{ $name }“ widerrufen
tokens-error-no-name = Gib dem Token einen Namen.
tokens-error-scope = „{ $value }“ ist nichts, was ein Token darf.
tokens-error-no-scope = Wähle mindestens eine Sache, die das Token darf.
tokens-error-too-many = Du hast { $max } Tokens: Widerrufe zuerst eines.
admin-audit = Prüfprotokoll
admin-audit-lead = Jede Admin-Aktion, hier und auf der Kommandozeile, die neueste zuerst (aufbewahrt für AUDIT_RETENTION; alles: ferry admin audit).
me-storage-used = Deine Übertragungen belegen { $used } (bis sie gelöscht sind).
me-storage-quota = Deine Übertragungen belegen { $used } von deinem Kontingent von { $total } (bis sie gelöscht sind).

## Admin pages: users and transfers

admin-users = Benutzer
admin-transfers = Übertragungen
admin-search-users = Konten nach Adresse suchen
admin-search = Suchen
admin-role-admin = Admin
admin-disabled = gesperrt
admin-user-transfers = { $count ->
    [one] { $count } aktive Übertragung
   *[other] { $count } aktive Übertragungen
}
admin-own-quota = eigenes Kontingent { $size }
admin-revoke-admin = Admin-Rolle entziehen
admin-make-admin = Zum Admin machen
admin-enable = Entsperren
admin-disable = Sperren
admin-quota-label = Speicherkontingent von { $email }
admin-quota-placeholder = z. B. 20GB
admin-set-quota = Kontingent setzen
admin-delete-user = Mit Übertragungen löschen
admin-search-transfers = Übertragungen nach Token, Dateiname oder Besitzer suchen
admin-anonymous = anonym
admin-not-live = nicht abrufbar
admin-take-down = Sperren und löschen
error-signin-disabled = Dieses Konto ist gesperrt. Wende dich an einen Admin dieses Servers.
admin-user-storage = { $used } gespeichert
signup-closed = Die Registrierung ist auf diesem Server geschlossen: Konten legen seine Admins an. Bitte einen Admin um ein Konto und melde dich dann an.
