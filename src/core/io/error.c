/*
 * The error record and status names shared by every module, in English and
 * Russian. Nothing here allocates, so errors can be reported when memory has
 * run out. The Russian form of a message is made where the English one is,
 * from the same arguments, by looking its template up in one table: the
 * modules keep raising errors in English as before, and every reader (the API
 * by Accept-Language, the CLI with --lang ru) picks its language at the end.
 */
#include "dms/error.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *text;
} status_table[] = {
    [DMS_OK] = {"ok", "success"},
    [DMS_EINVAL] = {"invalid_parameter", "invalid parameter"},
    [DMS_ENOMEM] = {"out_of_memory", "out of memory"},
    [DMS_ENUMERIC] = {"numerical_failure", "numerical method failed"},
    [DMS_EPARSE] = {"parse_error", "malformed input"},
    [DMS_EIO] = {"io_error", "input/output error"},
    [DMS_ENOTFOUND] = {"not_found", "not found"},
    [DMS_ECONFLICT] = {"conflict", "conflict with stored state"},
    [DMS_ETOOBIG] = {"too_large", "input or result too large"},
    [DMS_EFORBIDDEN] = {"forbidden", "not allowed for this caller"},
    [DMS_EUNAUTH] = {"unauthorized", "caller not identified"},
    [DMS_EINTERNAL] = {"internal_error", "internal error"},
    [DMS_EUNAVAILABLE] = {"unavailable", "temporarily unavailable"},
};

/* Same order as status_table, and as long: a status appended there without
 * its Russian text here reads NULL, which test_error_ru catches. */
static const char *const status_ru[sizeof status_table / sizeof status_table[0]] = {
    [DMS_OK] = "успешно",
    [DMS_EINVAL] = "неверный параметр",
    [DMS_ENOMEM] = "не хватило памяти",
    [DMS_ENUMERIC] = "численный метод не сошёлся",
    [DMS_EPARSE] = "ошибка в данных",
    [DMS_EIO] = "ошибка ввода-вывода",
    [DMS_ENOTFOUND] = "не найдено",
    [DMS_ECONFLICT] = "противоречит сохранённому состоянию",
    [DMS_ETOOBIG] = "слишком большие данные",
    [DMS_EFORBIDDEN] = "не разрешено для этого ключа",
    [DMS_EUNAUTH] = "ключ доступа не указан или неверен",
    [DMS_EINTERNAL] = "внутренняя ошибка",
    [DMS_EUNAVAILABLE] = "временно недоступно",
};

/*
 * English template -> Russian template. The key is the very format string the
 * code passes to dms_error_set (matched by content, so the messages stay where
 * they are raised). Both forms take the same arguments in the same order; the
 * test checks every pair's conversions. Messages without an entry still reach a
 * Russian reader through dms_error_message's fallback.
 */
static const struct {
    const char *en;
    const char *ru;
} ru_templates[] = {
    /* reading JSON */
    {"%s is larger than %u bytes", "%s больше %u байт"},
    {"'%.64s' is not a code: use lower-case latin letters, digits and '_', starting with a letter",
     "«%.64s» — не код: только строчные латинские буквы, цифры и «_», первая — буква"},
    {"'%.64s' is not one of %s", "«%.64s» — не одно из значений %s"},
    {"JSON nested deeper than %d levels", "JSON вложен глубже %d уровней"},
    {"JSON text of %zu bytes exceeds the limit of %u bytes",
     "текст JSON в %zu байт больше предела в %u байт"},
    {"NUL byte in JSON text", "нулевой байт в тексте JSON"},
    {"array has no element %zu", "в массиве нет элемента %zu"},
    {"expected %s, got %s", "ожидалось %s, получено %s"},
    {"expected a number in [%g, %g], got %g", "ожидалось число от %g до %g, получено %g"},
    {"expected a number, got %s", "ожидалось число, получено %s"},
    {"expected a string, got %s", "ожидалась строка, получено %s"},
    {"expected an array of %zu elements, got %zu",
     "ожидался массив из %zu элементов, получено %zu"},
    {"expected an array of %zu to %zu elements, got %zu",
     "ожидался массив из %zu–%zu элементов, получено %zu"},
    {"expected an array, got %s", "ожидался массив, получено %s"},
    {"expected an integer in [%lld, %lld], got %lld",
     "ожидалось целое число от %lld до %lld, получено %lld"},
    {"expected an integer, got %s", "ожидалось целое число, получено %s"},
    {"expected an object, got %s", "ожидался объект, получено %s"},
    {"expected true or false, got %s", "ожидалось true или false, получено %s"},
    {"invalid UTF-8 byte 0x%02X in JSON text", "неверный байт UTF-8 0x%02X в тексте JSON"},
    {"longer than %zu bytes", "длиннее %zu байт"},
    {"missing required key '%s'", "нет обязательного поля «%s»"},
    {"must not be empty", "не должно быть пустым"},
    {"must not contain NUL characters", "не должно содержать нулевых символов"},
    {"nesting deeper than %d levels", "вложенность глубже %d уровней"},
    {"no JSON document", "нет документа JSON"},
    {"no JSON text", "нет текста JSON"},
    {"unknown key '%s'", "неизвестное поле «%s»"},
    {"the body must be a JSON object", "тело запроса должно быть объектом JSON"},
    /* plans, policies and quotes */
    {"'%s' is not a date YYYY-MM-DD", "«%s» — не дата ГГГГ-ММ-ДД"},
    {"'%s' is not a relation (employee, spouse, child / сотрудник, супруг(а), ребёнок)",
     "«%s» — не степень родства (сотрудник, супруг(а), ребёнок)"},
    {"relation '%s' is not known (expected employee/сотрудник, spouse/супруг(а) or child/ребёнок)",
     "степень родства «%s» неизвестна (ожидается сотрудник, супруг(а) или ребёнок)"},
    {"age_max (%d) is below age_min (%d)", "age_max (%d) меньше age_min (%d)"},
    {"amounts are roubles with at most two decimals",
     "суммы — рубли, не больше двух знаков после запятой"},
    {"an option cannot name itself", "опция не может ссылаться на саму себя"},
    {"the window closes before it opens", "окно выбора закрывается раньше, чем открывается"},
    {"the window must close before the period ends",
     "окно выбора должно закрыться до конца периода страхования"},
    {"co-pay %g is not one the tariff allows", "соплатёж %g не входит в допустимые тарифом"},
    {"deductible %g is not one the tariff allows", "франшиза %g не входит в допустимые тарифом"},
    {"option code '%s' is used twice", "код опции «%s» использован дважды"},
    {"segment code '%s' is used twice", "код сегмента «%s» использован дважды"},
    {"an option cannot require and exclude '%s'",
     "опция не может одновременно требовать и исключать «%s»"},
    {"module '%s' is not in the model '%s'", "модуля «%s» нет в модели «%s»"},
    {"module '%s' is not in the tariff '%s'", "модуля «%s» нет в тарифе «%s»"},
    /* "%.0s" takes the word "tariff" or "model" and prints nothing. */
    {"module '%s' is not in the %s '%s'", "модуля «%s» нет%.0s в «%s»"},
    {"module '%s' is listed twice in this segment", "модуль «%s» указан в сегменте дважды"},
    {"network '%s' is not in the tariff", "сети клиник «%s» нет в тарифе"},
    {"network '%s' is not in the tariff (economy, standard, business, vip...)",
     "сети клиник «%s» нет в тарифе (economy, standard, business, vip...)"},
    {"no network: give one here or for the whole policy",
     "не указана сеть клиник: задайте её здесь или для всего полиса"},
    {"no segment of the policy takes employee '%s'",
     "ни один сегмент полиса не принимает сотрудника «%s»"},
    {"per-claim limit (%g) must exceed the deductible (%g)",
     "лимит на случай (%g) должен быть больше франшизы (%g)"},
    {"option '%s' can never be chosen: what it requires includes '%s', which is excluded by "
     "another requirement",
     "опцию «%s» нельзя выбрать: она требует «%s», а это исключено другим требованием"},
    {"segments come from the census column (segment_by \"column\"): a rule would be ignored",
     "сегменты берутся из столбца списка (segment_by \"column\"): правило было бы проигнорировано"},
    {"segments are chosen by the employee's data", "сегмент определяется данными сотрудника"},
    {"the period must end after it starts and last at most 3 years",
     "период должен заканчиваться после начала и длиться не больше 3 лет"},
    {"bad period start", "неверное начало периода"},
    {"the census has nobody in it", "в списке застрахованных никого нет"},
    {"at most %d modules", "не больше %d модулей"},
    {"unknown scenario", "неизвестный сценарий"},
    {"region '%s' is not in the tariff: priced as '%s'",
     "региона «%s» нет в тарифе: цена рассчитана как для «%s»"},
    {"no segment of the plan takes person %zu (employee '%s')",
     "ни один сегмент плана не принимает человека %zu (сотрудник «%s»)"},
    {"module '%s' or network '%s' is not in the tariff and model",
     "модуля «%s» или сети клиник «%s» нет в тарифе и модели"},
    {"'%.40s' names no option or module of the policy", "«%.40s» — не опция и не модуль полиса"},
    {"no employee '%s' in the census", "сотрудника «%s» нет в списке"},
    {"no employee '%.64s' in the census", "сотрудника «%.64s» нет в списке"},
    {"priorities are 0 to 5, not %d", "приоритет — от 0 до 5, а не %d"},
    {"priorities are 0 to 5", "приоритет — от 0 до 5"},
    {"the risk answer is 0 to %d", "ответ о риске — от 0 до %d"},
    {"ask for 1 to %d sets", "запросите от 1 до %d наборов"},
    {"at most %d options", "не больше %d опций"},
    {"no items", "нет позиций"},
    {"unknown life event", "неизвестное жизненное событие"},
    {"unknown status", "неизвестный статус"},
    {"no change", "нет изменений"},
    /* the picker's routes */
    {"alternatives must be 0..%d", "alternatives — от 0 до %d"},
    {"answers must be an array of at most %d", "answers — массив не длиннее %d"},
    {"census_csv must be the census CSV text", "census_csv — текст списка застрахованных в CSV"},
    {"date must be YYYY-MM-DD", "дата должна быть в формате ГГГГ-ММ-ДД"},
    {"default_priority must be a whole number 0..5", "default_priority — целое число от 0 до 5"},
    {"ids must be a non-empty array of election ids", "ids — непустой массив номеров выборов"},
    {"options must be an array of option codes", "options — массив кодов опций"},
    {"too many options", "слишком много опций"},
    {"option '%.40s' is not offered to you", "опция «%.40s» вам не предлагается"},
    {"sets must be 1 to %d arrays of option codes", "sets — от 1 до %d массивов кодов опций"},
    {"policy must be a policy object", "policy — объект полиса"},
    {"reason must be text under 200 bytes", "причина — текст короче 200 байт"},
    {"risk must be a whole number 0..%d: how much an unexpected 50,000 RUB bill would trouble you "
     "(0 not at all, 1 somewhat, 2 a lot, 3 seriously)",
     "риск — целое число от 0 до %d: насколько вас затруднил бы неожиданный счёт на 50 000 "
     "₽ "
     "(0 — нисколько, 1 — немного, 2 — сильно, 3 — очень сильно)"},
    {"status must be draft, submitted, accepted, issued or rejected",
     "статус — черновик, отправлен, принят, оформлен или отклонён (draft, submitted, accepted, "
     "issued, rejected)"},
    {"the election is %s (%s), only a draft (черновик) can be submitted",
     "выбор в статусе %s (%s), отправить можно только черновик"},
    {"top_up_limit must be roubles a year, 0 or more", "top_up_limit — рубли в год, 0 или больше"},
    {"to must be accepted, issued or rejected (принята, оформлена, отклонена)",
     "новый статус — принят, оформлен или отклонён (accepted, issued, rejected)"},
    {"a manager sees only their own department (%.100s)",
     "руководитель видит только своё подразделение (%.100s)"},
    {"an option code must be a string", "код опции должен быть строкой"},
    {"code must be an option or module code", "code — код опции или модуля"},
    {"no corporate tariff with its model is loaded (--tariffs, --models)",
     "не загружен корпоративный тариф с моделью (--tariffs, --models)"},
    {"no department '%.100s' in the census", "подразделения «%.100s» нет в списке"},
    {"no election '%.64s'", "выбора «%.64s» нет"},
    {"no such election", "такого выбора нет"},
    {"no store", "нет хранилища"},
    {"the service runs without --db", "сервис запущен без --db"},
    {"unknown key '%.64s'/%.200s", "неизвестное поле «%.64s»/%.200s"},
    /* the router, keys and the store */
    {"no model '%s' is loaded (GET /v1/models)", "модель «%s» не загружена (GET /v1/models)"},
    {"no tariff '%s' is loaded (GET /v1/tariffs)", "тариф «%s» не загружен (GET /v1/tariffs)"},
    {"no route", "нет такого адреса"},
    {"role %s may not %s %s", "роли %s нельзя %s %s"},
    {"an API key is required: send 'Authorization: Bearer KEY' (create one with dmsrate keys "
     "create)",
     "нужен ключ доступа: передайте «Authorization: Bearer КЛЮЧ» (создаётся командой dmsrate keys "
     "create)"},
    {"the service runs without --db, so no API key is known",
     "сервис запущен без --db, ключи доступа неизвестны"},
    {"the API key has an unknown role", "у ключа доступа неизвестная роль"},
    {"the API key is malformed (expected dms_ and 64 hex digits)",
     "ключ доступа искажён (ожидается dms_ и 64 шестнадцатеричные цифры)"},
    {"unknown or revoked API key", "ключ доступа неизвестен или отозван"},
    {"employee %.64s falls into no segment of the policy",
     "сотрудник %.64s не попадает ни в один сегмент полиса"},
    {"the census has no employee", "в списке нет сотрудников"},
    {"employee '%.64s' has no election yet", "у сотрудника «%.64s» ещё нет выбора"},
    {"no election %ld", "выбора %ld нет"},
    {"no employer policy and census imported yet (dmsrate enrol import, or POST /v1/employer)",
     "полис работодателя и список ещё не загружены (dmsrate enrol import или POST /v1/employer)"},
    {"the body is larger than the limit of %zu bytes", "тело запроса больше предела в %zu байт"},
    {"no route for %.200s", "нет такого адреса: %.200s"},
    {"%.15s is not allowed on %.200s; allowed: %s",
     "метод %.15s не разрешён для %.200s; разрешены: %s"},
    {"Content-Type '%.100s' is not accepted here; send application/json",
     "Content-Type «%.100s» здесь не принимается; отправьте application/json"},
    {"the body has %llu bytes, more than the limit of %zu",
     "в теле запроса %llu байт, больше предела в %zu"},
    {"column '%s' holds diagnoses or names: it is dropped and never stored",
     "столбец «%s» содержит диагнозы или ФИО: он отброшен и нигде не хранится"},
    {"out of memory", "не хватило памяти"},
    {"no memory", "не хватило памяти"},
    /* the catalog of tariffs and models */
    {"%s: cannot open the folder: %s", "%s: не удалось открыть папку: %s"},
    {"%s: more than %d JSON files", "%s: больше %d файлов JSON"},
    /* "%.0s" takes the word "tariff" or "model" and prints nothing. */
    {"no %s with id '%.64s'", "нет тарифа или модели%.0s с идентификатором «%.64s»"},
    {"no corporate tariff has its model loaded: tariff %s wants model version %s (give --models "
     "DIR)",
     "ни у одного корпоративного тарифа не загружена модель: тарифу %s нужна модель версии %s "
     "(укажите --models ПАПКА)"},
    {"the catalog has no corporate tariff (give --tariffs DIR)",
     "в каталоге нет корпоративного тарифа (укажите --tariffs ПАПКА)"},
    {"the catalog is empty: no model and no corporate tariff files were found (give --tariffs DIR "
     "and --models DIR)",
     "каталог пуст: не найдено ни файлов моделей, ни корпоративных тарифов (укажите --tariffs "
     "ПАПКА и --models ПАПКА)"},
    {"no bank card tariff '%s' is loaded (GET /v1/tariffs)",
     "банковский тариф «%s» не загружен (GET /v1/tariffs)"},
    {"the model '%s' of tariff '%s' is not loaded", "модель «%s» тарифа «%s» не загружена"},
    /* limits of work per request */
    {"sims must be at most %zu on this service, got %zu",
     "sims на этом сервисе — не больше %zu, получено %zu"},
    {"span must be positive or null", "span должен быть положительным или null"},
    /* "%s" is " by Panjer" or "": dropped with "%.0s". */
    {"the grid would need %zu points, more than the %zu this service computes%s; choose a larger "
     "span or the fft or mc method",
     "сетке нужно %zu точек, больше %zu, которые считает этот сервис%.0s; выберите больший span "
     "или метод fft или mc"},
    {"work limit max_draws: sims x (1 + mean claims) = %.3g random draws, more than the %.3g this "
     "service computes per request; lower sims or use the panjer or fft method",
     "предел работы max_draws: sims × (1 + среднее число случаев) = %.3g случайных розыгрышей, "
     "больше %.3g, которые этот сервис считает за запрос; уменьшите sims или выберите метод "
     "panjer или fft"},
    {"work limit max_grid_ops: Panjer on %zu grid points takes up to %.3g operations, more than "
     "the %.3g this service computes per request; choose a larger span or the fft or auto method",
     "предел работы max_grid_ops: метод Панджера на %zu точках сетки требует до %.3g операций, "
     "больше %.3g, которые этот сервис считает за запрос; выберите больший span или метод fft "
     "или auto"},
    {"work limit max_quote_cells: %zu people x %zu modules = %.3g, more than the %.3g this service "
     "rates per request; split the census",
     "предел работы max_quote_cells: %zu человек × %zu модулей = %.3g, больше %.3g, которые этот "
     "сервис рассчитывает за запрос; разделите список застрахованных"},
    {"a budget run prices the whole design space: at most %d people per request (use dmsrate "
     "budget for larger groups)",
     "подбор под бюджет оценивает все варианты программы: не больше %d человек в запросе (для "
     "больших групп — dmsrate budget)"},
    {"give the census once: \"census\" (JSON people) or \"census_csv\" (CSV text as HR exports it)",
     "передайте список застрахованных один раз: \"census\" (люди в JSON) или \"census_csv\" "
     "(текст CSV, как его выгружает отдел кадров)"},
    {"no result and no reason", "нет ни результата, ни причины"},
    {"no report and no reason", "нет ни отчёта, ни причины"},
    /* the router and the service */
    {"metrics are not available", "метрики недоступны"},
    {"reload is not available", "перезагрузка недоступна"},
    {"no employer %ld", "работодателя %ld нет"},
    {"no employer %.20s", "работодателя %.20s нет"},
    {"no employer", "работодатель не указан"},
    {"no employer: a %s key names one in the path, /v1/employers/{id}%s",
     "работодатель не указан: ключ роли %s называет его в адресе, /v1/employers/{id}%s"},
    {"no key %.20s", "ключа %.20s нет"},
    {"no key %ld", "ключа %ld нет"},
    {"cannot start the scheduler thread", "не удалось запустить поток планировщика"},
    {"'%.64s' is not an IPv4 address", "«%.64s» — не адрес IPv4"},
    {"--listen: '%.64s' is not an IPv4 address such as 127.0.0.1",
     "--listen: «%.64s» — не адрес IPv4 вида 127.0.0.1"},
    {"--listen: '%.64s' must be HOST:PORT", "--listen: «%.64s» должен иметь вид ХОСТ:ПОРТ"},
    {"--listen: port '%.16s' must be 0..65535", "--listen: порт «%.16s» должен быть от 0 до 65535"},
    {"--threads must be 1..256, got %u", "--threads — от 1 до 256, получено %u"},
    {"cannot listen on %s:%u (address in use or not available)",
     "не удалось слушать %s:%u (адрес занят или недоступен)"},
    {"cannot start the HTTP workers", "не удалось запустить обработчики HTTP"},
    {"cannot start the accept thread", "не удалось запустить поток приёма соединений"},
    /* the accept gate's framing rules, for a later request of a kept connection */
    {"the request headers are larger than the limit (32 KiB)",
     "заголовки запроса больше предела (32 КиБ)"},
    {"only HTTP/1.0 and HTTP/1.1 are served", "обслуживаются только HTTP/1.0 и HTTP/1.1"},
    {"the request headers hold a control character",
     "в заголовках запроса есть управляющий символ"},
    {"send the body with Content-Length; Transfer-Encoding is not accepted",
     "передайте тело с Content-Length; Transfer-Encoding не принимается"},
    {"Content-Length must be a whole number", "Content-Length должен быть целым числом"},
    {"the declared Content-Length is far over the body limit",
     "заявленный Content-Length намного больше предела тела запроса"},
    {"conflicting Content-Length headers", "заголовки Content-Length противоречат друг другу"},
    {"an HTTP/1.1 request needs a Host header", "запросу HTTP/1.1 нужен заголовок Host"},
    {"more than %u requests a minute to the pricing routes with this key; retry after %u s",
     "больше %u запросов в минуту к расчётам с этим ключом; повторите через %u с"},
    {"the body limit must be at least 1024 bytes",
     "предел тела запроса должен быть не меньше 1024 байт"},
    {"the database cannot be reached", "база данных недоступна"},
    {"the database cannot be read", "базу данных не удаётся прочитать"},
    {"the database file is missing", "файла базы данных нет"},
    {"the database file is not an SQLite database", "файл базы данных — не база SQLite"},
    {"the database file was replaced since start", "файл базы данных заменён после запуска"},
    {"the open-file limit (ulimit -n %llu) leaves no room for connections",
     "предел открытых файлов (ulimit -n %llu) не оставляет места для соединений"},
    {"the request took longer than the %g s this service computes for one request; ask for less "
     "work",
     "запрос считался дольше %g с, отведённых сервисом на один запрос; запросите меньше работы"},
    {"the service holds as many request bodies as it may (%zu bytes); retry shortly",
     "сервис уже держит столько тел запросов, сколько может (%zu байт); повторите чуть позже"},
    {"the service is stopping; retry shortly", "сервис останавливается; повторите чуть позже"},
    /* the web folder */
    {"%.200s is larger than %u bytes", "%.200s больше %u байт"},
    {"%.200s leads outside the web folder", "%.200s ведёт за пределы веб-папки"},
    {"a backslash is not allowed", "обратная косая черта не допускается"},
    {"an encoded NUL, slash or backslash is not allowed",
     "закодированные нулевой байт, косая или обратная косая черта не допускаются"},
    {"cannot open %.200s", "не удалось открыть %.200s"},
    {"cannot read %.200s", "не удалось прочитать %.200s"},
    {"dot segments and hidden files are not served",
     "сегменты с точкой и скрытые файлы не отдаются"},
    {"empty path segment", "пустой сегмент пути"},
    {"malformed %%-escape in the path", "искажённая %%-последовательность в пути"},
    {"no file %.200s", "файла %.200s нет"},
    {"no web folder is configured", "веб-папка не задана"},
    {"the path is too long", "путь слишком длинный"},
    {"the path must start with '/'", "путь должен начинаться с «/»"},
    {"the web folder is missing", "веб-папки нет"},
    /* the finance, register, reimbursement and tenant routes */
    {"'%.64s' must be a string", "«%.64s» должно быть строкой"},
    {"'%.64s' has the wrong type", "у «%.64s» неверный тип"},
    {"unknown key '%.64s'", "неизвестное поле «%.64s»"},
    {"unknown key '%.64s' in the contract", "неизвестное поле договора «%.64s»"},
    {"cannot read the statement", "не удалось прочитать выписку"},
    {"payer_inn is 10 or 12 digits", "payer_inn — 10 или 12 цифр"},
    {"today is a date YYYY-MM-DD", "today — дата ГГГГ-ММ-ДД"},
    {"priority must be a whole number 0..5", "приоритет — целое число от 0 до 5"},
    {"birth_date is YYYY-MM-DD", "birth_date — дата ГГГГ-ММ-ДД"},
    {"offset is a whole number, limit 0 to %d (one page)",
     "offset — целое число, limit — от 0 до %d (одна страница)"},
    {"relation is employee, spouse or child",
     "relation — сотрудник, супруг(а) или ребёнок (employee, spouse, child)"},
    {"the service has no date of today", "сервису неизвестна сегодняшняя дата"},
    {"no date today", "сегодняшняя дата неизвестна"},
    {"approved_amount is roubles as text, \"4000.00\"",
     "approved_amount — рубли текстом, \"4000.00\""},
    {"employee_id names the employee the request is for",
     "employee_id — сотрудник, для которого заявление"},
    {"no document '%.32s' on request %ld", "документа «%.32s» в заявлении %ld нет"},
    {"no request '%.32s'", "заявления «%.32s» нет"},
    {"to is review, documents_requested, approved, paid or rejected",
     "новый статус — на проверке, запрошены документы, одобрено, выплачено или отклонено (review, "
     "documents_requested, approved, paid, rejected)"},
    {"version is a whole number", "version — целое число"},
    {"a manager sees only their own department", "руководитель видит только своё подразделение"},
    {"at most %d limits", "не больше %d лимитов"},
    {"'%.64s': expected \"name\" and \"inn\" strings",
     "«%.64s»: ожидались строки \"name\" и \"inn\""},
    {"the body must be a JSON object {\"name\", \"inn\"}",
     "тело запроса должно быть объектом JSON {\"name\", \"inn\"}"},
    /* the cabinet: contract, accruals, acts, reimbursements */
    {"a programme code, 1 to 63 bytes", "код программы — от 1 до 63 байт"},
    {"at most %d programmes", "не больше %d программ"},
    {"rates are required", "нужны тарифные ставки (rates)"},
    {"rates is an object: programme -> annual premium in roubles",
     "rates — объект: программа -> годовая премия в рублях"},
    {"schedule is required: monthly or quarterly",
     "нужен график платежей (schedule): monthly или quarterly"},
    {"the contract must be a JSON object", "договор должен быть объектом JSON"},
    {"cannot write the act", "не удалось записать акт"},
    {"the comment is at most 1023 bytes", "комментарий — не больше 1023 байт"},
    {"the diagnosis is under 256 bytes", "диагноз — короче 256 байт"},
    {"programmes NULL with nprogrammes > 0", "программы не переданы, а nprogrammes > 0"},
    /* the store */
    {"a stored claim line is invalid", "сохранённая строка реестра убытков повреждена"},
    {"the employer is empty", "работодатель не указан"},
    {"the policy year must be 2000..2100, got %d",
     "год полиса должен быть от 2000 до 2100, получено %d"},
    {"%s: cannot open the database: %s", "%s: не удалось открыть базу данных: %s"},
    {"checkpoint of the write-ahead log: %s", "контрольная точка журнала предзаписи: %s"},
    {"dms_store_checkpoint: NULL store", "dms_store_checkpoint: хранилище не задано"},
    {"%s: database schema version %d is newer than this build (%d)",
     "%s: версия схемы базы данных %d новее этой сборки (%d)"},
    {"%s: integrity check: %s", "%s: проверка целостности: %s"},
    {"the database URI is too long", "адрес базы данных слишком длинный"},
    {"bad census", "ошибка в списке застрахованных"},
    {"no store to check the API key against", "нет хранилища, чтобы проверить ключ доступа"},
    {"stored contract unreadable", "сохранённый договор не читается"},
    {"the policy has too many billing periods", "у полиса слишком много расчётных периодов"},
    {"an e-mail address, name@host", "адрес электронной почты, имя@хост"},
    {"no document %ld", "документа %ld нет"},
    {"the file name is under 256 bytes", "имя файла — короче 256 байт"},
    {"a broker key serves at most %d employers",
     "ключ брокера обслуживает не больше %d работодателей"},
    {"an insurer key reaches every employer: no --employer",
     "ключ страховщика открывает всех работодателей: --employer не нужен"},
    {"expiry must be 1 to 3660 days", "срок действия — от 1 до 3660 дней"},
    {"key %ld is already revoked", "ключ %ld уже отозван"},
    {"key %ld is revoked: create a new one", "ключ %ld отозван: создайте новый"},
    {"no random bytes for a key: %s", "нет случайных байт для ключа: %s"},
    /* out of memory, by what was being built */
    {"out of memory building the membership", "не хватило памяти (состав застрахованных)"},
    {"no memory for %.200s", "не хватило памяти (%.200s)"},
    {"no memory for accruals", "не хватило памяти (начисления)"},
    {"no memory for an FFT of length %zu", "не хватило памяти для БПФ длины %zu"},
    {"no memory to price the options", "не хватило памяти для расчёта вариантов"},
    {"terms of a sum must lie on whole multiples of one span",
     "слагаемые суммы должны лежать на целых кратных одного шага сетки"},
    {"no memory for documents", "не хватило памяти (документы)"},
    {"no memory for exposure", "не хватило памяти (экспозиция)"},
    {"no memory for history", "не хватило памяти (история)"},
    {"no memory for invoices", "не хватило памяти (счета)"},
    {"no memory for payments", "не хватило памяти (платежи)"},
    {"no memory for the CSV report", "не хватило памяти (отчёт CSV)"},
    {"no memory for the act", "не хватило памяти (акт сверки)"},
    {"no memory for the book", "не хватило памяти (книга расчётов)"},
    {"no memory for the catalog", "не хватило памяти (каталог)"},
    {"no memory for the census", "не хватило памяти (список застрахованных)"},
    {"no memory for the contract", "не хватило памяти (договор)"},
    {"no memory for the document", "не хватило памяти (документ)"},
    {"no memory for the download", "не хватило памяти (выгрузка)"},
    {"no memory for the employer", "не хватило памяти (работодатель)"},
    {"no memory for the export", "не хватило памяти (экспорт)"},
    {"no memory for the list", "не хватило памяти (список)"},
    {"no memory for the log", "не хватило памяти (журнал)"},
    {"no memory for the offer", "не хватило памяти (предложение)"},
    {"no memory for the payroll", "не хватило памяти (удержания из зарплаты)"},
    {"no memory for the policy", "не хватило памяти (полис)"},
    {"no memory for the register check", "не хватило памяти (проверка реестра)"},
    {"no memory for the register", "не хватило памяти (реестр)"},
    {"no memory for the register's changes", "не хватило памяти (изменения реестра)"},
    {"no memory for the scheduler", "не хватило памяти (планировщик)"},
    {"no memory for the server", "не хватило памяти (сервер)"},
    {"no memory for the spans of cover", "не хватило памяти (периоды покрытия)"},
    {"no memory for the statement", "не хватило памяти (выписка)"},
    {"no memory for the store", "не хватило памяти (хранилище)"},
    /* long runs as jobs */
    {"cannot start a job", "не удалось запустить задание"},
    {"cannot start a job thread", "не удалось запустить поток задания"},
    {"no such job (jobs last 15 minutes after they end)",
     "такого задания нет (задания хранятся 15 минут после окончания)"},
    {"the job is already cancelled", "задание уже отменено"},
    {"the job is already over", "задание уже завершено"},
    /* English with a Russian hint in brackets: the full Russian sentence */
    {"%s: %s: the database is unavailable (база данных недоступна): %s",
     "%s: %s: база данных недоступна: %s"},
    {"%zu error(s) in the changes; nothing was applied",
     "ошибок в изменениях: %zu; ничего не применено"},
    {"a %s key belongs to one employer: give --employer ID (ключ привязан к одному работодателю)",
     "ключ роли %s привязан к одному работодателю: укажите --employer ID"},
    {"a manager key needs --department D (подразделение)",
     "ключу руководителя нужно подразделение: --department D"},
    {"a rejection or a request for documents says why (укажите причину или какие документы нужны)",
     "при отказе или запросе документов укажите причину или какие документы нужны"},
    {"action is прикрепить, открепить, приостановить or изменить программу (attach, detach, "
     "suspend, change_programme)",
     "действие — прикрепить, открепить, приостановить или изменить программу (attach, detach, "
     "suspend, change_programme)"},
    {"amount is roubles as text, \"1234.56\", above 0 (сумма)",
     "сумма (amount) — рубли текстом, \"1234.56\", больше нуля"},
    {"amount is roubles as text, \"4500.00\", above 0 (сумма)",
     "сумма (amount) — рубли текстом, \"4500.00\", больше нуля"},
    {"an approval names the amount approved, above 0 and at most the amount claimed (одобренная "
     "сумма: больше нуля и не больше заявленной)",
     "при одобрении укажите одобренную сумму: больше нуля и не больше заявленной"},
    {"an employee key needs --employee ID (табельный номер)",
     "ключу сотрудника нужен табельный номер: --employee ID"},
    {"an employer needs a name of 1 to %d bytes (название работодателя)",
     "название работодателя — от 1 до %d байт"},
    {"bad_document_type: the %s is truncated (файл обрезан)", "bad_document_type: файл %s обрезан"},
    {"bad_document_type: the content is not a PDF, JPEG or PNG, whatever the file is called (файл "
     "не PDF, JPEG или PNG по содержимому)",
     "bad_document_type: по содержимому файл не PDF, JPEG или PNG, как бы он ни назывался"},
    /* The first two arguments are the English names of the states. */
    {"bad_transition: a request %s cannot become %s (обращение в статусе «%s» нельзя перевести в "
     "«%s»)",
     "bad_transition: обращение%.0s%.0s в статусе «%s» нельзя перевести в «%s»"},
    {"date is YYYY-MM-DD (дата платежа)", "дата платежа (date) — ГГГГ-ММ-ДД"},
    {"documents are seen only by the employee and the insurer (документы видят только сотрудник и "
     "страховщик)",
     "документы видят только сотрудник и страховщик"},
    {"due_days is a whole number of days, 0 to 365 (срок оплаты)",
     "срок оплаты (due_days) — целое число дней от 0 до 365"},
    {"effective_date is a date YYYY-MM-DD (дата действия)",
     "дата действия (effective_date) — ГГГГ-ММ-ДД"},
    {"event must be birth (рождение ребёнка) or marriage (вступление в брак)",
     "событие — рождение ребёнка (birth) или вступление в брак (marriage)"},
    {"from and to are dates YYYY-MM-DD (период)", "период: from и to — даты ГГГГ-ММ-ДД"},
    {"from and to are dates YYYY-MM-DD, from <= to (период)",
     "период: from и to — даты ГГГГ-ММ-ДД, from не позже to"},
    {"no insured person with policy '%.64s' (полис не найден)",
     "застрахованного с полисом «%.64s» нет"},
    {"no invoice '%.40s' (счёт не найден)", "счёта «%.40s» нет"},
    {"no request %ld (обращение не найдено)", "обращения %ld нет"},
    {"number is the payment order's number (номер п/п)",
     "number — номер платёжного поручения (номер п/п)"},
    {"payer_inn is 10 or 12 digits (ИНН плательщика)",
     "ИНН плательщика (payer_inn) — 10 или 12 цифр"},
    {"request %ld is at version %ld, not %ld (обращение изменено)",
     "обращение %ld изменено: версия %ld, а не %ld"},
    {"request %ld takes no more documents (%s; к обращению нельзя приложить документы)",
     "к обращению %ld нельзя приложить документы (%s)"},
    {"schedule is monthly or quarterly (ежемесячно, ежеквартально)",
     "график платежей (schedule) — ежемесячно или ежеквартально (monthly, quarterly)"},
    {"service_date is YYYY-MM-DD (дата услуги)", "дата услуги (service_date) — ГГГГ-ММ-ДД"},
    {"status is included, suspended or excluded (включён, приостановлен, исключён)",
     "статус — включён, приостановлен или исключён (included, suspended, excluded)"},
    {"the API key has expired (срок действия ключа истёк): ask for a new one",
     "срок действия ключа доступа истёк: запросите новый"},
    {"the amount is above 0 and at most 10 000 000 roubles (сумма)",
     "сумма — больше нуля и не больше 10 000 000 рублей"},
    {"the amount must be above 0 (сумма должна быть больше нуля)", "сумма должна быть больше нуля"},
    {"the annual premium is roubles with at most two decimals, \"36500.00\", above 0 and at most "
     "10 000 000 (годовая премия на одного застрахованного)",
     "годовая премия на одного застрахованного — рубли, не больше двух знаков после запятой, "
     "\"36500.00\", больше нуля и не больше 10 000 000"},
    {"the clinic is named, under 256 bytes (медицинская организация)",
     "укажите медицинскую организацию, короче 256 байт"},
    {"the contract has no premium for programme '%.64s' (policy %.64s; в договоре нет тарифа "
     "программы)",
     "в договоре нет тарифа программы «%.64s» (полис %.64s)"},
    {"the document is empty (пустой файл)", "пустой файл"},
    {"the document is over %zu MiB", "файл больше %zu МБ"},
    {"the employee's табельный номер is required", "нужен табельный номер сотрудника"},
    {"the employer has no contract terms yet: set them with dmsrate finance contract (у "
     "работодателя не заданы условия договора)",
     "у работодателя не заданы условия договора: задайте их командой dmsrate finance contract"},
    {"the employer has no policy yet: import its policy and census first (dmsrate enrol import; у "
     "работодателя нет полиса)",
     "у работодателя нет полиса: сначала загрузите полис и список застрахованных (dmsrate enrol "
     "import)"},
    {"the payer's INN %.16s is not the policyholder's %.16s (ИНН плательщика не совпадает со "
     "страхователем)",
     "ИНН плательщика %.16s не совпадает с ИНН страхователя %.16s"},
    {"the period of the act ends before it begins (конец периода раньше начала)",
     "период акта заканчивается раньше, чем начинается"},
    {"the person changed meanwhile: version %ld, not %ld; reload and try again (запись изменена, "
     "обновите)",
     "запись изменена: версия %ld, а не %ld; обновите и повторите"},
    {"the policy period must run forward and last at most 3 years (период полиса: не более 3 лет)",
     "период полиса должен заканчиваться после начала и длиться не больше 3 лет"},
    {"the retro window is 0 to 3660 days (окно задним числом)",
     "окно изменений задним числом — от 0 до 3660 дней"},
    {"the service date is not after today and at most 3 years back (дата услуги)",
     "дата услуги — не позже сегодняшней и не раньше чем 3 года назад"},
    {"unknown service category (АПП, Стоматология, Скорая помощь, Стационар, ...; неизвестная "
     "категория услуги)",
     "неизвестная категория услуги (АПП, Стоматология, Скорая помощь, Стационар, ...)"},
    {"ИНН must be 10 digits (organisation) or 12 (individual): '%.20s'",
     "ИНН — 10 цифр (организация) или 12 (физическое лицо): «%.20s»"},
    /* CLI commands */
    {"--today is YYYY-MM-DD", "--today — дата ГГГГ-ММ-ДД"},
    {"--date is YYYY-MM-DD", "--date — дата ГГГГ-ММ-ДД"},
    {"--amount is roubles above 0 with at most two decimals",
     "--amount — сумма в рублях больше 0, не больше двух знаков после запятой"},
    {"%zu error(s); nothing was imported", "ошибок: %zu; ничего не загружено"},
    {"%zu error(s); nothing was applied", "ошибок: %zu; ничего не применено"},
    {"cannot read %s", "не удалось прочитать %s"},
    {"cannot write %s", "не удалось записать %s"},
    {"--from and --to are YYYY-MM-DD, from <= to",
     "--from и --to — даты ГГГГ-ММ-ДД, --from не позже --to"},
    {"--from and --to are YYYY-MM-DD", "--from и --to — даты ГГГГ-ММ-ДД"},
    {"--status is включён, приостановлен or исключён",
     "--status — включён, приостановлен или исключён"},
    /* credibility */
    {"the probability p of the full-credibility standard must be in (0, 1), got %g",
     "вероятность p стандарта полного доверия должна быть в интервале (0, 1), получено %g"},
    {"the tolerance k of the full-credibility standard must be positive, got %g",
     "допуск k стандарта полного доверия должен быть положительным, получено %g"},
    {"the coefficient of variation of severity must be >= 0, got %g",
     "коэффициент вариации размера убытка должен быть >= 0, получено %g"},
    {"the claim count must be >= 0, got %g", "число убытков должно быть >= 0, получено %g"},
    {"the full-credibility standard must be positive, got %g",
     "стандарт полного доверия должен быть положительным, получено %g"},
    {"the weight must be >= 0, got %g", "вес должен быть >= 0, получено %g"},
    {"the credibility constant k = s2/a must be positive, got %g",
     "константа доверия k = s2/a должна быть положительной, получено %g"},
    {"Bühlmann–Straub needs at least 2 risks and 1 period, got %zu x %zu",
     "для модели Бюльмана–Штрауба нужны не меньше 2 рисков и 1 периода, получено %zu x %zu"},
    {"unknown estimation method %d", "неизвестный метод оценки %d"},
    {"a weight must be >= 0, got %g", "вес должен быть >= 0, получено %g"},
    {"a ratio with a positive weight must be finite",
     "показатель с положительным весом должен быть конечным числом"},
    {"risk %zu has no positive weight", "у риска %zu нет положительного веса"},
    {"Bühlmann–Straub needs more observed periods than risks to estimate the within variance (%zu "
     "cells, %zu risks)",
     "для оценки внутренней дисперсии по Бюльману–Штраубу наблюдаемых периодов должно быть больше, "
     "чем рисков (ячеек: %zu, рисков: %zu)"},
    {"the Bichsel–Straub iteration did not converge", "итерации Бихселя–Штрауба не сошлись"},
    {"no memory for the JSON report", "не хватило памяти для отчёта JSON"},
    /* aggregate claims distribution */
    {"annual limit must be a positive number of roubles, got %g",
     "годовой лимит должен быть положительной суммой в рублях, получено %g"},
    {"method must be auto, panjer, fft or mc", "метод — auto, panjer, fft или mc"},
    {"discretization must be rounding or moment", "дискретизация — rounding или moment"},
    {"span must be a positive number of roubles (or 0 for automatic), got %g",
     "шаг сетки должен быть положительной суммой в рублях (или 0 — подобрать автоматически), "
     "получено %g"},
    {"span divisor must be in [0, 10000], got %g",
     "делитель шага должен быть от 0 до 10000, получено %g"},
    {"sims must be at most %d, got %zu", "число симуляций — не больше %d, получено %zu"},
    {"span %g is coarser than half the range of S (%.6g); use at most %.6g",
     "шаг %g грубее половины диапазона S (%.6g); задайте не больше %.6g"},
    {"span %g needs %.0f grid points (at most %zu); use at least %.6g",
     "шагу %g нужно %.0f точек сетки (допустимо не больше %zu); задайте не меньше %.6g"},
    {"the range of S is not finite", "диапазон S не конечен"},
    {"no memory for %zu grid points", "не хватило памяти для %zu точек сетки"},
    {"no memory to price %zu specs", "не хватило памяти для расчёта %zu распределений"},
    {"the computation was cancelled", "расчёт отменён"},
    {"no memory for %zu simulations", "не хватило памяти для %zu симуляций"},
    {"--freq: required (e.g. --freq poisson:3)",
     "--freq: обязательный параметр (например, --freq poisson:3)"},
    {"--sev: required (e.g. --sev lognormal:8,0.9)",
     "--sev: обязательный параметр (например, --sev lognormal:8,0.9)"},
    {"deductible must be a number of roubles in [0, 1e9], got %g",
     "франшиза должна быть суммой в рублях от 0 до 1e9, получено %g"},
    {"co-pay must be a share in [0, 1), got %g",
     "соплатёж должен быть долей в интервале [0, 1), получено %g"},
    {"frequency family must be poisson or negbin", "распределение частоты — poisson или negbin"},
    {"frequency mean must be a number in [0, %g], got %g",
     "средняя частота должна быть числом от 0 до %g, получено %g"},
    {"negative binomial size must be a number in (0, 1e12], got %g",
     "параметр size отрицательного биномиального распределения должен быть в интервале (0, 1e12], "
     "получено %g"},
    {"lognormal meanlog must be a number in [-%g, %g], got %g",
     "meanlog логнормального распределения должен быть числом от -%g до %g, получено %g"},
    {"lognormal sdlog must be in (0, %g], got %g",
     "sdlog логнормального распределения должен быть в интервале (0, %g], получено %g"},
    {"lognormal second moment exp(2(meanlog + sdlog^2)) overflows",
     "второй момент логнормального распределения exp(2(meanlog + sdlog^2)) переполняется"},
    {"gamma shape must be in (0, 1e6], got %g",
     "параметр формы гамма-распределения должен быть в интервале (0, 1e6], получено %g"},
    {"gamma scale must be in (0, 1e12], got %g",
     "параметр масштаба гамма-распределения должен быть в интервале (0, 1e12], получено %g"},
    {"gamma mean shape*scale must not exceed 1e12 roubles",
     "среднее гамма-распределения shape*scale не должно превышать 1e12 рублей"},
    {"severity family must be lognormal or gamma",
     "распределение размера убытка — lognormal или gamma"},
    {"%s '%s' must look like FAMILY:NUMBER[,NUMBER]",
     "%.0sраспределение «%s» должно иметь вид СЕМЕЙСТВО:ЧИСЛО[,ЧИСЛО]"},
    {"%s '%s' has more than %d numbers", "%.0sв распределении «%s» больше %d чисел"},
    {"%s '%s': expected a number after '%s'", "%.0sраспределение «%s»: после «%s» ожидалось число"},
    {"%s '%s': '%s' is not a finite number", "%.0sраспределение «%s»: «%s» — не конечное число"},
    {"frequency '%s': expected poisson:MEAN or negbin:MEAN,SIZE",
     "частота «%s»: ожидалось poisson:СРЕДНЕЕ или negbin:СРЕДНЕЕ,SIZE"},
    {"severity '%s': expected lognormal:MEANLOG,SDLOG or gamma:SHAPE,SCALE",
     "размер убытка «%s»: ожидалось lognormal:MEANLOG,SDLOG или gamma:SHAPE,SCALE"},
    {"span must be a positive number, got %g",
     "шаг сетки должен быть положительным числом, получено %g"},
    {"a lattice needs at least one point", "в сетке должна быть хотя бы одна точка"},
    {"FFT of length %zu failed", "БПФ длины %zu не удалось"},
    {"inverse FFT of length %zu failed", "обратное БПФ длины %zu не удалось"},
    {"FFT length %zu is not a power of two >= 2", "длина БПФ %zu — не степень двойки >= 2"},
    {"no memory for a convolution of %zu points", "не хватило памяти для свёртки из %zu точек"},
    {"Panjer recursion needs non-empty lattices", "для рекурсии Панджера нужны непустые сетки"},
    {"rebinning needs a positive span", "для пересчёта на другую сетку нужен положительный шаг"},
    {"rebinning to span %g needs too many points",
     "для пересчёта на шаг %g нужно слишком много точек"},
    {"no memory to rebin %zu points", "не хватило памяти для пересчёта %zu точек"},
    {"a sum needs at least one term", "в сумме должно быть хотя бы одно слагаемое"},
    {"terms of a sum must share one span", "у слагаемых суммы должен быть один шаг сетки"},
    {"the sum needs %zu points", "для суммы нужно %zu точек"},
    {"no memory for a sum of %zu points", "не хватило памяти для суммы из %zu точек"},
    {"no memory for a capped distribution", "не хватило памяти для распределения с лимитом"},
    {"no memory for the group distribution", "не хватило памяти для распределения по группе"},
    {"no memory for a quote", "не хватило памяти для котировки"},
    {"no memory for the region table", "не хватило памяти для таблицы регионов"},
    {"no memory for rating cells", "не хватило памяти для тарифных ячеек"},
    {"no memory for cell totals", "не хватило памяти для итогов по ячейкам"},
    {"no memory for the quote report", "не хватило памяти для отчёта по котировке"},
    /* census */
    {"out of memory reading the census", "не хватило памяти при чтении списка застрахованных"},
    {"%s is not valid UTF-8 text (save the file as UTF-8, not Windows-1251)",
     "%s — не текст в UTF-8 (сохраните файл в UTF-8, а не в Windows-1251)"},
    {"employee_id (Табельный номер) is empty: every row needs the employee's personnel number",
     "не заполнен табельный номер (employee_id): в каждой строке нужен табельный номер сотрудника"},
    {"sex '%s' is not known (expected M/F or М/Ж)", "пол «%s» неизвестен (ожидается М/Ж или M/F)"},
    {"region (Регион) is empty: give the city or region where the person is served",
     "не заполнен регион (region): укажите город или регион, где человека обслуживают"},
    {"work mode '%s' is not known (expected office/офис, remote/удалённо, field/разъездной, "
     "hybrid/гибрид or empty)",
     "режим работы «%s» неизвестен (ожидается офис, удалённо, разъездной, гибрид или пусто)"},
    {"employee_id '%s' already belongs to the employee at %s/%zu: each employee has exactly one "
     "row",
     "табельный номер «%s» уже принадлежит сотруднику в %s/%zu: у каждого сотрудника ровно одна "
     "строка"},
    {"employee_id '%s' already belongs to the employee on line %d: each employee has exactly one "
     "row",
     "табельный номер «%s» уже принадлежит сотруднику в строке %d: у каждого сотрудника ровно одна "
     "строка"},
    {"no employee row with employee_id '%s' for this %s: family members carry their employee's "
     "personnel number",
     "нет строки сотрудника с табельным номером «%s» для этого члена семьи%.0s: у членов семьи "
     "указывается табельный номер их сотрудника"},
    {"column %zu has no name in the header line (expected one of: employee_id/Табельный номер, "
     "relation/Связь, birth_date/Дата рождения, sex/Пол, region/Регион, department/Подразделение, "
     "segment/Сегмент, work_mode/Режим работы)",
     "у столбца %zu нет названия в строке заголовка (ожидается одно из: Табельный номер, Связь, "
     "Дата рождения, Пол, Регион, Подразделение, Сегмент, Режим работы)"},
    {"the header is not valid UTF-8 text (save the file as UTF-8, not Windows-1251)",
     "заголовок — не текст в UTF-8 (сохраните файл в UTF-8, а не в Windows-1251)"},
    {"unknown column '%s' (expected: employee_id/Табельный номер, relation/Связь, birth_date/Дата "
     "рождения, sex/Пол, region/Регион, department/Подразделение, segment/Сегмент, work_mode/Режим "
     "работы)",
     "неизвестный столбец «%s» (ожидаются: Табельный номер, Связь, Дата рождения, Пол, Регион, "
     "Подразделение, Сегмент, Режим работы)"},
    {"column '%s' repeats %s (%s), already in column %d",
     "столбец «%s» повторяет %s (%s), уже заданный в столбце %d"},
    {"the required column %s (%s) is missing from the header",
     "в заголовке нет обязательного столбца %s (%s)"},
    {"the census is larger than %zu MB", "список застрахованных больше %zu МБ"},
    {"the census is empty: expected a header line with the columns employee_id, relation, "
     "birth_date, sex, region",
     "список застрахованных пуст: ожидается строка заголовка со столбцами employee_id, relation, "
     "birth_date, sex, region (Табельный номер, Связь, Дата рождения, Пол, Регион)"},
    {"this row has %zu fields but the header has %zu (a missing or extra '%c', or a value "
     "containing '%c' without quotes?)",
     "в строке %zu полей, а в заголовке %zu (пропущен или лишний «%c» или значение с «%c» без "
     "кавычек?)"},
    {"unknown key '%s' (expected: employee_id, relation, birth_date, sex, region, department, "
     "segment, work_mode)",
     "неизвестное поле «%s» (ожидаются: employee_id, relation, birth_date, sex, region, "
     "department, segment, work_mode)"},
    {"%s must be a string or an integer", "%s должно быть строкой или целым числом"},
    {"%s must be a string", "%s должно быть строкой"},
    {"%s must be a string or null", "%s должно быть строкой или null"},
    {"missing required key '%s' (%s)", "нет обязательного поля «%s» (%s)"},
    {"invalid JSON: %s", "неверный JSON: %s"},
    {"unknown key '%s' (the census object has only \"people\")",
     "неизвестное поле «%s» (в объекте списка застрахованных есть только \"people\")"},
    {"missing key \"people\" (an array of person objects)",
     "нет поля \"people\" (массив объектов-застрахованных)"},
    {"expected an array of person objects, or an object {\"people\": [...]}",
     "ожидался массив объектов-застрахованных или объект {\"people\": [...]}"},
    {"expected a person object {...}", "ожидался объект застрахованного {...}"},
    /* claims register */
    {"column %zu has no name in the header line (expected: %s)",
     "у столбца %zu нет названия в строке заголовка (ожидаются: %s)"},
    {"unknown column '%s' (expected: %s)", "неизвестный столбец «%s» (ожидаются: %s)"},
    {"%s is not valid UTF-8 text", "%s — не текст в UTF-8"},
    {"%s (%s) is empty", "не заполнено %s (%s)"},
    {"unknown service category '%s' (expected e.g. АПП / outpatient, Стоматология / dental, Скорая "
     "помощь / emergency, Экстренная госпитализация, Плановая госпитализация, Помощь на дому, "
     "Телемедицина, Чек-ап, Психологическая поддержка)",
     "неизвестная категория услуги «%s» (ожидается, например, АПП, Стоматология, Скорая помощь, "
     "Экстренная госпитализация, Плановая госпитализация, Помощь на дому, Телемедицина, Чек-ап, "
     "Психологическая поддержка)"},
    {"unknown relation '%s' (employee/сотрудник, spouse/супруг(а), child/ребёнок)",
     "неизвестная степень родства «%s» (сотрудник, супруг(а), ребёнок)"},
    {"birth_date: %s", "дата рождения: %s"},
    {"service_date (Дата оказания услуги) is empty",
     "не заполнена дата оказания услуги (service_date)"},
    {"service_date: %s", "дата оказания услуги: %s"},
    {"visit_date: %s", "дата обращения: %s"},
    {"the visit date is after the service date", "дата обращения позже даты оказания услуги"},
    {"paid by the insurer (%lld.%02lld) plus co-pay (%lld.%02lld) exceeds the billed amount "
     "(%lld.%02lld)",
     "оплачено страховщиком (%lld,%02lld) вместе с соплатежом (%lld,%02lld) больше выставленной "
     "суммы (%lld,%02lld)"},
    {"unknown status '%s' (paid/оплачено, pending/к оплате, rejected/отказ, reversed/сторно)",
     "неизвестный статус «%s» (оплачено, к оплате, отказ, сторно)"},
    {"the register is larger than %zu MB", "реестр больше %zu МБ"},
    {"the register is empty: expected a header line with the columns %s",
     "реестр пуст: ожидается строка заголовка со столбцами %s"},
    {"the register has errors", "в реестре есть ошибки"},
    {"out of memory reading the register", "не хватило памяти при чтении реестра"},
    /* claims effectiveness, experience, membership, reports */
    {"no memory for the HR file", "не хватило памяти для файла кадровой службы"},
    {"the HR file has no header line", "в файле кадровой службы нет строки заголовка"},
    {"unknown column '%.*s': use employee_id, sick_days_before, sick_days_after, left",
     "неизвестный столбец «%.*s»: допустимы employee_id, sick_days_before, sick_days_after, left"},
    {"column '%.*s' is given twice", "столбец «%.*s» указан дважды"},
    {"the HR file needs employee_id", "в файле кадровой службы нужен столбец employee_id"},
    {"employee_id contains a NUL byte", "табельный номер (employee_id) содержит нулевой байт"},
    {"employee_id is empty", "не заполнен табельный номер (employee_id)"},
    {"left must be 1/0, yes/no or да/нет", "left — 1/0, да/нет или yes/no"},
    {"sick days must be a number from 0 to 366", "дни больничного — число от 0 до 366"},
    {"effectiveness: NULL input", "effectiveness: нет входных данных (NULL)"},
    {"the programme year is not set or ends before it starts",
     "год действия программы не задан или заканчивается раньше, чем начинается"},
    {"min_cell must be 1..1000", "min_cell — от 1 до 1000"},
    {"no memory for the effectiveness report", "не хватило памяти для отчёта об эффективности"},
    {"the experience period is not set or ends before it starts",
     "период наблюдения убытков не задан или заканчивается раньше, чем начинается"},
    {"the renewal period is not set or ends before it starts",
     "период пролонгации не задан или заканчивается раньше, чем начинается"},
    {"manual-rate factors must be positive",
     "поправочные коэффициенты к базовому тарифу должны быть положительными"},
    {"unknown credibility method %d", "неизвестный метод теории доверия %d"},
    {"Bühlmann–Straub needs k = s2/a > 0 (member-years), got %g",
     "для модели Бюльмана–Штрауба нужно k = s2/a > 0 (в застрахованных-годах), получено %g"},
    {"nobody in the membership history was insured during the experience period",
     "по истории прикреплений никто не был застрахован в периоде наблюдения"},
    {"module %s: the experience leaves no claims to price (factor %g x %g)",
     "модуль %s: после учёта собственной убыточности не остаётся убытков для расчёта (коэффициент "
     "%g x %g)"},
    {"out of memory encoding the experience",
     "не хватило памяти при записи результата по убыточности"},
    {"the membership history is too large", "история прикреплений слишком большая"},
    {"the membership history is empty: expected a header with employee_id, relation, birth_date, "
     "attach_date (Дата прикрепления)",
     "история прикреплений пуста: ожидается заголовок со столбцами employee_id, relation, "
     "birth_date, attach_date (Дата прикрепления)"},
    {"unknown column '%s' (expected: employee_id, relation, birth_date, attach_date, detach_date, "
     "sex, department, segment, policy_id, or their Russian names)",
     "неизвестный столбец «%s» (ожидаются: employee_id, relation, birth_date, attach_date, "
     "detach_date, sex, department, segment, policy_id или их русские названия)"},
    {"column '%s' repeats %s (%s)", "столбец «%s» повторяет %s (%s)"},
    {"this row has %zu fields but the header has %zu", "в строке %zu полей, а в заголовке %zu"},
    {"employee_id (Табельный номер) is empty", "не заполнен табельный номер (employee_id)"},
    {"unknown relation (employee/сотрудник, spouse/супруг(а), child/ребёнок)",
     "неизвестная степень родства (сотрудник, супруг(а), ребёнок)"},
    {"unknown sex (M/F or М/Ж)", "неизвестный пол (М/Ж или M/F)"},
    {"the detach date (Дата открепления) is before the attach date",
     "дата открепления раньше даты прикрепления"},
    {"the attach date is before the birth date", "дата прикрепления раньше даты рождения"},
    {"out of memory for suppression", "не хватило памяти для скрытия малых групп"},
    {"reports: NULL membership or options",
     "reports: нет истории прикреплений или параметров (NULL)"},
    {"the reporting period is not set or ends before it starts",
     "отчётный период не задан или заканчивается раньше, чем начинается"},
    {"the suppression threshold must be 1..1000, got %d",
     "порог скрытия малых групп — от 1 до 1000, получено %d"},
    {"the limit share must be in (0, 1], got %g",
     "доля лимита должна быть в интервале (0, 1], получено %g"},
    {"the premium per member-month must be >= 0",
     "премия на застрахованного в месяц должна быть >= 0"},
    {"reports: NULL output", "reports: нет места для результата (NULL)"},
    {"reports: NULL register", "reports: нет реестра убытков (NULL)"},
    {"out of memory computing a report", "не хватило памяти при расчёте отчёта"},
    {"a limit needs a module code and a positive amount",
     "для лимита нужны код модуля и положительная сумма"},
    {"reports: NULL name", "reports: нет названия отчёта (NULL)"},
    {"unknown report '%s' (insured, utilisation, expense, limits, clinics, loss_ratio)",
     "неизвестный отчёт «%s» (insured, utilisation, expense, limits, clinics, loss_ratio)"},
    {"out of memory encoding a report", "не хватило памяти при записи отчёта"},
    {"min_cell must be %d..1000: groups under %d people are never shown (got %ld)",
     "min_cell — от %d до 1000: группы меньше %d человек никогда не показываются (получено %ld)"},
    {"no memory for suppression", "не хватило памяти для скрытия малых групп"},
    {"suppression: total %zu out of range", "скрытие малых групп: итог %zu вне диапазона"},
    {"suppression: part %zu out of range", "скрытие малых групп: часть %zu вне диапазона"},
    {"suppression: link out of range", "скрытие малых групп: связь вне диапазона"},
    /* files, JSON reader, XLSX */
    {"cannot open %s: %s", "не удалось открыть %s: %s"},
    /* file.c writes its own Russian sentence (the role's name in the case it
     * needs); these forms only pair the English templates that name a file. */
    {"cannot open %s '%s': %s", "не удалось открыть %s «%s»: %s"},
    {"out of memory reading %s '%s'", "не хватило памяти при чтении %s «%s»"},
    {"%s '%s' is larger than %zu bytes", "%s «%s» больше %zu байт"},
    {"cannot read %s '%s': %s", "не удалось прочитать %s «%s»: %s"},
    {"%s is larger than %zu bytes", "%s больше %zu байт"},
    {"out of memory reading %s", "не хватило памяти при чтении %s"},
    {"cannot read %s: %s", "не удалось прочитать %s: %s"},
    {"reader tracks at most %d keys per object", "в одном объекте читается не больше %d полей"},
    {"no room for a string", "нет места для строки"},
    {"no room for a code", "нет места для кода"},
    {"XLSX: part %s cannot be read (encrypted or unsupported compression)",
     "XLSX: часть %s не читается (зашифрована или сжата неподдерживаемым способом)"},
    {"XLSX: part %s is corrupt", "XLSX: часть %s повреждена"},
    {"XLSX: part %s inflates beyond %zu bytes; refused",
     "XLSX: часть %s после распаковки больше %zu байт; отклонено"},
    {"XLSX: the workbook inflates beyond %zu bytes; refused",
     "XLSX: книга после распаковки больше %zu байт; отклонено"},
    {"out of memory reading XLSX", "не хватило памяти при чтении XLSX"},
    {"XLSX: part %s fails its checksum", "XLSX: у части %s не сходится контрольная сумма"},
    {"XLSX: part %s declares a DOCTYPE; refused", "XLSX: в части %s объявлен DOCTYPE; отклонено"},
    {"XLSX: part %s line %lu: %s", "XLSX: часть %s, строка %lu: %s"},
    {"XLSX: a sheet of workbook.xml has no name or id",
     "XLSX: у листа в workbook.xml нет имени или идентификатора"},
    {"XLSX: more than 4096 sheets", "XLSX: больше 4096 листов"},
    {"not an XLSX workbook: xl/workbook.xml is missing", "не книга XLSX: нет xl/workbook.xml"},
    {"not an XLSX workbook: xl/_rels/workbook.xml.rels is missing",
     "не книга XLSX: нет xl/_rels/workbook.xml.rels"},
    {"XLSX: sheet «%s» has no part in the workbook's relationships",
     "XLSX: у листа «%s» нет части в связях книги"},
    {"XLSX: the workbook has no sheets", "XLSX: в книге нет листов"},
    {"XLSX: malformed workbook", "XLSX: книга повреждена"},
    {"XLSX: more than %zu shared strings", "XLSX: больше %zu общих строк"},
    {"XLSX: too many styles", "XLSX: слишком много стилей"},
    {"not an XLSX file (no zip signature)", "не файл XLSX (нет подписи zip)"},
    {"not an XLSX file (unreadable zip)", "не файл XLSX (zip не читается)"},
    {"XLSX: no sheet %zu", "XLSX: нет листа %zu"},
    {"XLSX: sheet «%s» (%s) is missing", "XLSX: нет листа «%s» (%s)"},
    {"XLSX: no sheet «%s»", "XLSX: нет листа «%s»"},
    {"XLSX: %s (%s)", "XLSX: ошибка записи: %s (%s)"},
    {"out of memory writing XLSX", "не хватило памяти при записи XLSX"},
    {"XLSX: cannot create %s: %s", "XLSX: не удалось создать %s: %s"},
    {"XLSX: cannot start a workbook", "XLSX: не удалось начать книгу"},
    {"XLSX: bad column list", "XLSX: неверный список столбцов"},
    {"XLSX: a cell before any sheet", "XLSX: ячейка до первого листа"},
    {"XLSX: more rows or columns than Excel holds",
     "XLSX: строк или столбцов больше, чем вмещает Excel"},
    {"XLSX: no buffer for an in-memory workbook", "XLSX: нет буфера для книги в памяти"},
    {"XLSX: cannot write %s (%s)", "XLSX: не удалось записать %s (%s)"},
    {"XLSX: cannot write %s: %s", "XLSX: не удалось записать %s: %s"},
    {"CSV: no header line", "CSV: нет строки заголовка"},
    {"CSV: malformed record at line %d", "CSV: неверная запись в строке %d"},
    /* faults of the CSV reader (csv.c), passed on as "%s" */
    {"the quoted field opened here is never closed (a '\"' is missing; quotes inside a value are "
     "written \"\")",
     "поле, открытое здесь кавычкой, не закрыто (не хватает «\"»; кавычки внутри значения пишутся "
     "как \"\")"},
    {"unexpected text after the closing quote of a field (quotes inside a value are written \"\")",
     "лишний текст после закрывающей кавычки поля (кавычки внутри значения пишутся как \"\")"},
    /* model, plan, tariff */
    {"the first age band must start at 0", "первая возрастная группа должна начинаться с 0"},
    {"age bands must increase: %lld after %d",
     "возрастные группы должны возрастать: %lld после %d"},
    {"the optimistic scenario must not cost more than the base one",
     "оптимистичный сценарий не должен стоить дороже базового"},
    {"the pessimistic scenario must not cost less than the base one",
     "пессимистичный сценарий не должен стоить дешевле базового"},
    {"duplicate module code '%s'", "код модуля «%s» повторяется"},
    {"only RUB is supported, got '%s'", "поддерживаются только рубли (RUB), получено «%s»"},
    {"the data period ends before it starts", "период данных заканчивается раньше, чем начинается"},
    {"age %d is outside [0, %d]", "возраст %d вне диапазона от 0 до %d"},
    {"the period ends (%s) before it starts (%s)",
     "период заканчивается (%s) раньше, чем начинается (%s)"},
    {"age band %zu does not exist", "возрастной группы %zu нет"},
    {"sex must be 0 (male) or 1 (female)", "пол — 0 (мужской) или 1 (женский)"},
    {"rating factors must be positive finite numbers up to 1000",
     "тарифные коэффициенты — положительные конечные числа не больше 1000"},
    {"trend of %g years is outside [-50, 50]", "тренд на %g лет вне диапазона от -50 до 50"},
    {"flat cost of '%s' overflows", "фиксированная стоимость модуля «%s» переполняется"},
    {"no memory for a plan", "не хватило памяти для плана"},
    {"no memory to assign segments", "не хватило памяти для распределения по сегментам"},
    {"no segment of the plan takes employee '%s'",
     "ни один сегмент плана не подходит сотруднику «%s»"},
    {"no segment of the plan takes employee '%s' (segment '%s')",
     "ни один сегмент плана не подходит сотруднику «%s» (сегмент «%s»)"},
    {"values must increase: %g after %g", "значения должны возрастать: %g после %g"},
    {"%g is not one of the allowed deductibles (/deductibles)",
     "%g нет среди допустимых франшиз (/deductibles)"},
    {"%g is not one of the allowed co-pays (/copays)",
     "%g нет среди допустимых соплатежей (/copays)"},
    {"the per-claim limit must exceed the deductible %g",
     "лимит на страховой случай должен быть больше франшизы %g"},
    {"the annual limit must not be below the per-claim limit %g",
     "годовой лимит не должен быть меньше лимита на страховой случай %g"},
    {"duplicate network code '%s'", "код сети клиник «%s» повторяется"},
    {"'%.64s' is not a usable region name", "«%.64s» не подходит как название региона"},
    {"'%s' already names region class '%s'", "название «%s» уже занято классом регионов «%s»"},
    {"too many names", "слишком много названий региона"},
    {"duplicate region code '%s'", "код региона «%s» повторяется"},
    {"the first band must start at 1", "первый интервал численности группы должен начинаться с 1"},
    {"bands must increase: %lld after %ld",
     "интервалы численности группы должны возрастать: %lld после %ld"},
    {"expense + commission + profit = %g must not exceed 0.9",
     "расходы + комиссия + прибыль = %g, а должно быть не больше 0,9"},
    {"the unit must be a whole number of kopecks", "единица округления — целое число копеек"},
    {"no network with code '%s'", "нет сети клиник с кодом «%s»"},
    {"no region with code '%s'", "нет региона с кодом «%s»"},
    {"the tariff ends before it starts",
     "срок действия тарифа заканчивается раньше, чем начинается"},
    {"the list must start with 0 (none)",
     "список должен начинаться с 0 (без франшизы или без соплатежа)"},
    {"group size %ld must be at least 1", "численность группы %ld должна быть не меньше 1"},
    {"module '%s' of tariff %s is not in model %s", "модуля «%s» тарифа %s нет в модели %s"},
    {"module '%s' is %s in the tariff but %s in model %s",
     "модуль «%s» в тарифе имеет тип %s, а в модели — %s (модель %s)"},
    /* products: bank add-on, budgets, crisis, funding */
    {"the claim limit must be above the deductible",
     "лимит по убыткам должен быть больше франшизы"},
    {"module '%s' is listed twice", "модуль «%s» указан дважды"},
    {"the shares add up to %.9g, not 1", "сумма долей — %.9g, а не 1"},
    {"no memory for a bank tariff", "не хватило памяти для банковского тарифа"},
    {"only RUB is supported", "поддерживаются только рубли (RUB)"},
    {"the period ends before it starts", "период заканчивается раньше, чем начинается"},
    {"target loss ratio + bank commission + insurer expense + insurer profit add up to %.9g, not 1",
     "целевая убыточность + комиссия банка + расходы страховщика + прибыль страховщика дают в "
     "сумме %.9g, а не 1"},
    {"cards must be 1..100000000", "число карт — от 1 до 100000000"},
    {"months must be 1..%d", "число месяцев — от 1 до %d"},
    {"uptake must be in [0, 1]", "доля подключений должна быть от 0 до 1"},
    {"lapse must be in [0, 1]", "доля отказов должна быть от 0 до 1"},
    {"new_sales must be 0..100000000", "new_sales — от 0 до 100000000"},
    {"no memory for the bank price report",
     "не хватило памяти для отчёта о цене банковского продукта"},
    {"no memory for the projection report", "не хватило памяти для отчёта о прогнозе портфеля"},
    {"module '%s' has more than %d options", "у модуля «%s» больше %d вариантов"},
    {"the tariff has more than %d modules", "в тарифе больше %d модулей"},
    {"'%s' is a flat-priced module: it has no policy terms",
     "«%s» — модуль с фиксированной ценой: у него нет условий (франшизы, соплатежа, лимита)"},
    {"deductible %g (item %zu) is not one the tariff allows",
     "франшиза %g (элемент %zu) не входит в допустимые тарифом"},
    {"co-pay %g (item %zu) is not one the tariff allows",
     "соплатёж %g (элемент %zu) не входит в допустимые тарифом"},
    {"network '%s' is listed twice", "сеть клиник «%s» указана дважды"},
    {"priorities must be an object {module code: 0..5}", "приоритеты — объект {код модуля: 0..5}"},
    {"module '%s' is not in the design space / модуля нет в пространстве вариантов",
     "модуля «%s» нет в пространстве вариантов"},
    {"a priority is a number from 0 to 5 / приоритет — число от 0 до 5",
     "приоритет — число от 0 до 5"},
    {"profiles must be a list of: young, family, over40, remote, high_stress",
     "profiles — список из значений young, family, over40, remote, high_stress"},
    {"unknown profile: use young, family, over40, remote or high_stress / неизвестный профиль",
     "неизвестный профиль: допустимы young, family, over40, remote или high_stress"},
    {"a survey is {\"segments\": [{\"segment\", \"respondents\", \"ratings\"}]} of answers "
     "aggregated per segment",
     "опрос — это {\"segments\": [{\"segment\", \"respondents\", \"ratings\"}]} с ответами, "
     "сведёнными по сегментам"},
    {"name a segment of this request / укажите сегмент запроса", "укажите сегмент запроса"},
    {"respondents is the number of people who answered (>= 0)",
     "respondents — число ответивших (>= 0)"},
    {"segment '%s' is in the survey twice", "сегмент «%s» указан в опросе дважды"},
    {"mandatory_modules is a list of at most %d module codes",
     "mandatory_modules — список не больше чем из %d кодов модулей"},
    {"not a module of the tariff '%s' / нет такого модуля", "в тарифе «%s» нет такого модуля"},
    {"too many modules", "слишком много модулей"},
    {"no memory for a budgets request", "не хватило памяти для запроса бюджетов"},
    {"a budgets request must be a JSON object", "запрос бюджетов должен быть объектом JSON"},
    {"the solver chooses the network and modules: remove this key (or use 'design_space')",
     "сеть клиник и модули подбирает расчёт: уберите это поле (или используйте «design_space»)"},
    {"give 'budget_per_head' (roubles a year) and/or 'target_value' (value score 0..100)",
     "укажите «budget_per_head» (рублей в год на человека) и/или «target_value» (ценность от 0 до "
     "100)"},
    {"no memory for a budget table", "не хватило памяти для таблицы бюджетов"},
    {"the design space has no network", "в пространстве вариантов нет ни одной сети клиник"},
    {"no memory for the budget solver", "не хватило памяти для подбора бюджета"},
    {"the search over this design space stopped after %zu designs: raise 'tolerance' or narrow the "
     "design space",
     "перебор вариантов остановлен после %zu вариантов: увеличьте «tolerance» или сузьте "
     "пространство вариантов"},
    {"segment %zu out of range", "сегмент %zu вне диапазона"},
    {"segment %zu has nobody in the census", "в сегменте %zu нет ни одного застрахованного"},
    {"unknown goal", "неизвестная цель"},
    {"the limit must be a finite number >= 0", "лимит должен быть конечным числом >= 0"},
    {"the tolerance must be >= 0", "допуск (tolerance) должен быть >= 0"},
    {"%.0f designs are more than %.0f", "вариантов %.0f — больше допустимых %.0f"},
    {"segment '%s': the solver priced its design at %lld kopecks but the quote at %lld",
     "сегмент «%s»: подбор оценил вариант в %lld коп., а котировка — в %lld"},
    {"no memory for a budget result", "не хватило памяти для результата подбора бюджета"},
    {"bad priorities", "неверные приоритеты"},
    {"compare two to four plans (got %zu)",
     "сравнивать можно от двух до четырёх программ (получено %zu)"},
    {"no memory for the budget report", "не хватило памяти для отчёта о бюджетах"},
    {"no memory for the comparison report", "не хватило памяти для отчёта о сравнении программ"},
    {"the plan's period is not dates", "период программы задан не датами"},
    {"the endorsement must start inside the policy period %s..%s / доп. соглашение должно "
     "начинаться в периоде договора",
     "доп. соглашение должно начинаться в периоде договора %s..%s"},
    {"months must be 1..12", "число месяцев — от 1 до 12"},
    {"add_modules: '%s' is not a module of the tariff", "add_modules: «%s» — не модуль тарифа"},
    {"no memory for the crisis report", "не хватило памяти для отчёта о кризисном сценарии"},
    {"the quote has no group distribution (percentiles were not asked)",
     "в котировке нет распределения по группе (процентили не запрашивались)"},
    {"the group distribution needs a finite mean, sd > 0 and P99",
     "для распределения по группе нужны конечные среднее, sd > 0 и P99"},
    {"the group has nobody in it", "в группе нет ни одного застрахованного"},
    {"unknown stop-loss level", "неизвестный уровень стоп-лосса"},
    {"admin_share must be within 0..1", "admin_share — от 0 до 1"},
    {"admin_fee_per_head must be a number >= 0", "admin_fee_per_head — число >= 0"},
    {"no memory for the funding report", "не хватило памяти для отчёта о схеме финансирования"},
    /* products: module picker, policy */
    {"no census or employee id", "нет списка застрахованных или табельного номера"},
    {"employee '%s' has more than %d insured people", "у сотрудника «%s» больше %d застрахованных"},
    {"offer needs a policy, tariff, model, family",
     "для предложения нужны полис, тариф, модель и семья"},
    {"a household is its employee first, then up to %d family members",
     "семья — это сначала сотрудник, затем до %d членов семьи"},
    {"member %zu is missing", "нет члена семьи %zu"},
    {"a household has one employee", "в семье один сотрудник"},
    {"at most %zu items", "не больше %zu позиций"},
    {"capacity must not be negative", "вместимость не может быть отрицательной"},
    {"cost and value must be in [0, 2^56]", "стоимость и ценность — от 0 до 2^56"},
    {"requires or excludes a missing item", "требует или исключает отсутствующую позицию"},
    {"a charge starts at a cost of 0 or more, at a rate in [0, 1]",
     "доплата начинается со стоимости 0 или больше, со ставкой от 0 до 1"},
    {"no memory for the solver", "не хватило памяти для подбора"},
    {"the choice needs more than %llu search steps", "для выбора нужно больше %llu шагов перебора"},
    {"at most %d answers", "не больше %d ответов"},
    {"no offer or questionnaire", "нет предложения или анкеты"},
    {"no offer or election", "нет предложения или выбора"},
    {"who makes the change must be known", "нужно знать, кто вносит изменение"},
    {"the time must be ISO 8601 (YYYY-MM-DD...)", "время — в формате ISO 8601 (ГГГГ-ММ-ДД...)"},
    {"no policy", "нет полиса"},
    {"today '%.16s' is not a date", "сегодняшняя дата «%.16s» — не дата"},
    {"no policy, history or months", "нет полиса, истории или месяцев"},
    {"the period has %ld months, at most %zu", "в периоде %ld мес., допустимо не больше %zu"},
    {"no option '%s' in this policy", "в этом полисе нет опции «%s»"},
    {"no segment '%s' in this policy", "в этом полисе нет сегмента «%s»"},
    {"no place for the policy", "нет места для полиса"},
    {"no memory for a policy", "не хватило памяти для полиса"},
    {"no policy or census", "нет полиса или списка застрахованных"},
    /* CLI usage errors (src/cli, cli_fail) */
    {"%s needs a value", "%s: нужно значение"},
    {"%s needs a whole number in %lu..%lu", "%s: нужно целое число от %lu до %lu"},
    {"%s needs a number of seconds in 0.05..3600", "%s: нужно число секунд от 0,05 до 3600"},
    {"%s: %s: needs a value (see --help)", "%s: %s: нужно значение (см. --help)"},
    {"%s: %s: unknown flag (see --help)", "%s: %s: неизвестный флаг (см. --help)"},
    {"%s: '%s' is not a number in %g..%g", "%s: «%s» — не число от %g до %g"},
    {"%s: give the key's id (dmsrate keys list)", "%s: укажите номер ключа (dmsrate keys list)"},
    {"%s: missing or bad options", "%s: параметры не заданы или неверны"},
    {"%s: needs a value", "%s: нужно значение"},
    {"%s: not a budgets object", "%s: не объект запроса бюджетов"},
    {"%s: required (see --help)", "%s: обязательный параметр (см. --help)"},
    {"%s: unknown flag (see --help)", "%s: неизвестный флаг (см. --help)"},
    {"'%s' is not price or projection (see --help)",
     "«%s» — не price и не projection (см. --help)"},
    {"--cards: a whole number 1..100000000", "--cards: целое число от 1 до 100000000"},
    {"--cards: required (see --help)", "--cards: обязательный параметр (см. --help)"},
    {"--census, --plan, --from and --months are required (see --help)",
     "--census, --plan, --from и --months обязательны (см. --help)"},
    {"--db, --employer, --year, --register needed", "нужны --db, --employer, --year и --register"},
    {"--employer needs an employer id, got '%s'",
     "--employer: нужен номер работодателя, получено «%s»"},
    {"--experience and --renewal are required", "--experience и --renewal обязательны"},
    {"--expires takes days, such as 90d (1 to 3660)",
     "--expires — срок в днях, например 90d (от 1 до 3660)"},
    {"--format xlsx writes a binary file: redirect it (> out.xlsx)",
     "--format xlsx пишет двоичный файл: перенаправьте вывод (> out.xlsx)"},
    {"--format: '%s' is not table or json", "--format: «%s» — не table и не json"},
    {"--format: '%s' is not table, json, csv or xlsx",
     "--format: «%s» — не table, json, csv или xlsx"},
    {"--lang: '%s' is not en or ru", "--lang: «%s» — не en и не ru"},
    {"--lapse: a share in [0, 1]", "--lapse: доля от 0 до 1"},
    {"--membership FILE is required", "--membership ФАЙЛ обязателен"},
    {"--membership FILE, or --employer ID of an employer whose register is stored",
     "нужен --membership ФАЙЛ или --employer НОМЕР работодателя, чей реестр сохранён"},
    {"--months: a whole number 1..60", "--months: целое число от 1 до 60"},
    {"--name is required", "--name обязателен"},
    {"--new-sales: a whole number 0..100000000", "--new-sales: целое число от 0 до 100000000"},
    {"--nps: give 11 counts of answers 0..10, comma separated",
     "--nps: укажите 11 чисел ответов с оценками 0..10 через запятую"},
    {"--period FROM:TO is required", "--period С:ПО обязателен"},
    {"--period: give FROM:TO as YYYY-MM-DD:YYYY-MM-DD",
     "--period: укажите С:ПО в виде ГГГГ-ММ-ДД:ГГГГ-ММ-ДД"},
    {"--plans: at most %d plans", "--plans: не больше %d программ"},
    {"--plans: give two to four plan files", "--plans: укажите от двух до четырёх файлов программ"},
    {"--policy and --census are required", "--policy и --census обязательны"},
    {"--register, --membership and --period are required (see --help)",
     "--register, --membership и --period обязательны (см. --help)"},
    {"--role must be employee, hr, manager, finance, broker or insurer",
     "--role — employee, hr, manager, finance, broker или insurer"},
    {"--today must be YYYY-MM-DD", "--today — дата ГГГГ-ММ-ДД"},
    {"--uptake: a share in [0, 1]", "--uptake: доля от 0 до 1"},
    {"a %s key belongs to one employer: one --employer",
     "ключ роли %s принадлежит одному работодателю: укажите один --employer"},
    {"bad option %s", "неверный параметр %s"},
    {"bad value '%s' for %s", "неверное значение «%s» для %s"},
    {"give --register FILE or --db, --employer, --year",
     "укажите --register ФАЙЛ или --db, --employer и --year"},
    {"missing value for %s", "не задано значение %s"},
    {"name a report (see --help)", "укажите отчёт (см. --help)"},
    {"unknown action '%s'", "неизвестное действие «%s»"},
    {"unknown action '%s' (import, rate, report)",
     "неизвестное действие «%s» (import, rate, report)"},
    {"unknown command '%s' (see 'dmsrate --help')",
     "неизвестная команда «%s» (см. dmsrate --help)"},
    {"unknown option %s", "неизвестный параметр %s"},
    {"unknown option %s (see --help)", "неизвестный параметр %s (см. --help)"},
    {"unknown option or missing value: %s", "неизвестный параметр или не задано значение: %s"},
};

/* fmt is not NULL (a printf format). */
static const char *template_ru(const char *fmt)
{
    for (size_t i = 0; i < sizeof ru_templates / sizeof ru_templates[0]; i++)
        if (strcmp(ru_templates[i].en, fmt) == 0)
            return ru_templates[i].ru;
    return NULL;
}

const char *dms_error_template_ru(const char *fmt)
{
    return fmt != NULL ? template_ru(fmt) : NULL;
}

bool dms_error_template_pair(int i, const char **en, const char **ru)
{
    if (i < 0 || (size_t)i >= sizeof ru_templates / sizeof ru_templates[0])
        return false;
    *en = ru_templates[i].en;
    *ru = ru_templates[i].ru;
    return true;
}

static bool status_known(int status)
{
    return status >= 0 && status < (int)(sizeof status_table / sizeof status_table[0]) &&
           status_table[status].name != NULL;
}

const char *dms_strerror(int status)
{
    return status_known(status) ? status_table[status].text : "unknown error";
}

const char *dms_strerror_ru(int status)
{
    return status_known(status) && status_ru[status] != NULL ? status_ru[status]
                                                             : "неизвестная ошибка";
}

/* True if text has a Cyrillic letter (UTF-8 lead bytes 0xD0, 0xD1). */
static bool has_cyrillic(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] == 0xD0 || (unsigned char)text[i] == 0xD1)
            return true;
    return false;
}

/*
 * Some messages were written in both languages at once, "русский / English":
 * the part in the language asked for, or false if message is not of that
 * form (a Russian part before " / ", none after it).
 */
static bool bilingual_part(const char *message, bool ru, char *buf, int size)
{
    const char *sep = strstr(message, " / ");
    if (sep == NULL || !has_cyrillic(message, (size_t)(sep - message)) ||
        has_cyrillic(sep + 3, strlen(sep + 3)))
        return false;
    if (ru)
        snprintf(buf, (size_t)size, "%.*s", (int)(sep - message), message);
    else
        snprintf(buf, (size_t)size, "%s", sep + 3);
    return true;
}

const char *dms_error_message(const dms_error *err, bool ru, char *buf, int size)
{
    if (size <= 0)
        return buf;
    if (err != NULL && err->code != DMS_OK && err->message_ru[0] == '\0' &&
        bilingual_part(err->message, ru, buf, size))
        return buf;
    if (err == NULL || err->code == DMS_OK)
        snprintf(buf, (size_t)size, "%s", ru ? status_ru[DMS_OK] : "success");
    else if (!ru)
        snprintf(buf, (size_t)size, "%s", err->message[0] ? err->message : dms_strerror(err->code));
    else if (err->message_ru[0] != '\0')
        snprintf(buf, (size_t)size, "%s", err->message_ru);
    else if (err->message[0] != '\0')
        snprintf(buf, (size_t)size, "%s: %s", dms_strerror_ru(err->code), err->message);
    else
        snprintf(buf, (size_t)size, "%s", dms_strerror_ru(err->code));
    return buf;
}

const char *dms_status_name(int status)
{
    return status_known(status) ? status_table[status].name : "unknown_error";
}

/*
 * Every entry point calls this first, some of them once per rating cell, so
 * it resets what a reader looks at (the code, each string's first byte, the
 * position) rather than the whole 1.5 KB record, as jansson's
 * jsonp_error_init does. Every string is then empty and NUL-terminated.
 */
int dms_error_cancelled(dms_error *err)
{
    return dms_error_set(err, DMS_ETOOBIG, NULL, "the computation was cancelled");
}

void dms_error_clear(dms_error *err)
{
    if (err == NULL)
        return;
    err->code = DMS_OK;
    err->message[0] = '\0';
    err->message_ru[0] = '\0';
    err->path[0] = '\0';
    err->source[0] = '\0';
    err->line = 0;
    err->column = 0;
}

int dms_error_vset(dms_error *err, int code, const char *path, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != DMS_OK)
        return code;
    err->code = code;
    const char *ru = template_ru(fmt);
    va_list again;
    va_copy(again, ap);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    if (ru != NULL) {
        vsnprintf(err->message_ru, sizeof err->message_ru, ru, again);
    } else {
        err->message_ru[0] = '\0';
        /* A message made elsewhere and passed on as "%s" (a CSV reader's
         * fault, a job's): its Russian form if it is a template of the table
         * that takes no arguments. */
        const char *whole = strcmp(fmt, "%s") == 0 ? va_arg(again, const char *) : NULL;
        const char *whole_ru = whole != NULL ? template_ru(whole) : NULL;
        if (whole_ru != NULL && strchr(whole_ru, '%') == NULL)
            snprintf(err->message_ru, sizeof err->message_ru, "%s", whole_ru);
    }
    va_end(again);
    snprintf(err->path, sizeof err->path, "%s", path != NULL ? path : "");
    err->source[0] = '\0';
    err->line = err->column = 0;
    return code;
}

int dms_error_set(dms_error *err, int code, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(err, code, path, fmt, ap);
    va_end(ap);
    return code;
}

int dms_error_set_at(dms_error *err, int code, const char *source, int line, int column,
                     const char *fmt, ...)
{
    if (err == NULL || err->code != DMS_OK)
        return code;
    va_list ap;
    va_start(ap, fmt);
    dms_error_vset(err, code, NULL, fmt, ap);
    va_end(ap);
    snprintf(err->source, sizeof err->source, "%s", source != NULL ? source : "");
    err->line = line;
    err->column = column;
    return code;
}

int dms_error_reroot(dms_error *err, int code, const char *path, const dms_error *inner)
{
    if (err == NULL || err->code != DMS_OK || inner == NULL || err == inner)
        return code;
    err->code = code;
    memcpy(err->message, inner->message, sizeof err->message);
    memcpy(err->message_ru, inner->message_ru, sizeof err->message_ru);
    snprintf(err->path, sizeof err->path, "%s", path != NULL ? path : inner->path);
    memcpy(err->source, inner->source, sizeof err->source);
    err->line = inner->line;
    err->column = inner->column;
    return code;
}

void dms_error_prefix_path(dms_error *err, const char *prefix)
{
    if (err == NULL || err->code == DMS_OK || prefix == NULL || prefix[0] == '\0')
        return;
    char joined[DMS_ERROR_PATH_MAX];
    snprintf(joined, sizeof joined, "%s%s", prefix, err->path);
    memcpy(err->path, joined, sizeof joined);
}

/* Written once at start-up before any thread exists, read afterwards. */
static bool format_russian;

void dms_error_use_russian(bool ru)
{
    format_russian = ru;
}

const char *dms_error_locate(const dms_error *err, bool ru, char *buf, int size)
{
    if (size <= 0)
        return buf;
    char text[DMS_ERROR_MESSAGE_MAX + 128];
    dms_error_message(err, ru, text, sizeof text);
    if (err != NULL && err->code != DMS_OK && err->line > 0)
        snprintf(buf, (size_t)size, "%s:%d:%d: %s", err->source[0] ? err->source : "<input>",
                 err->line, err->column, text);
    else if (err != NULL && err->code != DMS_OK && err->path[0] != '\0')
        snprintf(buf, (size_t)size, "%s: %s", err->path, text);
    else
        snprintf(buf, (size_t)size, "%s", text);
    return buf;
}

const char *dms_error_format(const dms_error *err, char *buf, int size)
{
    if (size <= 0)
        return buf;
    if (format_russian && err != NULL && err->code != DMS_OK)
        return dms_error_locate(err, true, buf, size);
    if (err == NULL || err->code == DMS_OK) {
        snprintf(buf, (size_t)size, "no error");
    } else if (err->line > 0) {
        snprintf(buf, (size_t)size, "%s:%d:%d: %s", err->source[0] ? err->source : "<input>",
                 err->line, err->column, err->message);
    } else if (err->path[0] != '\0') {
        snprintf(buf, (size_t)size, "%s: %s", err->path, err->message);
    } else {
        snprintf(buf, (size_t)size, "%s", err->message);
    }
    return buf;
}
