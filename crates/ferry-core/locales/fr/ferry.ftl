# Les mots de Ferry en français (mêmes clés et arguments que en/ferry.ftl).
# Termes : « transfert » (transfer), « brouillon » (draft), « lien de partage »
# (share link), « limite de téléchargements ». Vouvoiement.

## Layout: header, footer, switchers

skip-to-content = Aller au contenu
home-label = Ferry, accueil
nav-account = Compte
nav-my-transfers = Mes transferts
sign-out = Se déconnecter
sign-in = Se connecter
sign-up = Créer un compte
footer = Ferry — des fichiers qui survivent à n’importe quel serveur. Les liens expirent ; rien n’est gardé plus longtemps que vous ne le décidez.
theme-group = Thème de couleurs
theme-light = Clair
theme-dark = Sombre
theme-system = Système
language-group = Langue

## Error pages

error-not-found-title = Introuvable
error-not-found = Il n’y a rien à cette adresse. Si quelqu’un vous a envoyé un lien, vérifiez qu’il a été copié en entier.
error-too-many-title = Trop de tentatives
error-too-many = Trop de tentatives en peu de temps. Veuillez patienter une minute, puis réessayer.
error-forbidden-title = Accès refusé
error-forbidden = Cette page ne vous est pas accessible.
error-other-title = Impossible
error-other = Cette adresse ne peut pas être utilisée ainsi.
error-go-home = Aller à la page d’envoi
unavailable-title = De retour dans un instant
unavailable = Ferry ne parvient pas à joindre une partie de son stockage pour le moment : cette page ne peut donc pas s’afficher. Rien de ce que vous avez envoyé n’est perdu. Veuillez réessayer dans une minute.
unavailable-unlock = Le mot de passe ne peut pas être vérifié pour le moment. Veuillez réessayer dans une minute.

## Sizes and durations

size-b = { $n } o
size-kb = { $n } ko
size-mb = { $n } Mo
size-gb = { $n } Go
size-tb = { $n } To
duration-seconds = { $n } s
duration-minutes = { $n } min
duration-hours = { $n } h
duration-days = { $n } j

## A transfer's limits

expires-in-days =
    { $days ->
        [one] Expire dans { $days } jour
       *[other] Expire dans { $days } jours
    }
downloads-left =
    { $left ->
        [one] encore { $left } téléchargement
       *[other] encore { $left } téléchargements
    }
downloads-left-per-file =
    { $left ->
        [one] encore { $left } téléchargement par fichier
       *[other] encore { $left } téléchargements par fichier
    }
downloads-left-up-to =
    { $left ->
        [one] encore jusqu’à { $left } téléchargement
       *[other] encore jusqu’à { $left } téléchargements
    }
downloads-left-up-to-per-file =
    { $left ->
        [one] encore jusqu’à { $left } téléchargement par fichier
       *[other] encore jusqu’à { $left } téléchargements par fichier
    }
password-protected = protégé par mot de passe
days-count =
    { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    }

## Upload page

upload-title = Envoyer des fichiers
upload-lead = Déposez des fichiers pour les envoyer. Ils attendent dans votre brouillon jusqu’à ce que vous l’envoyiez — même si vous rechargez la page ou si nos serveurs redémarrent.
upload-drop = Glissez-déposez vos fichiers ici
upload-or = ou
upload-choose = choisissez des fichiers
upload-choose-label = Choisir des fichiers
draft-title = Votre brouillon
draft-empty = Aucun fichier pour l’instant.
draft-remove = Retirer
draft-remove-label = Retirer { $name }
upload-overall-label = Progression globale de l’envoi
send-expires-after = Expire après
send-download-limit = Limite de téléchargements
send-no-limit = Sans limite
send-password = Mot de passe (facultatif)
send-password-hint = Au moins { $min } caractères. Transmettez-le séparément du lien.
send-recipients = Envoyer le lien par e-mail à (facultatif)
send-recipients-hint = Jusqu’à { $max } adresses, séparées par des virgules.
send-message = Message (facultatif)
send-notify = Me prévenir par e-mail au premier téléchargement
send-button = Envoyer et obtenir un lien
send-error-not-address = « { $address } » n’est pas une adresse e-mail
send-error-too-many = trop de destinataires : { $max } au maximum par envoi (MAIL_RECIPIENTS_PER_SEND)
send-error-message-long = le message dépasse { $max } caractères

## The upload page's script

js-uploading = Envoi : { $pct } % de { $size }
js-ready =
    { $done ->
        [one] { $done } fichier envoyé — prêt à partir.
       *[other] { $done } fichiers envoyés — prêts à partir.
    }
js-failed =
    { $failed ->
        [one] { $failed } fichier en échec.
       *[other] { $failed } fichiers en échec.
    }
js-progress-label = Progression de l’envoi de { $name }
js-failed-status = échec ({ $status })

## Sent page

sent-title = Envoyé
sent-notice =
    { $count ->
        [one] Envoyé. Partagez ce lien — toute personne qui l’a peut télécharger { $count } fichier ({ $size }).
       *[other] Envoyé. Partagez ce lien — toute personne qui l’a peut télécharger { $count } fichiers ({ $size }).
    }
sent-mail-failed = Le transfert est envoyé, mais ses e-mails n’ont pas pu être mis en file d’attente. Partagez le lien vous-même.
share-link-label = Lien de partage
copy = Copier
copied = Copié
copied-status = Lien copié dans le presse-papiers.
open-share-page = Ouvrir la page de partage
changed-mind = Vous avez changé d’avis ?
delete-explain = La suppression désactive le lien immédiatement et libère les fichiers.
delete-transfer = Supprimer ce transfert
qr-label = Code QR du lien de partage
qr-caption = Scannez pour ouvrir le lien sur un téléphone

## Share page

download-title = Téléchargement
files-for-you =
    { $count ->
        [one] { $count } fichier pour vous
       *[other] { $count } fichiers pour vous
    }
preview-cost = Chaque aperçu consomme l’un des téléchargements autorisés par l’expéditeur.
preview = Aperçu
view-pdf = Voir le PDF
view-text = Voir en texte
download = Télécharger
play-label = Lire { $name }
text-start-label = Début de { $name }
text-first-part = Les 64 premiers Kio. { $link } ou téléchargez le fichier.
view-all-text = Tout voir en texte
download-zip = Tout télécharger en .zip
share-this-page = Partager cette page
gone-title = Lien expiré
gone-heading = Ce lien ne fonctionne plus
gone-lead = Le transfert a expiré, a été supprimé ou a été téléchargé autant de fois que son expéditeur l’autorisait. Demandez un nouveau lien à l’expéditeur.
send-your-own = Envoyer vos propres fichiers
password-required = Mot de passe requis
share-password-lead = L’expéditeur a protégé ces fichiers par un mot de passe.
unlock = Déverrouiller
try-again-title = Réessayez dans une minute
wrong-password = Ce mot de passe n’est pas le bon.
deleted-title = Supprimé
deleted-lead = Le lien ne fonctionne plus et les fichiers sont en cours d’effacement.
send-more = Envoyer d’autres fichiers

## Accounts

signup-title = Créer un compte
signin-title = Se connecter
have-account = Vous avez un compte ? { $link }
new-here = Nouveau sur Ferry ? { $link }
account-lead = Un compte garde la liste des transferts que vous envoyez, pour que vous puissiez les retrouver et les supprimer plus tard.
email-label = Adresse e-mail
password-label = Mot de passe
account-password-hint = Au moins { $min } caractères. Quelques mots peu courants font un mot de passe solide ; les mots de passe courants et votre adresse e-mail sont refusés.
forgot-link = Mot de passe oublié ?
error-not-email = Cela ne ressemble pas à une adresse e-mail.
error-account-exists = Un compte existe déjà avec cette adresse. Connectez-vous plutôt.
error-signin-wrong = L’adresse e-mail ou le mot de passe est incorrect.
weak-too-short = Choisissez un mot de passe d’au moins { $min } caractères.
weak-too-long = Ce mot de passe est trop long : { $max } octets au maximum.
weak-like-email = Votre mot de passe ne peut pas être votre adresse e-mail. Choisissez quelque chose que vous seul connaissez.
weak-common = Ce mot de passe figure sur une liste de mots de passe courants, les premiers qu’un attaquant essaie. Choisissez-en un autre.
weak-guessable = Ce mot de passe serait facile à deviner. Ajoutez quelques mots peu courants.
me-title = Mes transferts
me-signed-in-as = Connecté en tant que { $email }.
me-confirmed = Votre adresse est confirmée.
me-unconfirmed = Votre adresse n’est pas encore confirmée : nous vous avons envoyé un lien.
me-send-again = Le renvoyer
me-nothing = Rien pour l’instant. { $link }.
me-send-some = Envoyer des fichiers
delete = Supprimer

## Password reset and address confirmation

forgot-title = Mot de passe oublié ?
forgot-lead = Saisissez l’adresse de votre compte. S’il en existe un, nous y envoyons un lien pour choisir un nouveau mot de passe.
forgot-button = M’envoyer un lien
check-mail-title = Consultez vos e-mails
check-mail-lead = Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe est en route. Il ne fonctionne qu’une fois, pendant une durée limitée.
back-to-signin = Retour à la connexion
link-expired = Ce lien a expiré.
link-used = Ce lien ne fonctionne pas : il a déjà servi, ou un lien plus récent l’a remplacé.
ask-new-link = Demander un nouveau lien
link-invalid-title = Lien non valide
new-password-label = Nouveau mot de passe
reset-hint = Au moins { $min } caractères. Tous les appareils connectés à ce compte seront déconnectés.
reset-button = Enregistrer le nouveau mot de passe
reset-title = Choisir un nouveau mot de passe
password-changed = Votre mot de passe est modifié. Tous les appareils qui étaient connectés sont déconnectés.
password-changed-title = Mot de passe modifié
address-confirmed-title = Adresse confirmée
verify-ask-again = Connectez-vous et demandez-en un nouveau depuis { $link }.

## Operations (admins)

admin-title = Exploitation
admin-processes = Processus
admin-process-line = PID { $pid } · v{ $version } · actif depuis { $uptime } · vu il y a { $seen }
admin-queues = Files d’attente
admin-no-jobs = Aucune tâche pour l’instant.
admin-dead = Tâches abandonnées
admin-attempts =
    { $count ->
        [one] { $count } tentative
       *[other] { $count } tentatives
    }
admin-retry = Relancer
admin-none = Aucune.
admin-schedules = Planifications
admin-last-next = dernière { $last } · prochaine { $next }
admin-last = dernière { $last }
admin-never = jamais
admin-unannounced = aucune horloge ne l’annonce actuellement

## Mails

mail-signature = — Ferry
mail-reset-subject = Réinitialiser votre mot de passe Ferry
mail-reset-intro = Quelqu’un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte Ferry.
mail-reset-choose-text =
    { $minutes ->
        [one] Choisissez un nouveau mot de passe ici (le lien fonctionne une fois, pendant { $minutes } minute) :
       *[other] Choisissez un nouveau mot de passe ici (le lien fonctionne une fois, pendant { $minutes } minutes) :
    }
mail-reset-choose = Choisir un nouveau mot de passe
mail-reset-works =
    { $minutes ->
        [one] (le lien fonctionne une fois, pendant { $minutes } minute).
       *[other] (le lien fonctionne une fois, pendant { $minutes } minutes).
    }
mail-reset-ignore = Si vous n’avez rien demandé, ignorez cet e-mail : votre mot de passe reste inchangé.
mail-verify-subject = Confirmez votre adresse e-mail pour Ferry
mail-verify-intro = Confirmez que cette adresse appartient à votre compte Ferry :
mail-verify-button = Confirmer mon adresse
mail-verify-ignore = Si vous ne vous êtes pas inscrit, ignorez cet e-mail.
mail-files =
    { $count ->
        [one] { $count } fichier
       *[other] { $count } fichiers
    }
mail-share-subject = { $sender } vous a envoyé { $what }
mail-share-intro = { $sender } vous a envoyé { $what } avec Ferry.
mail-share-message = Son message :
mail-download = Télécharger
mail-first-subject = { $what } a été téléchargé
mail-first-intro = Votre transfert { $what } a été téléchargé pour la première fois.
mail-request-subject = Nouvel envoi dans « { $title } »
mail-request-intro =
    { $count ->
        [one] { $count } fichier est arrivé dans votre demande de fichiers « { $title } » :
       *[other] { $count } fichiers sont arrivés dans votre demande de fichiers « { $title } » :
    }

## Malware scanning
scan-infected-title = Logiciel malveillant détecté
scan-infected = « { $name } » contient un logiciel malveillant ({ $signature }) : il n’est pas distribué.
scan-pending-title = Vérification en cours
scan-pending = « { $name } » est en cours de vérification antivirus. Réessayez dans un instant.
scan-unscanned-title = Non vérifié
scan-unscanned = « { $name } » est trop volumineux pour être vérifié par l’antivirus : il n’est pas distribué.
scan-owner-told = La personne qui a partagé ceci a été prévenue.
scan-no-owner = Ce transfert a été déposé anonymement : personne ne peut être prévenu.
scan-back-to-share = Retour à la page de partage
scan-label-infected = Logiciel malveillant détecté ({ $signature }) : non distribué
scan-label-pending = Vérification antivirus en cours
scan-label-unscanned = Trop volumineux pour l’antivirus : non distribué
scan-zip-leaves-out = L’archive ne contient pas les fichiers qui ne sont pas distribués.
scan-infected-files =
    { $count ->
        [one] { $count } fichier bloqué : logiciel malveillant détecté
       *[other] { $count } fichiers bloqués : logiciel malveillant détecté
    }
mail-malware-subject = Logiciel malveillant détecté dans « { $name } »
mail-malware-intro = L’antivirus a détecté { $signature } dans « { $name } », un fichier que vous avez partagé. Il ne sera distribué à personne.

## Demandes de fichiers (la page /requests du demandeur, la page /r/{token} des déposants)

nav-file-requests = Demandes de fichiers
me-ask-for-files = Demander des fichiers à quelqu’un.
me-via-request = Déposé dans votre demande « { $title } »
error-gone-title = Fermée
error-gone = Cette demande de fichiers est fermée : son auteur l’a fermée, ou son délai est écoulé. Demandez-lui un nouveau lien.
request-password-lead = La personne qui demande ces fichiers a protégé le dépôt par un mot de passe.
request-files-left =
    { $n ->
        [one] encore { $n } fichier
       *[other] encore { $n } fichiers
    }
request-bytes-left = jusqu’à { $size } au total
request-open-until = ouverte jusqu’au { $date }
request-sent =
    { $n ->
        [one] Merci : { $n } fichier envoyé. Seule la personne qui l’a demandé peut le voir.
       *[other] Merci : { $n } fichiers envoyés. Seule la personne qui les a demandés peut les voir.
    }
request-your-files = Vos fichiers
request-only-you = Vous seul voyez cette liste. Les fichiers des autres n’y apparaissent jamais.
request-send = Les envoyer
requests-title = Demandes de fichiers
requests-lead = Une demande de fichiers est un lien par lequel n’importe qui peut vous déposer des fichiers, sans compte. Ce qui arrive se trouve dans
requests-none = Aucune demande pour l’instant.
requests-new = Nouvelle demande
requests-field-title = Que demandez-vous ?
requests-field-message = Message aux déposants (facultatif)
requests-field-days = Ouverte pendant (jours)
requests-field-max-files = Nombre de fichiers maximum
requests-field-max-size = Taille totale maximum
requests-size-hint = Une taille comme 500 Mo ou 2 Go.
requests-field-transfer-days = Garder ce qui arrive pendant (jours)
requests-field-transfer-max-downloads = Limite de téléchargements de ce qui arrive
requests-field-password = Mot de passe pour les déposants (facultatif)
requests-create = Créer la demande
requests-files-used =
    { $max ->
        [one] { $used } sur { $max } fichier
       *[other] { $used } sur { $max } fichiers
    }
requests-bytes-used = { $used } sur { $max }
requests-closed = fermée
requests-expired = expirée
requests-link-label = Lien de la demande « { $title } »
requests-qr = Code QR
requests-close = Fermer cette demande
requests-error-no-title = Donnez un titre à la demande.
requests-error-too-long = « { $field } » dépasse { $max } caractères.
requests-error-number = « { $field } » doit être un nombre entier de { $low } à { $high }.
requests-error-size = « { $value } » n’est pas une taille (comme 500 Mo ou 2 Go).
requests-error-too-many-open = Vous avez { $max } demandes ouvertes : fermez-en une d’abord.

## API tokens (/tokens) and members-only uploads

error-sign-in-title = Connectez-vous d’abord
error-sign-in = Il faut un compte pour cela. Connectez-vous, ou envoyez un jeton d’API avec la requête.
members-only-lead = Sur ce serveur, seuls les membres peuvent déposer des fichiers. Connectez-vous pour envoyer des fichiers.
members-only-links = Ouvrir un lien de partage, ou déposer par une demande de fichiers qu’on vous a envoyée, ne demande pas de compte.
me-api-tokens = Jetons d’API
tokens-title = Jetons d’API
tokens-lead = Un jeton permet à un script ou à une tâche de CI d’agir pour vous : envoyez-le dans « Authorization: Bearer … ». Quiconque le possède peut faire ce que ses droits permettent : gardez-le secret et révoquez-le quand il ne sert plus.
tokens-made = Votre nouveau jeton. Copiez-le maintenant : il n’est affiché que cette fois.
tokens-secret-label = Le nouveau jeton « { $name } »
tokens-made-once = Ferry n’en garde qu’une empreinte. Si vous le perdez, révoquez-le et créez-en un autre.
tokens-none = Vous n’avez pas encore de jeton.
tokens-new = Nouveau jeton
tokens-field-name = Nom
tokens-name-example = p. ex. build de nuit
tokens-field-scopes = Ce qu’il peut faire
tokens-scope-upload = Déposer des fichiers (ils apparaissent dans Mes transferts)
tokens-scope-read = Lire mes transferts
tokens-scope-requests = Gérer mes demandes de fichiers
tokens-field-expiry = Expire après (jours)
tokens-never = jamais
tokens-expiry-hint = Laissez vide pour un jeton valable jusqu’à ce que vous le révoquiez.
tokens-create = Créer le jeton
tokens-last-used = utilisé le { $date }
tokens-never-used = jamais utilisé
tokens-expired = expiré
tokens-expires = expire le { $date }
tokens-no-expiry = sans expiration
tokens-revoke = Révoquer
tokens-revoke-label = Révoquer le jeton « { $name } »
tokens-error-no-name = Donnez un nom au jeton.
tokens-error-scope = « { $value } » n’est pas un droit qu’un jeton peut avoir.
tokens-error-no-scope = Choisissez au moins une chose que le jeton peut faire.
tokens-error-too-many = Vous avez { $max } jetons : révoquez-en un d’abord.
admin-audit = Journal d’audit
admin-audit-lead = Chaque action d’administration, ici et en ligne de commande, la plus récente d’abord (gardée AUDIT_RETENTION ; tout : ferry admin audit).
me-storage-used = Vos transferts occupent { $used } (jusqu’à leur purge).
me-storage-quota = Vos transferts occupent { $used } de votre quota de { $total } (jusqu’à leur purge).

## Admin pages: users and transfers

admin-users = Utilisateurs
admin-transfers = Transferts
admin-search-users = Chercher des comptes par adresse
admin-search = Chercher
admin-role-admin = admin
admin-disabled = désactivé
admin-user-transfers = { $count ->
    [one] { $count } transfert actif
   *[other] { $count } transferts actifs
}
admin-own-quota = quota propre { $size }
admin-revoke-admin = Retirer le rôle admin
admin-make-admin = Rendre admin
admin-enable = Réactiver
admin-disable = Désactiver
admin-quota-label = Quota de stockage de { $email }
admin-quota-placeholder = p. ex. 20GB
admin-set-quota = Fixer le quota
admin-delete-user = Supprimer avec ses transferts
admin-search-transfers = Chercher des transferts par jeton, nom de fichier ou propriétaire
admin-anonymous = anonyme
admin-not-live = non servi
admin-take-down = Retirer
error-signin-disabled = Ce compte est désactivé. Adressez-vous à un admin de ce serveur.
admin-user-storage = { $used } stockés
signup-closed = L’inscription est fermée sur ce serveur : ses admins créent les comptes. Demandez un compte à l’un d’eux, puis connectez-vous.
