# Ferry's words in English: the reference every other catalogue follows (same keys,
# same arguments). Product terms: "transfer" (what a link shares), "draft" (files
# waiting to be sent), "share link", "download limit".

## Layout: header, footer, switchers

skip-to-content = Skip to content
home-label = Ferry, home
nav-account = Account
nav-my-transfers = My transfers
sign-out = Sign out
sign-in = Sign in
sign-up = Sign up
footer = Ferry — files that survive any server. Links expire; nothing is kept longer than you say.
theme-group = Colour theme
theme-light = Light
theme-dark = Dark
theme-system = System
language-group = Language

## Error pages

error-not-found-title = Not found
error-not-found = There is nothing at this address. If someone sent you a link, check that it was copied whole.
error-too-many-title = Too many tries
error-too-many = That was tried too often in a short time. Please wait a minute and try again.
error-forbidden-title = Not allowed
error-forbidden = This page is not open to you.
error-other-title = Not possible
error-other = This address cannot be used that way.
error-go-home = Go to the upload page
unavailable-title = Back in a moment
unavailable = Ferry cannot reach part of its storage right now, so this page cannot be shown. Nothing you sent is lost. Please try again in a minute.
unavailable-unlock = The password can't be checked right now. Please try again in a minute.

## Sizes and durations ($n is already written with the language's decimal sign)

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
        [one] Expires in { $days } day
       *[other] Expires in { $days } days
    }
downloads-left =
    { $left ->
        [one] { $left } download left
       *[other] { $left } downloads left
    }
downloads-left-per-file =
    { $left ->
        [one] { $left } download left per file
       *[other] { $left } downloads left per file
    }
downloads-left-up-to =
    { $left ->
        [one] up to { $left } download left
       *[other] up to { $left } downloads left
    }
downloads-left-up-to-per-file =
    { $left ->
        [one] up to { $left } download left per file
       *[other] up to { $left } downloads left per file
    }
password-protected = password protected
days-count =
    { $days ->
        [one] { $days } day
       *[other] { $days } days
    }

## Upload page

upload-title = Send files
upload-lead = Drop files to upload them. They wait in your draft until you send it — even if you reload, or our servers restart.
upload-drop = Drag and drop files here
upload-or = or
upload-choose = choose files
upload-choose-label = Choose files
draft-title = Your draft
draft-empty = No files yet.
draft-remove = Remove
draft-remove-label = Remove { $name }
upload-overall-label = Overall upload progress
send-expires-after = Expires after
send-download-limit = Download limit
send-no-limit = No limit
send-password = Password (optional)
send-password-hint = At least { $min } characters. Send it apart from the link.
send-recipients = E-mail the link to (optional)
send-recipients-hint = Up to { $max } addresses, separated by commas.
send-message = Message (optional)
send-notify = Tell me by e-mail when it is first downloaded
send-button = Send and get a link
send-error-not-address = `{ $address }` is not an e-mail address
send-error-too-many = too many recipients: at most { $max } per send (MAIL_RECIPIENTS_PER_SEND)
send-error-message-long = the message is longer than { $max } characters

## The upload page's script (live region and rows)

js-uploading = Uploading: { $pct }% of { $size }
js-ready =
    { $done ->
        [one] { $done } file uploaded — ready to send.
       *[other] { $done } files uploaded — ready to send.
    }
js-failed =
    { $failed ->
        [one] { $failed } file failed.
       *[other] { $failed } files failed.
    }
js-progress-label = Upload progress of { $name }
js-failed-status = failed ({ $status })

## Sent page

sent-title = Sent
sent-notice =
    { $count ->
        [one] Sent. Share this link — anyone with it can download { $count } file ({ $size }).
       *[other] Sent. Share this link — anyone with it can download { $count } files ({ $size }).
    }
sent-mail-failed = The transfer was sent, but its e-mails could not be queued. Share the link yourself.
share-link-label = Share link
copy = Copy
copied = Copied
copied-status = Link copied to the clipboard.
open-share-page = Open the share page
changed-mind = Changed your mind?
delete-explain = Deleting makes the link stop working at once and frees the files.
delete-transfer = Delete this transfer
qr-label = QR code of the share link
qr-caption = Scan to open the link on a phone

## Share page

download-title = Download
files-for-you =
    { $count ->
        [one] { $count } file for you
       *[other] { $count } files for you
    }
preview-cost = Each preview uses one of the downloads the sender allowed.
preview = Preview
view-pdf = View PDF
view-text = View as text
download = Download
play-label = Play { $name }
text-start-label = Start of { $name }
text-first-part = The first 64 KiB. { $link } or download the file.
view-all-text = View all as text
download-zip = Download all as .zip
share-this-page = Share this page
gone-title = Link expired
gone-heading = This link no longer works
gone-lead = The transfer expired, was deleted, or has been downloaded as many times as its sender allowed. Ask the sender for a new link.
send-your-own = Send your own files
password-required = Password required
share-password-lead = The sender protected these files with a password.
unlock = Unlock
try-again-title = Try again in a minute
wrong-password = That password is not right.
deleted-title = Deleted
deleted-lead = The link no longer works, and the files are being erased.
send-more = Send more files

## Accounts

signup-title = Create an account
signin-title = Sign in
have-account = Have an account? { $link }
new-here = New here? { $link }
account-lead = An account keeps a list of the transfers you send, so you can see and delete them later.
email-label = E-mail
password-label = Password
account-password-hint = At least { $min } characters. A few uncommon words make a strong password; common passwords, and your e-mail address, are refused.
forgot-link = Forgot your password?
error-not-email = That does not look like an e-mail address.
error-account-exists = An account with this e-mail already exists. Sign in instead.
error-signin-wrong = E-mail or password is not right.
weak-too-short = Choose a password of at least { $min } characters.
weak-too-long = That password is too long: at most { $max } bytes.
weak-like-email = Your password can't be your e-mail address. Choose something only you know.
weak-common = That password is on a list of common passwords, the first ones an attacker tries. Choose another.
weak-guessable = That password would be easy to guess. Add a few more uncommon words.
me-title = My transfers
me-signed-in-as = Signed in as { $email }.
me-confirmed = Your address is confirmed.
me-unconfirmed = Your address is not confirmed yet: we mailed you a link.
me-send-again = Send it again
me-nothing = Nothing yet. { $link }.
me-send-some = Send some files
delete = Delete

## Password reset and address confirmation

forgot-title = Forgot your password?
forgot-lead = Type the address of your account. If it has one, we mail it a link to choose a new password.
forgot-button = Mail me a link
check-mail-title = Check your mail
check-mail-lead = If an account has this address, a link to choose a new password is on its way. It works once, for a limited time.
back-to-signin = Back to sign in
link-expired = This link has expired.
link-used = This link does not work: it was used already, or a newer one replaced it.
ask-new-link = Ask for a new link
link-invalid-title = Link not valid
new-password-label = New password
reset-hint = At least { $min } characters. Every device signed in to this account is signed out.
reset-button = Set the new password
reset-title = Choose a new password
password-changed = Your password is changed. Every device that was signed in is signed out.
password-changed-title = Password changed
address-confirmed-title = Address confirmed
verify-ask-again = Sign in and ask for a new one on { $link }.

## Operations (admins)

admin-title = Operations
admin-processes = Processes
admin-process-line = pid { $pid } · v{ $version } · up { $uptime } · seen { $seen } ago
admin-queues = Queues
admin-no-jobs = No jobs yet.
admin-dead = Dead jobs
admin-attempts =
    { $count ->
        [one] { $count } attempt
       *[other] { $count } attempts
    }
admin-retry = Retry
admin-none = None.
admin-schedules = Schedules
admin-last-next = last { $last } · next { $next }
admin-last = last { $last }
admin-never = never
admin-unannounced = no clock announces it now

## Mails

mail-signature = — Ferry
mail-reset-subject = Reset your Ferry password
mail-reset-intro = Someone (hopefully you) asked to reset the password of your Ferry account.
mail-reset-choose-text =
    { $minutes ->
        [one] Choose a new password here (the link works once, for { $minutes } minute):
       *[other] Choose a new password here (the link works once, for { $minutes } minutes):
    }
mail-reset-choose = Choose a new password
mail-reset-works =
    { $minutes ->
        [one] (the link works once, for { $minutes } minute).
       *[other] (the link works once, for { $minutes } minutes).
    }
mail-reset-ignore = If you did not ask, ignore this mail: your password stays as it is.
mail-verify-subject = Confirm your e-mail address for Ferry
mail-verify-intro = Confirm that this address belongs to your Ferry account:
mail-verify-button = Confirm my address
mail-verify-ignore = If you did not sign up, ignore this mail.
mail-files =
    { $count ->
        [one] { $count } file
       *[other] { $count } files
    }
mail-share-subject = { $sender } sent you { $what }
mail-share-intro = { $sender } sent you { $what } with Ferry.
mail-share-message = Their message:
mail-download = Download
mail-first-subject = { $what } was downloaded
mail-first-intro = Your transfer { $what } was downloaded for the first time.
mail-request-subject = New upload into “{ $title }”
mail-request-intro =
    { $count ->
        [one] { $count } file arrived in your file request “{ $title }”:
       *[other] { $count } files arrived in your file request “{ $title }”:
    }

## Malware scanning
scan-infected-title = Malware found
scan-infected = “{ $name }” contains malware ({ $signature }), so it is not served.
scan-pending-title = Being checked
scan-pending = “{ $name }” is being checked for malware. Try again in a moment.
scan-unscanned-title = Not checked
scan-unscanned = “{ $name }” is too large to be checked for malware, so it is not served.
scan-owner-told = The person who shared this has been told.
scan-no-owner = This transfer was uploaded anonymously, so there is no one to tell.
scan-back-to-share = Back to the share page
scan-label-infected = Malware found ({ $signature }): not served
scan-label-pending = Being checked for malware
scan-label-unscanned = Too large to check for malware: not served
scan-zip-leaves-out = The archive leaves out the files that are not served.
scan-infected-files =
    { $count ->
        [one] { $count } file blocked: malware found
       *[other] { $count } files blocked: malware found
    }
mail-malware-subject = Malware found in “{ $name }”
mail-malware-intro = The virus scanner found { $signature } in “{ $name }”, a file you shared. It will not be served to anyone.

## File requests (the owner's /requests, the uploaders' /r/{token})

nav-file-requests = File requests
me-ask-for-files = Ask someone for files.
me-via-request = Uploaded to your request “{ $title }”
error-gone-title = Closed
error-gone = This file request is closed: its owner closed it, or its time ran out. Ask them for a new link.
request-password-lead = Whoever asked for these files protected the upload with a password.
request-files-left =
    { $n ->
        [one] { $n } more file
       *[other] { $n } more files
    }
request-bytes-left = up to { $size } in all
request-open-until = open until { $date }
request-sent =
    { $n ->
        [one] Thank you: { $n } file sent. Only the person who asked can see it.
       *[other] Thank you: { $n } files sent. Only the person who asked can see them.
    }
request-your-files = Your files
request-only-you = Only you see this list. Nobody else's files are shown here.
request-send = Send them
requests-title = File requests
requests-lead = A file request is a link through which anyone can upload files to you — no account needed. What they send arrives in
requests-none = No requests yet.
requests-new = New request
requests-field-title = What are you asking for?
requests-field-message = Message to the uploaders (optional)
requests-field-days = Open for (days)
requests-field-max-files = Most files
requests-field-max-size = Most in all
requests-size-hint = A size such as 500 MB or 2 GB.
requests-field-transfer-days = Keep what arrives for (days)
requests-field-transfer-max-downloads = Download limit of what arrives
requests-field-password = Password for uploaders (optional)
requests-create = Create the request
requests-files-used =
    { $max ->
        [one] { $used } of { $max } file
       *[other] { $used } of { $max } files
    }
requests-bytes-used = { $used } of { $max }
requests-closed = closed
requests-expired = expired
requests-link-label = Link of the request “{ $title }”
requests-qr = QR code
requests-close = Close this request
requests-error-no-title = Give the request a title.
requests-error-too-long = “{ $field }” is longer than { $max } characters.
requests-error-number = “{ $field }” must be a whole number from { $low } to { $high }.
requests-error-size = “{ $value }” is not a size (such as 500 MB or 2 GB).
requests-error-too-many-open = You have { $max } open requests: close one first.

## API tokens (/tokens) and members-only uploads

error-sign-in-title = Sign in first
error-sign-in = This needs an account. Sign in, or send an API token with the request.
members-only-lead = On this server only members may upload. Sign in to send files.
members-only-links = Opening a share link, or uploading through a file request someone sent you, needs no account.
me-api-tokens = API tokens
tokens-title = API tokens
tokens-lead = A token lets a script or a CI job act for you: send it as “Authorization: Bearer …”. Anyone who has it can do what its scopes allow, so keep it secret and revoke it when it is no longer needed.
tokens-made = Your new token. Copy it now: it is shown only this once.
tokens-secret-label = The new token “{ $name }”
tokens-made-once = Ferry keeps only a fingerprint of it. If you lose it, revoke it and make another.
tokens-none = You have no tokens yet.
tokens-new = New token
tokens-field-name = Name
tokens-name-example = e.g. nightly build
tokens-field-scopes = What it may do
tokens-scope-upload = Upload files (they appear in My transfers)
tokens-scope-read = Read my transfers
tokens-scope-requests = Manage my file requests
tokens-field-expiry = Expires after (days)
tokens-never = never
tokens-expiry-hint = Leave empty for a token that works until you revoke it.
tokens-create = Create token
tokens-last-used = last used { $date }
tokens-never-used = never used
tokens-expired = expired
tokens-expires = expires { $date }
tokens-no-expiry = no expiry
tokens-revoke = Revoke
tokens-revoke-label = Revoke the token “{ $name }”
tokens-error-no-name = Give the token a name.
tokens-error-scope = “{ $value }” is not something a token may do.
tokens-error-no-scope = Choose at least one thing the token may do.
tokens-error-too-many = You have { $max } tokens: revoke one first.
admin-audit = Audit log
admin-audit-lead = Every admin action, here and from the command line, newest first (kept for AUDIT_RETENTION; all of it: ferry admin audit).
me-storage-used = Your transfers use { $used } (until they are purged).
me-storage-quota = Your transfers use { $used } of your { $total } quota (until they are purged).

## Admin pages: users and transfers

admin-users = Users
admin-transfers = Transfers
admin-search-users = Find accounts by address
admin-search = Search
admin-role-admin = admin
admin-disabled = disabled
admin-user-transfers = { $count ->
    [one] { $count } live transfer
   *[other] { $count } live transfers
}
admin-own-quota = own quota { $size }
admin-revoke-admin = Take admin role
admin-make-admin = Make admin
admin-enable = Enable
admin-disable = Disable
admin-quota-label = Storage quota of { $email }
admin-quota-placeholder = e.g. 20GB
admin-set-quota = Set quota
admin-delete-user = Delete with transfers
admin-search-transfers = Find transfers by token, file name or owner
admin-anonymous = anonymous
admin-not-live = not served
admin-take-down = Take down
error-signin-disabled = This account is disabled. Ask an admin of this server.
admin-user-storage = { $used } stored
signup-closed = Sign-up is closed on this server: accounts are made by its admins. Ask one for an account, then sign in.
