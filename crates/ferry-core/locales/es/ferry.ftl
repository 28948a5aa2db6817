# Las palabras de Ferry en español (mismas claves y argumentos que en/ferry.ftl).
# Términos: «transferencia» (transfer), «borrador» (draft), «enlace para compartir»
# (share link), «límite de descargas». Trato de usted.

## Layout: header, footer, switchers

skip-to-content = Saltar al contenido
home-label = Ferry, inicio
nav-account = Cuenta
nav-my-transfers = Mis transferencias
sign-out = Cerrar sesión
sign-in = Iniciar sesión
sign-up = Registrarse
footer = Ferry: archivos que sobreviven a cualquier servidor. Los enlaces caducan; nada se guarda más tiempo del que usted decida.
theme-group = Tema de color
theme-light = Claro
theme-dark = Oscuro
theme-system = Sistema
language-group = Idioma

## Error pages

error-not-found-title = No encontrado
error-not-found = No hay nada en esta dirección. Si alguien le envió un enlace, compruebe que se copió completo.
error-too-many-title = Demasiados intentos
error-too-many = Se ha intentado demasiadas veces en poco tiempo. Espere un minuto y vuelva a intentarlo.
error-forbidden-title = No permitido
error-forbidden = Esta página no está abierta para usted.
error-other-title = No es posible
error-other = Esta dirección no se puede usar de esa manera.
error-go-home = Ir a la página de envío
unavailable-title = Volvemos enseguida
unavailable = Ferry no puede acceder ahora a parte de su almacenamiento, así que esta página no se puede mostrar. No se ha perdido nada de lo que envió. Vuelva a intentarlo en un minuto.
unavailable-unlock = Ahora mismo no se puede comprobar la contraseña. Vuelva a intentarlo en un minuto.

## Sizes and durations

size-b = { $n } B
size-kb = { $n } KB
size-mb = { $n } MB
size-gb = { $n } GB
size-tb = { $n } TB
duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } d

## A transfer's limits

expires-in-days =
    { $days ->
        [one] Caduca en { $days } día
       *[other] Caduca en { $days } días
    }
downloads-left =
    { $left ->
        [one] queda { $left } descarga
       *[other] quedan { $left } descargas
    }
downloads-left-per-file =
    { $left ->
        [one] queda { $left } descarga por archivo
       *[other] quedan { $left } descargas por archivo
    }
downloads-left-up-to =
    { $left ->
        [one] queda hasta { $left } descarga
       *[other] quedan hasta { $left } descargas
    }
downloads-left-up-to-per-file =
    { $left ->
        [one] queda hasta { $left } descarga por archivo
       *[other] quedan hasta { $left } descargas por archivo
    }
password-protected = protegido con contraseña
days-count =
    { $days ->
        [one] { $days } día
       *[other] { $days } días
    }

## Upload page

upload-title = Enviar archivos
upload-lead = Suelte archivos para subirlos. Esperan en su borrador hasta que lo envíe, aunque recargue la página o nuestros servidores se reinicien.
upload-drop = Arrastre y suelte los archivos aquí
upload-or = o
upload-choose = elija archivos
upload-choose-label = Elegir archivos
draft-title = Su borrador
draft-empty = Todavía no hay archivos.
draft-remove = Quitar
draft-remove-label = Quitar { $name }
upload-overall-label = Progreso total de la subida
send-expires-after = Caduca después de
send-download-limit = Límite de descargas
send-no-limit = Sin límite
send-password = Contraseña (opcional)
send-password-hint = Al menos { $min } caracteres. Envíela por separado del enlace.
send-recipients = Enviar el enlace por correo a (opcional)
send-recipients-hint = Hasta { $max } direcciones, separadas por comas.
send-message = Mensaje (opcional)
send-notify = Avisarme por correo cuando se descargue por primera vez
send-button = Enviar y obtener un enlace
send-error-not-address = «{ $address }» no es una dirección de correo electrónico
send-error-too-many = demasiados destinatarios: como máximo { $max } por envío (MAIL_RECIPIENTS_PER_SEND)
send-error-message-long = el mensaje tiene más de { $max } caracteres

## The upload page's script

js-uploading = Subiendo: { $pct } % de { $size }
js-ready =
    { $done ->
        [one] { $done } archivo subido: listo para enviar.
       *[other] { $done } archivos subidos: listos para enviar.
    }
js-failed =
    { $failed ->
        [one] { $failed } archivo ha fallado.
       *[other] { $failed } archivos han fallado.
    }
js-progress-label = Progreso de la subida de { $name }
js-failed-status = error ({ $status })

## Sent page

sent-title = Enviado
sent-notice =
    { $count ->
        [one] Enviado. Comparta este enlace: cualquiera que lo tenga puede descargar { $count } archivo ({ $size }).
       *[other] Enviado. Comparta este enlace: cualquiera que lo tenga puede descargar { $count } archivos ({ $size }).
    }
sent-mail-failed = La transferencia se envió, pero sus correos no se pudieron poner en cola. Comparta usted mismo el enlace.
share-link-label = Enlace para compartir
copy = Copiar
copied = Copiado
copied-status = Enlace copiado al portapapeles.
open-share-page = Abrir la página de descarga
changed-mind = ¿Ha cambiado de opinión?
delete-explain = Al borrarla, el enlace deja de funcionar al instante y los archivos se liberan.
delete-transfer = Borrar esta transferencia
qr-label = Código QR del enlace para compartir
qr-caption = Escanéelo para abrir el enlace en el móvil

## Share page

download-title = Descargar
files-for-you =
    { $count ->
        [one] { $count } archivo para usted
       *[other] { $count } archivos para usted
    }
preview-cost = Cada vista previa gasta una de las descargas que permitió el remitente.
preview = Vista previa
view-pdf = Ver PDF
view-text = Ver como texto
download = Descargar
play-label = Reproducir { $name }
text-start-label = Comienzo de { $name }
text-first-part = Los primeros 64 KiB. { $link } o descargue el archivo.
view-all-text = Ver todo como texto
download-zip = Descargar todo en .zip
share-this-page = Compartir esta página
gone-title = Enlace caducado
gone-heading = Este enlace ya no funciona
gone-lead = La transferencia caducó, se borró o ya se descargó tantas veces como permitió el remitente. Pídale un enlace nuevo.
send-your-own = Enviar sus propios archivos
password-required = Se necesita contraseña
share-password-lead = El remitente protegió estos archivos con una contraseña.
unlock = Desbloquear
try-again-title = Vuelva a intentarlo en un minuto
wrong-password = Esa contraseña no es correcta.
deleted-title = Borrado
deleted-lead = El enlace ya no funciona y los archivos se están borrando.
send-more = Enviar más archivos

## Accounts

signup-title = Crear una cuenta
signin-title = Iniciar sesión
have-account = ¿Ya tiene cuenta? { $link }
new-here = ¿Es nuevo aquí? { $link }
account-lead = Una cuenta guarda la lista de las transferencias que envía, para que pueda verlas y borrarlas más tarde.
email-label = Correo electrónico
password-label = Contraseña
account-password-hint = Al menos { $min } caracteres. Unas cuantas palabras poco comunes forman una contraseña segura; se rechazan las contraseñas comunes y su dirección de correo.
forgot-link = ¿Ha olvidado su contraseña?
error-not-email = Eso no parece una dirección de correo electrónico.
error-account-exists = Ya existe una cuenta con este correo. Inicie sesión.
error-signin-wrong = El correo o la contraseña no son correctos.
weak-too-short = Elija una contraseña de al menos { $min } caracteres.
weak-too-long = Esa contraseña es demasiado larga: { $max } bytes como máximo.
weak-like-email = Su contraseña no puede ser su dirección de correo. Elija algo que solo usted sepa.
weak-common = Esa contraseña está en una lista de contraseñas comunes, las primeras que prueba un atacante. Elija otra.
weak-guessable = Esa contraseña sería fácil de adivinar. Añada algunas palabras poco comunes.
me-title = Mis transferencias
me-signed-in-as = Sesión iniciada como { $email }.
me-confirmed = Su dirección está confirmada.
me-unconfirmed = Su dirección aún no está confirmada: le enviamos un enlace por correo.
me-send-again = Enviarlo de nuevo
me-nothing = Nada todavía. { $link }.
me-send-some = Enviar archivos
delete = Borrar

## Password reset and address confirmation

forgot-title = ¿Ha olvidado su contraseña?
forgot-lead = Escriba la dirección de su cuenta. Si existe, le enviaremos un enlace para elegir una contraseña nueva.
forgot-button = Enviarme un enlace
check-mail-title = Revise su correo
check-mail-lead = Si hay una cuenta con esta dirección, un enlace para elegir una contraseña nueva va de camino. Funciona una sola vez y durante un tiempo limitado.
back-to-signin = Volver a iniciar sesión
link-expired = Este enlace ha caducado.
link-used = Este enlace no funciona: ya se usó o lo sustituyó otro más reciente.
ask-new-link = Pedir un enlace nuevo
link-invalid-title = Enlace no válido
new-password-label = Contraseña nueva
reset-hint = Al menos { $min } caracteres. Se cerrará la sesión en todos los dispositivos conectados a esta cuenta.
reset-button = Guardar la contraseña nueva
reset-title = Elegir una contraseña nueva
password-changed = Su contraseña ha cambiado. Se ha cerrado la sesión en todos los dispositivos que estaban conectados.
password-changed-title = Contraseña cambiada
address-confirmed-title = Dirección confirmada
verify-ask-again = Inicie sesión y pida uno nuevo en { $link }.

## Operations (admins)

admin-title = Operaciones
admin-processes = Procesos
admin-process-line = PID { $pid } · v{ $version } · activo desde hace { $uptime } · visto hace { $seen }
admin-queues = Colas
admin-no-jobs = Todavía no hay tareas.
admin-dead = Tareas fallidas
admin-attempts =
    { $count ->
        [one] { $count } intento
       *[other] { $count } intentos
    }
admin-retry = Reintentar
admin-none = Ninguna.
admin-schedules = Programaciones
admin-last-next = última { $last } · próxima { $next }
admin-last = última { $last }
admin-never = nunca
admin-unannounced = ningún reloj la anuncia ahora

## Mails

mail-signature = — Ferry
mail-reset-subject = Restablezca su contraseña de Ferry
mail-reset-intro = Alguien (esperamos que usted) pidió restablecer la contraseña de su cuenta de Ferry.
mail-reset-choose-text =
    { $minutes ->
        [one] Elija una contraseña nueva aquí (el enlace funciona una vez, durante { $minutes } minuto):
       *[other] Elija una contraseña nueva aquí (el enlace funciona una vez, durante { $minutes } minutos):
    }
mail-reset-choose = Elegir una contraseña nueva
mail-reset-works =
    { $minutes ->
        [one] (el enlace funciona una vez, durante { $minutes } minuto).
       *[other] (el enlace funciona una vez, durante { $minutes } minutos).
    }
mail-reset-ignore = Si no lo pidió, ignore este correo: su contraseña sigue igual.
mail-verify-subject = Confirme su dirección de correo para Ferry
mail-verify-intro = Confirme que esta dirección pertenece a su cuenta de Ferry:
mail-verify-button = Confirmar mi dirección
mail-verify-ignore = Si no se registró, ignore este correo.
mail-files =
    { $count ->
        [one] { $count } archivo
       *[other] { $count } archivos
    }
mail-share-subject = { $sender } le ha enviado { $what }
mail-share-intro = { $sender } le ha enviado { $what } con Ferry.
mail-share-message = Su mensaje:
mail-download = Descargar
mail-first-subject = Se ha descargado { $what }
mail-first-intro = Su transferencia { $what } se ha descargado por primera vez.
mail-request-subject = Nueva subida en «{ $title }»
mail-request-intro =
    { $count ->
        [one] Ha llegado { $count } archivo a su solicitud de archivos «{ $title }»:
       *[other] Han llegado { $count } archivos a su solicitud de archivos «{ $title }»:
    }

## Malware scanning
scan-infected-title = Se encontró malware
scan-infected = «{ $name }» contiene malware ({ $signature }), así que no se sirve.
scan-pending-title = En revisión
scan-pending = «{ $name }» se está revisando en busca de malware. Vuelve a intentarlo en un momento.
scan-unscanned-title = Sin revisar
scan-unscanned = «{ $name }» es demasiado grande para revisarlo en busca de malware, así que no se sirve.
scan-owner-told = Se ha avisado a la persona que compartió esto.
scan-no-owner = Esta transferencia se subió de forma anónima: no hay nadie a quien avisar.
scan-back-to-share = Volver a la página compartida
scan-label-infected = Se encontró malware ({ $signature }): no se sirve
scan-label-pending = En revisión antivirus
scan-label-unscanned = Demasiado grande para el antivirus: no se sirve
scan-zip-leaves-out = El archivo comprimido no incluye los archivos que no se sirven.
scan-infected-files =
    { $count ->
        [one] { $count } archivo bloqueado: se encontró malware
       *[other] { $count } archivos bloqueados: se encontró malware
    }
mail-malware-subject = Se encontró malware en «{ $name }»
mail-malware-intro = El antivirus encontró { $signature } en «{ $name }», un archivo que compartiste. No se servirá a nadie.

## Solicitudes de archivos (la página /requests de quien pide, la página /r/{token} de quien sube)

nav-file-requests = Solicitudes de archivos
me-ask-for-files = Pedir archivos a alguien.
me-via-request = Subido a tu solicitud «{ $title }»
error-gone-title = Cerrada
error-gone = Esta solicitud de archivos está cerrada: quien la creó la cerró o se acabó su plazo. Pídele un enlace nuevo.
request-password-lead = Quien pide estos archivos protegió la subida con una contraseña.
request-files-left =
    { $n ->
        [one] { $n } archivo más
       *[other] { $n } archivos más
    }
request-bytes-left = hasta { $size } en total
request-open-until = abierta hasta el { $date }
request-sent =
    { $n ->
        [one] Gracias: { $n } archivo enviado. Solo quien lo pidió puede verlo.
       *[other] Gracias: { $n } archivos enviados. Solo quien los pidió puede verlos.
    }
request-your-files = Tus archivos
request-only-you = Solo tú ves esta lista. Aquí nunca se muestran los archivos de otras personas.
request-send = Enviarlos
requests-title = Solicitudes de archivos
requests-lead = Una solicitud de archivos es un enlace con el que cualquiera puede subirte archivos, sin cuenta. Lo que llega aparece en
requests-none = Todavía no hay solicitudes.
requests-new = Nueva solicitud
requests-field-title = ¿Qué estás pidiendo?
requests-field-message = Mensaje para quienes suben (opcional)
requests-field-days = Abierta durante (días)
requests-field-max-files = Máximo de archivos
requests-field-max-size = Máximo en total
requests-size-hint = Un tamaño como 500 MB o 2 GB.
requests-field-transfer-days = Conservar lo que llegue durante (días)
requests-field-transfer-max-downloads = Límite de descargas de lo que llegue
requests-field-password = Contraseña para quienes suben (opcional)
requests-create = Crear la solicitud
requests-files-used =
    { $max ->
        [one] { $used } de { $max } archivo
       *[other] { $used } de { $max } archivos
    }
requests-bytes-used = { $used } de { $max }
requests-closed = cerrada
requests-expired = caducada
requests-link-label = Enlace de la solicitud «{ $title }»
requests-qr = Código QR
requests-close = Cerrar esta solicitud
requests-error-no-title = Ponle un título a la solicitud.
requests-error-too-long = «{ $field }» tiene más de { $max } caracteres.
requests-error-number = «{ $field }» debe ser un número entero de { $low } a { $high }.
requests-error-size = «{ $value }» no es un tamaño (como 500 MB o 2 GB).
requests-error-too-many-open = Tienes { $max } solicitudes abiertas: cierra una primero.

## API tokens (/tokens) and members-only uploads

error-sign-in-title = Inicia sesión primero
error-sign-in = Esto requiere una cuenta. Inicia sesión o envía un token de API con la petición.
members-only-lead = En este servidor solo los miembros pueden subir archivos. Inicia sesión para enviar archivos.
members-only-links = Abrir un enlace compartido, o subir a través de una solicitud de archivos que alguien te envió, no requiere cuenta.
me-api-tokens = Tokens de API
tokens-title = Tokens de API
tokens-lead = Un token permite que un script o una tarea de CI actúe por ti: envíalo como «Authorization: Bearer …». Quien lo tenga puede hacer lo que permitan sus permisos, así que guárdalo en secreto y revócalo cuando ya no lo necesites.
tokens-made = Tu nuevo token. Cópialo ahora: solo se muestra esta vez.
tokens-secret-label = El nuevo token «{ $name }»
tokens-made-once = Ferry solo guarda una huella de él. Si lo pierdes, revócalo y crea otro.
tokens-none = Aún no tienes tokens.
tokens-new = Nuevo token
tokens-field-name = Nombre
tokens-name-example = p. ej. compilación nocturna
tokens-field-scopes = Qué puede hacer
tokens-scope-upload = Subir archivos (aparecen en Mis transferencias)
tokens-scope-read = Leer mis transferencias
tokens-scope-requests = Gestionar mis solicitudes de archivos
tokens-field-expiry = Caduca tras (días)
tokens-never = nunca
tokens-expiry-hint = Déjalo vacío para un token que funcione hasta que lo revoques.
tokens-create = Crear token
tokens-last-used = usado por última vez { $date }
tokens-never-used = nunca usado
tokens-expired = caducado
tokens-expires = caduca { $date }
tokens-no-expiry = no caduca
tokens-revoke = Revocar
tokens-revoke-label = Revocar el token «{ $name }»
tokens-error-no-name = Ponle un nombre al token.
tokens-error-scope = «{ $value }» no es algo que un token pueda hacer.
tokens-error-no-scope = Elige al menos una cosa que el token pueda hacer.
tokens-error-too-many = Tienes { $max } tokens: revoca uno primero.
admin-audit = Registro de auditoría
admin-audit-lead = Cada acción de administración, aquí y desde la línea de órdenes, la más reciente primero (se guarda AUDIT_RETENTION; todo: ferry admin audit).
me-storage-used = Tus transferencias ocupan { $used } (hasta que se purguen).
me-storage-quota = Tus transferencias ocupan { $used } de tu cuota de { $total } (hasta que se purguen).

## Admin pages: users and transfers

admin-users = Usuarios
admin-transfers = Transferencias
admin-search-users = Buscar cuentas por dirección
admin-search = Buscar
admin-role-admin = admin
admin-disabled = desactivada
admin-user-transfers = { $count ->
    [one] { $count } transferencia activa
   *[other] { $count } transferencias activas
}
admin-own-quota = cuota propia { $size }
admin-revoke-admin = Quitar rol de admin
admin-make-admin = Hacer admin
admin-enable = Activar
admin-disable = Desactivar
admin-quota-label = Cuota de almacenamiento de { $email }
admin-quota-placeholder = p. ej. 20GB
admin-set-quota = Fijar cuota
admin-delete-user = Borrar con sus transferencias
admin-search-transfers = Buscar transferencias por token, nombre de archivo o propietario
admin-anonymous = anónima
admin-not-live = no disponible
admin-take-down = Retirar
error-signin-disabled = Esta cuenta está desactivada. Pregunta a un admin de este servidor.
admin-user-storage = { $used } almacenados
signup-closed = El registro está cerrado en este servidor: sus admins crean las cuentas. Pide una cuenta a uno de ellos y luego inicia sesión.
