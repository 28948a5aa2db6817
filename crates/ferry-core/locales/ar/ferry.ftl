# كلمات Ferry بالعربية (المفاتيح والمعاملات نفسها كما في en/ferry.ftl).
# المصطلحات: «عملية نقل» (transfer)، «مسودة» (draft)، «رابط المشاركة» (share link)،
# «حد التنزيلات». للأعداد ست صيغ: zero وone وtwo وfew (3–10) وmany (11–99) وother.

## Layout: header, footer, switchers

skip-to-content = انتقل إلى المحتوى
home-label = Ferry، الصفحة الرئيسية
nav-account = الحساب
nav-my-transfers = عمليات النقل الخاصة بي
sign-out = تسجيل الخروج
sign-in = تسجيل الدخول
sign-up = إنشاء حساب
footer = Ferry — ملفات تصمد أمام تعطل أي خادم. تنتهي صلاحية الروابط، ولا يُحتفظ بشيء مدة أطول مما تحدده.
theme-group = سمة الألوان
theme-light = فاتحة
theme-dark = داكنة
theme-system = النظام
language-group = اللغة

## Error pages

error-not-found-title = غير موجود
error-not-found = لا يوجد شيء على هذا العنوان. إذا أرسل إليك أحدهم رابطًا، فتأكد من أنه نُسخ كاملًا.
error-too-many-title = محاولات كثيرة جدًا
error-too-many = جرت محاولات كثيرة في وقت قصير. يُرجى الانتظار دقيقة ثم المحاولة مجددًا.
error-forbidden-title = غير مسموح
error-forbidden = هذه الصفحة غير متاحة لك.
error-other-title = غير ممكن
error-other = لا يمكن استخدام هذا العنوان بهذه الطريقة.
error-go-home = الانتقال إلى صفحة الرفع
unavailable-title = نعود بعد لحظات
unavailable = يتعذر على Ferry الآن الوصول إلى جزء من مساحة التخزين، لذا لا يمكن عرض هذه الصفحة. لم يُفقد شيء مما أرسلته. يُرجى المحاولة مجددًا بعد دقيقة.
unavailable-unlock = يتعذر التحقق من كلمة المرور الآن. يُرجى المحاولة مجددًا بعد دقيقة.

## Sizes and durations

size-b = { $n } بايت
size-kb = { $n } ك.ب
size-mb = { $n } م.ب
size-gb = { $n } ج.ب
size-tb = { $n } ت.ب
duration-seconds = { $n } ث
duration-minutes = { $n } د
duration-hours = { $n } س
duration-days = { $n } ي

## A transfer's limits

expires-in-days =
    { $days ->
        [zero] تنتهي الصلاحية اليوم
        [one] تنتهي الصلاحية خلال يوم واحد
        [two] تنتهي الصلاحية خلال يومين
        [few] تنتهي الصلاحية خلال { $days } أيام
        [many] تنتهي الصلاحية خلال { $days } يومًا
       *[other] تنتهي الصلاحية خلال { $days } يوم
    }
downloads-left =
    { $left ->
        [zero] لم يتبقَّ أي تنزيل
        [one] يتبقى تنزيل واحد
        [two] يتبقى تنزيلان
        [few] تتبقى { $left } تنزيلات
        [many] يتبقى { $left } تنزيلًا
       *[other] يتبقى { $left } تنزيل
    }
downloads-left-per-file =
    { $left ->
        [zero] لم يتبقَّ أي تنزيل لكل ملف
        [one] يتبقى تنزيل واحد لكل ملف
        [two] يتبقى تنزيلان لكل ملف
        [few] تتبقى { $left } تنزيلات لكل ملف
        [many] يتبقى { $left } تنزيلًا لكل ملف
       *[other] يتبقى { $left } تنزيل لكل ملف
    }
downloads-left-up-to =
    { $left ->
        [zero] لم يتبقَّ أي تنزيل
        [one] يتبقى تنزيل واحد على الأكثر
        [two] يتبقى تنزيلان على الأكثر
        [few] تتبقى { $left } تنزيلات على الأكثر
        [many] يتبقى { $left } تنزيلًا على الأكثر
       *[other] يتبقى { $left } تنزيل على الأكثر
    }
downloads-left-up-to-per-file =
    { $left ->
        [zero] لم يتبقَّ أي تنزيل لكل ملف
        [one] يتبقى تنزيل واحد على الأكثر لكل ملف
        [two] يتبقى تنزيلان على الأكثر لكل ملف
        [few] تتبقى { $left } تنزيلات على الأكثر لكل ملف
        [many] يتبقى { $left } تنزيلًا على الأكثر لكل ملف
       *[other] يتبقى { $left } تنزيل على الأكثر لكل ملف
    }
password-protected = محمي بكلمة مرور
days-count =
    { $days ->
        [zero] { $days } يوم
        [one] يوم واحد
        [two] يومان
        [few] { $days } أيام
        [many] { $days } يومًا
       *[other] { $days } يوم
    }

## Upload page

upload-title = إرسال ملفات
upload-lead = أفلت الملفات لرفعها. تبقى في مسودتك حتى ترسلها — حتى لو أعدت تحميل الصفحة أو أُعيد تشغيل خوادمنا.
upload-drop = اسحب الملفات وأفلتها هنا
upload-or = أو
upload-choose = اختر ملفات
upload-choose-label = اختيار ملفات
draft-title = مسودتك
draft-empty = لا توجد ملفات بعد.
draft-remove = إزالة
draft-remove-label = إزالة { $name }
upload-overall-label = التقدم الكلي للرفع
send-expires-after = تنتهي الصلاحية بعد
send-download-limit = حد التنزيلات
send-no-limit = بلا حد
send-password = كلمة المرور (اختيارية)
send-password-hint = { $min } أحرف على الأقل. أرسلها بمعزل عن الرابط.
send-recipients = إرسال الرابط بالبريد الإلكتروني إلى (اختياري)
send-recipients-hint = حتى { $max } عناوين، تفصل بينها فواصل.
send-message = رسالة (اختيارية)
send-notify = أعلمني بالبريد الإلكتروني عند أول تنزيل
send-button = أرسل واحصل على رابط
send-error-not-address = «{ $address }» ليس عنوان بريد إلكتروني
send-error-too-many = عدد المستلمين كبير جدًا: { $max } على الأكثر في كل إرسال (MAIL_RECIPIENTS_PER_SEND)
send-error-message-long = الرسالة أطول من { $max } حرف

## The upload page's script

js-uploading = جارٍ الرفع: { $pct }٪ من { $size }
js-ready =
    { $done ->
        [zero] لم يُرفع أي ملف.
        [one] رُفع ملف واحد — جاهز للإرسال.
        [two] رُفع ملفان — جاهزان للإرسال.
        [few] رُفعت { $done } ملفات — جاهزة للإرسال.
        [many] رُفع { $done } ملفًا — جاهزة للإرسال.
       *[other] رُفع { $done } ملف — جاهزة للإرسال.
    }
js-failed =
    { $failed ->
        [zero] لم يفشل أي ملف.
        [one] فشل ملف واحد.
        [two] فشل ملفان.
        [few] فشلت { $failed } ملفات.
        [many] فشل { $failed } ملفًا.
       *[other] فشل { $failed } ملف.
    }
js-progress-label = تقدم رفع { $name }
js-failed-status = فشل ({ $status })

## Sent page

sent-title = تم الإرسال
sent-notice =
    { $count ->
        [zero] تم الإرسال. شارك هذا الرابط.
        [one] تم الإرسال. شارك هذا الرابط — يمكن لأي شخص يملكه تنزيل ملف واحد ({ $size }).
        [two] تم الإرسال. شارك هذا الرابط — يمكن لأي شخص يملكه تنزيل ملفين ({ $size }).
        [few] تم الإرسال. شارك هذا الرابط — يمكن لأي شخص يملكه تنزيل { $count } ملفات ({ $size }).
        [many] تم الإرسال. شارك هذا الرابط — يمكن لأي شخص يملكه تنزيل { $count } ملفًا ({ $size }).
       *[other] تم الإرسال. شارك هذا الرابط — يمكن لأي شخص يملكه تنزيل { $count } ملف ({ $size }).
    }
sent-mail-failed = أُرسلت عملية النقل، لكن تعذر وضع رسائلها البريدية في قائمة الانتظار. شارك الرابط بنفسك.
share-link-label = رابط المشاركة
copy = نسخ
copied = تم النسخ
copied-status = نُسخ الرابط إلى الحافظة.
open-share-page = فتح صفحة المشاركة
changed-mind = هل غيرت رأيك؟
delete-explain = الحذف يوقف عمل الرابط فورًا ويحرر الملفات.
delete-transfer = حذف عملية النقل هذه
qr-label = رمز QR لرابط المشاركة
qr-caption = امسح الرمز لفتح الرابط على الهاتف

## Share page

download-title = تنزيل
files-for-you =
    { $count ->
        [zero] لا ملفات لك
        [one] ملف واحد لك
        [two] ملفان لك
        [few] { $count } ملفات لك
        [many] { $count } ملفًا لك
       *[other] { $count } ملف لك
    }
preview-cost = كل معاينة تستهلك تنزيلًا من التنزيلات التي سمح بها المرسل.
preview = معاينة
view-pdf = عرض ملف PDF
view-text = عرض كنص
download = تنزيل
play-label = تشغيل { $name }
text-start-label = بداية { $name }
text-first-part = أول 64 كيلوبايت. { $link } أو نزّل الملف.
view-all-text = عرض الكل كنص
download-zip = تنزيل الكل كملف ‎.zip
share-this-page = مشاركة هذه الصفحة
gone-title = انتهت صلاحية الرابط
gone-heading = هذا الرابط لم يعد يعمل
gone-lead = انتهت صلاحية عملية النقل، أو حُذفت، أو نُزّلت بعدد المرات الذي سمح به مرسلها. اطلب من المرسل رابطًا جديدًا.
send-your-own = أرسل ملفاتك الخاصة
password-required = كلمة المرور مطلوبة
share-password-lead = حمى المرسل هذه الملفات بكلمة مرور.
unlock = فتح
try-again-title = حاول مجددًا بعد دقيقة
wrong-password = كلمة المرور هذه غير صحيحة.
deleted-title = تم الحذف
deleted-lead = لم يعد الرابط يعمل، وجارٍ محو الملفات.
send-more = إرسال مزيد من الملفات

## Accounts

signup-title = إنشاء حساب
signin-title = تسجيل الدخول
have-account = لديك حساب؟ { $link }
new-here = جديد هنا؟ { $link }
account-lead = يحتفظ الحساب بقائمة عمليات النقل التي ترسلها، لتتمكن من رؤيتها وحذفها لاحقًا.
email-label = البريد الإلكتروني
password-label = كلمة المرور
account-password-hint = { $min } أحرف على الأقل. بضع كلمات غير مألوفة تصنع كلمة مرور قوية؛ وتُرفض كلمات المرور الشائعة وعنوان بريدك الإلكتروني.
forgot-link = هل نسيت كلمة المرور؟
error-not-email = لا يبدو هذا عنوان بريد إلكتروني.
error-account-exists = يوجد حساب بهذا البريد الإلكتروني بالفعل. سجّل الدخول بدلًا من ذلك.
error-signin-wrong = البريد الإلكتروني أو كلمة المرور غير صحيحة.
weak-too-short = اختر كلمة مرور من { $min } أحرف على الأقل.
weak-too-long = كلمة المرور هذه طويلة جدًا: { $max } بايت على الأكثر.
weak-like-email = لا يمكن أن تكون كلمة المرور هي عنوان بريدك الإلكتروني. اختر شيئًا لا يعرفه سواك.
weak-common = كلمة المرور هذه موجودة في قائمة كلمات المرور الشائعة، وهي أول ما يجربه المهاجم. اختر غيرها.
weak-guessable = سيكون تخمين كلمة المرور هذه سهلًا. أضف بضع كلمات غير مألوفة.
me-title = عمليات النقل الخاصة بي
me-signed-in-as = مسجّل الدخول باسم { $email }.
me-confirmed = عنوانك مؤكَّد.
me-unconfirmed = لم يُؤكَّد عنوانك بعد: أرسلنا إليك رابطًا بالبريد.
me-send-again = أرسله مجددًا
me-nothing = لا شيء بعد. { $link }.
me-send-some = أرسل بعض الملفات
delete = حذف

## Password reset and address confirmation

forgot-title = هل نسيت كلمة المرور؟
forgot-lead = اكتب عنوان حسابك. إن وُجد حساب به، نرسل إليه رابطًا لاختيار كلمة مرور جديدة.
forgot-button = أرسل لي رابطًا
check-mail-title = تفقّد بريدك
check-mail-lead = إذا كان هناك حساب بهذا العنوان، فإن رابطًا لاختيار كلمة مرور جديدة في طريقه إليه. يعمل مرة واحدة ولمدة محدودة.
back-to-signin = العودة إلى تسجيل الدخول
link-expired = انتهت صلاحية هذا الرابط.
link-used = هذا الرابط لا يعمل: استُخدم من قبل، أو حلّ محله رابط أحدث.
ask-new-link = اطلب رابطًا جديدًا
link-invalid-title = الرابط غير صالح
new-password-label = كلمة المرور الجديدة
reset-hint = { $min } أحرف على الأقل. سيُسجَّل خروج كل جهاز مسجّل الدخول إلى هذا الحساب.
reset-button = تعيين كلمة المرور الجديدة
reset-title = اختر كلمة مرور جديدة
password-changed = تغيّرت كلمة المرور. سُجّل خروج كل جهاز كان مسجّل الدخول.
password-changed-title = تغيّرت كلمة المرور
address-confirmed-title = تم تأكيد العنوان
verify-ask-again = سجّل الدخول واطلب رابطًا جديدًا من صفحة { $link }.

## Operations (admins)

admin-title = التشغيل
admin-processes = العمليات
admin-process-line = المعرّف { $pid } · الإصدار { $version } · يعمل منذ { $uptime } · شوهد قبل { $seen }
admin-queues = قوائم الانتظار
admin-no-jobs = لا مهام بعد.
admin-dead = المهام المتعثرة
admin-attempts =
    { $count ->
        [zero] لا محاولات
        [one] محاولة واحدة
        [two] محاولتان
        [few] { $count } محاولات
        [many] { $count } محاولة
       *[other] { $count } محاولة
    }
admin-retry = إعادة المحاولة
admin-none = لا شيء.
admin-schedules = الجداول الزمنية
admin-last-next = آخر تشغيل { $last } · التالي { $next }
admin-last = آخر تشغيل { $last }
admin-never = أبدًا
admin-unannounced = لا تعلن عنه أي ساعة الآن

## Mails

mail-signature = — Ferry
mail-reset-subject = إعادة تعيين كلمة مرور Ferry
mail-reset-intro = طلب أحدهم (نأمل أن تكون أنت) إعادة تعيين كلمة مرور حسابك على Ferry.
mail-reset-choose-text =
    { $minutes ->
        [zero] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة):
        [one] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة، لمدة دقيقة واحدة):
        [two] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة، لمدة دقيقتين):
        [few] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة، لمدة { $minutes } دقائق):
        [many] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة، لمدة { $minutes } دقيقة):
       *[other] اختر كلمة مرور جديدة من هنا (يعمل الرابط مرة واحدة، لمدة { $minutes } دقيقة):
    }
mail-reset-choose = اختر كلمة مرور جديدة
mail-reset-works =
    { $minutes ->
        [zero] (يعمل الرابط مرة واحدة).
        [one] (يعمل الرابط مرة واحدة، لمدة دقيقة واحدة).
        [two] (يعمل الرابط مرة واحدة، لمدة دقيقتين).
        [few] (يعمل الرابط مرة واحدة، لمدة { $minutes } دقائق).
        [many] (يعمل الرابط مرة واحدة، لمدة { $minutes } دقيقة).
       *[other] (يعمل الرابط مرة واحدة، لمدة { $minutes } دقيقة).
    }
mail-reset-ignore = إذا لم تطلب ذلك، فتجاهل هذه الرسالة: ستبقى كلمة مرورك كما هي.
mail-verify-subject = أكّد عنوان بريدك الإلكتروني على Ferry
mail-verify-intro = أكّد أن هذا العنوان يخص حسابك على Ferry:
mail-verify-button = تأكيد عنواني
mail-verify-ignore = إذا لم تنشئ حسابًا، فتجاهل هذه الرسالة.
mail-files =
    { $count ->
        [zero] لا ملفات
        [one] ملفًا واحدًا
        [two] ملفين
        [few] { $count } ملفات
        [many] { $count } ملفًا
       *[other] { $count } ملف
    }
mail-share-subject = أرسل إليك { $sender } { $what }
mail-share-intro = أرسل إليك { $sender } { $what } عبر Ferry.
mail-share-message = رسالته:
mail-download = تنزيل
mail-first-subject = نُزّل { $what }
mail-first-intro = نُزّلت عملية النقل الخاصة بك ({ $what }) لأول مرة.
mail-request-subject = رفع جديد إلى «{ $title }»
mail-request-intro =
    { $count ->
        [zero] لم يصل أي ملف إلى طلب الملفات «{ $title }»:
        [one] وصل ملف واحد إلى طلب الملفات «{ $title }»:
        [two] وصل ملفان إلى طلب الملفات «{ $title }»:
        [few] وصلت { $count } ملفات إلى طلب الملفات «{ $title }»:
        [many] وصل { $count } ملفًا إلى طلب الملفات «{ $title }»:
       *[other] وصل { $count } ملف إلى طلب الملفات «{ $title }»:
    }

## Malware scanning
scan-infected-title = عُثر على برمجية خبيثة
scan-infected = يحتوي «{ $name }» على برمجية خبيثة ({ $signature })، لذا لا يُقدَّم.
scan-pending-title = قيد الفحص
scan-pending = يجري فحص «{ $name }» بحثًا عن البرمجيات الخبيثة. أعد المحاولة بعد قليل.
scan-unscanned-title = لم يُفحص
scan-unscanned = «{ $name }» أكبر من أن يُفحص بحثًا عن البرمجيات الخبيثة، لذا لا يُقدَّم.
scan-owner-told = أُبلغ الشخص الذي شارك هذا.
scan-no-owner = رُفع هذا النقل دون اسم، فلا يوجد من يُبلَّغ.
scan-back-to-share = العودة إلى صفحة المشاركة
scan-label-infected = عُثر على برمجية خبيثة ({ $signature }): لا يُقدَّم
scan-label-pending = قيد الفحص بحثًا عن البرمجيات الخبيثة
scan-label-unscanned = أكبر من أن يُفحص: لا يُقدَّم
scan-zip-leaves-out = لا يتضمن الأرشيف الملفات التي لا تُقدَّم.
scan-infected-files =
    { $count ->
        [zero] لا ملفات محظورة
        [one] ملف واحد محظور: عُثر على برمجية خبيثة
        [two] ملفان محظوران: عُثر على برمجية خبيثة
        [few] { $count } ملفات محظورة: عُثر على برمجية خبيثة
        [many] { $count } ملفًا محظورًا: عُثر على برمجية خبيثة
       *[other] { $count } ملف محظور: عُثر على برمجية خبيثة
    }
mail-malware-subject = عُثر على برمجية خبيثة في «{ $name }»
mail-malware-intro = وجد فاحص الفيروسات { $signature } في «{ $name }»، وهو ملف شاركته. لن يُقدَّم لأحد.

## طلبات الملفات (صفحة صاحب الطلب /requests، وصفحة الرافعين /r/{token})

nav-file-requests = طلبات الملفات
me-ask-for-files = اطلب ملفات من شخص ما.
me-via-request = رُفع إلى طلبك «{ $title }»
error-gone-title = مغلق
error-gone = طلب الملفات هذا مغلق: أغلقه صاحبه أو انتهت مدته. اطلب منه رابطًا جديدًا.
request-password-lead = من يطلب هذه الملفات حمى الرفع بكلمة مرور.
request-files-left =
    { $n ->
        [zero] لا مزيد من الملفات
        [one] ملف واحد آخر
        [two] ملفان آخران
        [few] { $n } ملفات أخرى
        [many] { $n } ملفًا آخر
       *[other] { $n } ملف آخر
    }
request-bytes-left = حتى { $size } إجمالًا
request-open-until = مفتوح حتى { $date }
request-sent =
    { $n ->
        [zero] شكرًا: لم يُرسل أي ملف.
        [one] شكرًا: أُرسل ملف واحد. لا يراه إلا من طلبه.
        [two] شكرًا: أُرسل ملفان. لا يراهما إلا من طلبهما.
        [few] شكرًا: أُرسلت { $n } ملفات. لا يراها إلا من طلبها.
        [many] شكرًا: أُرسل { $n } ملفًا. لا يراها إلا من طلبها.
       *[other] شكرًا: أُرسل { $n } ملف. لا يراها إلا من طلبها.
    }
request-your-files = ملفاتك
request-only-you = أنت وحدك ترى هذه القائمة. لا تظهر هنا ملفات الآخرين أبدًا.
request-send = أرسلها
requests-title = طلبات الملفات
requests-lead = طلب الملفات رابط يستطيع أي شخص من خلاله رفع ملفات إليك، دون حساب. ما يصل تجده في
requests-none = لا توجد طلبات بعد.
requests-new = طلب جديد
requests-field-title = ماذا تطلب؟
requests-field-message = رسالة إلى الرافعين (اختياري)
requests-field-days = مفتوح لمدة (أيام)
requests-field-max-files = أقصى عدد من الملفات
requests-field-max-size = الحجم الإجمالي الأقصى
requests-size-hint = حجم مثل 500 MB أو 2 GB.
requests-field-transfer-days = الاحتفاظ بما يصل لمدة (أيام)
requests-field-transfer-max-downloads = حد التنزيل لما يصل
requests-field-password = كلمة مرور للرافعين (اختياري)
requests-create = أنشئ الطلب
requests-files-used =
    { $max ->
        [zero] { $used } من { $max } ملف
        [one] { $used } من ملف واحد
        [two] { $used } من ملفين
        [few] { $used } من { $max } ملفات
        [many] { $used } من { $max } ملفًا
       *[other] { $used } من { $max } ملف
    }
requests-bytes-used = { $used } من { $max }
requests-closed = مغلق
requests-expired = منتهي
requests-link-label = رابط الطلب «{ $title }»
requests-qr = رمز QR
requests-close = أغلق هذا الطلب
requests-error-no-title = أعطِ الطلب عنوانًا.
requests-error-too-long = «{ $field }» أطول من { $max } حرفًا.
requests-error-number = يجب أن يكون «{ $field }» عددًا صحيحًا من { $low } إلى { $high }.
requests-error-size = «{ $value }» ليس حجمًا (مثل 500 MB أو 2 GB).
requests-error-too-many-open = لديك { $max } طلبًا مفتوحًا: أغلق واحدًا أولًا.

## API tokens (/tokens) and members-only uploads

error-sign-in-title = سجّل الدخول أولًا
error-sign-in = يتطلب هذا حسابًا. سجّل الدخول، أو أرسل رمز API مع الطلب.
members-only-lead = على هذا الخادم يرفع الأعضاء فقط. سجّل الدخول لإرسال الملفات.
members-only-links = فتح رابط مشاركة، أو الرفع عبر طلب ملفات أرسله إليك أحدهم، لا يحتاج إلى حساب.
me-api-tokens = رموز API
tokens-title = رموز API
tokens-lead = يتيح الرمز لبرنامج نصي أو لمهمة CI أن يعمل نيابةً عنك: أرسله في ‎“Authorization: Bearer …”‎. من يملكه يستطيع فعل ما تسمح به صلاحياته، فاحفظه سرًا وألغِه حين لا تحتاج إليه.
tokens-made = رمزك الجديد. انسخه الآن: لن يظهر إلا هذه المرة.
tokens-secret-label = الرمز الجديد “{ $name }”
tokens-made-once = لا يحتفظ Ferry إلا ببصمة منه. إن فقدته فألغِه وأنشئ غيره.
tokens-none = ليست لديك رموز بعد.
tokens-new = رمز جديد
tokens-field-name = الاسم
tokens-name-example = مثلًا: البناء الليلي
tokens-field-scopes = ما يُسمح له به
tokens-scope-upload = رفع الملفات (تظهر في تحويلاتي)
tokens-scope-read = قراءة تحويلاتي
tokens-scope-requests = إدارة طلبات الملفات الخاصة بي
tokens-field-expiry = ينتهي بعد (أيام)
tokens-never = أبدًا
tokens-expiry-hint = اتركه فارغًا لرمز يعمل حتى تلغيه.
tokens-create = إنشاء الرمز
tokens-last-used = آخر استخدام { $date }
tokens-never-used = لم يُستخدم قط
tokens-expired = منتهي الصلاحية
tokens-expires = ينتهي { $date }
tokens-no-expiry = بلا انتهاء
tokens-revoke = إلغاء
tokens-revoke-label = إلغاء الرمز “{ $name }”
tokens-error-no-name = أعطِ الرمز اسمًا.
tokens-error-scope = “{ $value }” ليس شيئًا يُسمح لرمز بفعله.
tokens-error-no-scope = اختر شيئًا واحدًا على الأقل يُسمح للرمز به.
tokens-error-too-many = لديك { $max } رمزًا: ألغِ واحدًا أولًا.
admin-audit = سجل التدقيق
admin-audit-lead = كل إجراء إداري، هنا ومن سطر الأوامر، الأحدث أولًا (يُحفظ مدة AUDIT_RETENTION؛ كله: ferry admin audit).
me-storage-used = تشغل تحويلاتك { $used } (حتى تُحذف نهائيًا).
me-storage-quota = تشغل تحويلاتك { $used } من حصتك البالغة { $total } (حتى تُحذف نهائيًا).

## Admin pages: users and transfers

admin-users = المستخدمون
admin-transfers = التحويلات
admin-search-users = ابحث عن الحسابات بالعنوان
admin-search = بحث
admin-role-admin = مشرف
admin-disabled = معطّل
admin-user-transfers = { $count ->
    [zero] لا تحويلات نشطة
    [one] تحويل نشط واحد
    [two] تحويلان نشطان
    [few] { $count } تحويلات نشطة
    [many] { $count } تحويلًا نشطًا
   *[other] { $count } تحويل نشط
}
admin-own-quota = حصة خاصة { $size }
admin-revoke-admin = سحب دور المشرف
admin-make-admin = جعله مشرفًا
admin-enable = تفعيل
admin-disable = تعطيل
admin-quota-label = حصة تخزين { $email }
admin-quota-placeholder = مثلًا 20GB
admin-set-quota = تعيين الحصة
admin-delete-user = حذف مع تحويلاته
admin-search-transfers = ابحث عن التحويلات بالرمز أو باسم الملف أو بالمالك
admin-anonymous = مجهول
admin-not-live = غير متاح
admin-take-down = إزالة
error-signin-disabled = هذا الحساب معطّل. اسأل أحد مشرفي هذا الخادم.
admin-user-storage = { $used } مخزَّنة
signup-closed = التسجيل مغلق على هذا الخادم: ينشئ مشرفوه الحسابات. اطلب حسابًا من أحدهم ثم سجّل الدخول.
