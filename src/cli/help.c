/*
 * The --help text of every subcommand, in English and in Russian, in one
 * table: a command prints its text through cli_usage, which picks the form by
 * the language main chose (--lang, DMS_LANG), as errors do. Option names are
 * the same in both forms (tests/test_cli_help.c compares them); only the
 * words around them are translated. aggregate's English text lives in the
 * core with its flag parser (dms_aggregate_usage), its Russian one here.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dms/aggregate_args.h"

static const char aggregate_ru[] =
    "использование: dmsrate aggregate --freq poisson:MEAN | negbin:MEAN,SIZE\n"
    "                                 --sev lognormal:MEANLOG,SDLOG | gamma:SHAPE,SCALE\n"
    "                                 [--deductible D] [--franchise] [--copay C]\n"
    "                                 [--claim-limit U] [--annual-limit L]\n"
    "                                 [--method auto|panjer|fft|mc] [--span H]\n"
    "                                 [--discretization rounding|moment] [--sims N] [--seed S]\n"
    "\n"
    "Годовые затраты S на одного застрахованного по одному модулю; печатает один объект JSON.\n"
    "\n"
    "  --freq F            число случаев: poisson:MEAN или negbin:MEAN,SIZE (Var = MEAN + "
    "MEAN^2/SIZE)\n"
    "  --sev X             размер случая в рублях: lognormal:MEANLOG,SDLOG или gamma:SHAPE,SCALE\n"
    "  --deductible D      франшиза на случай в рублях (по умолчанию 0)\n"
    "  --franchise         франшиза условная: случай больше D оплачивается полностью; по\n"
    "                      умолчанию безусловная: D вычитается из каждого случая\n"
    "  --copay C           доля соплатежа в [0, 1), которую застрахованный платит с каждой\n"
    "                      покрытой суммы\n"
    "  --claim-limit U     лимит на один случай в рублях (U > D; по умолчанию нет)\n"
    "  --annual-limit L    годовой лимит на человека в рублях (по умолчанию нет)\n"
    "  --method M          auto (по умолчанию: Panjer или FFT, что дешевле), panjer, fft или mc\n"
    "  --span H            шаг сетки в рублях (по умолчанию выбирается по точности)\n"
    "  --discretization R  rounding (по умолчанию) или moment (локальное совпадение моментов,\n"
    "                      сохраняет E[Y])\n"
    "  --sims N            число симуляций Монте-Карло (по умолчанию 100000)\n"
    "  --seed S            зерно Монте-Карло (по умолчанию 1)\n"
    "  --help              этот текст\n"
    "\n"
    "Ключи ответа: mean, variance (точные E[S], Var[S]); limited_mean (E[min(S, L)], среднее\n"
    "рассчитанного распределения без L); p_exceed (P(S > L), 0 без L); quantiles\n"
    "(\"0.5\", \"0.9\", \"0.99\": наименьшая точка сетки x с F(x) >= p); span; method.\n";

static const char serve_en[] =
    "usage: dmsrate serve [--listen 127.0.0.1:8080] [--tariffs DIR] [--models DIR]\n"
    "                     [--db FILE] [--threads N] [--body-limit BYTES]\n"
    "                     [--timeout SECONDS] [--grace SECONDS] [--web DIR]\n"
    "\n"
    "Serves the pricing API (see docs/openapi.yaml) on an IPv4 address.\n"
    "  --listen HOST:PORT   address to bind (default 127.0.0.1:8080; port 0: any free port)\n"
    "  --tariffs DIR        tariff files (*.json), loaded at start and on SIGHUP (default "
    "tariffs)\n"
    "  --models DIR         model files (*.json), loaded at start and on SIGHUP (default models)\n"
    "                       The service refuses to start (exit 2) if a file is invalid or\n"
    "                       no corporate tariff has its model among them.\n"
    "  --db FILE            SQLite store, created and migrated at start; or a\n"
    "                       postgresql://USER@HOST/DB URI, shared by several replicas\n"
    "  --threads N          worker threads (default 4)\n"
    "  --body-limit BYTES   largest request body (default 4194304)\n"
    "  --timeout SECONDS    idle connection timeout (default 30); a whole request\n"
    "                       must arrive within twice this\n"
    "  --grace SECONDS      how long SIGTERM waits for in-flight requests (default 10);\n"
    "                       computations still running then are cancelled\n"
    "  --today DATE         the date the module picker takes as today (YYYY-MM-DD;\n"
    "                       default: the UTC date), for demos and tests of the window\n"
    "  --no-seed            do not import the sample employer into a new database\n"
    "  --web DIR            the web pages served at / (default web; '' for none)\n"
    "  --smtp URL           e-mail notifications through this relay (smtp://host:port);\n"
    "                       with --db a scheduler checks every --notify-interval seconds\n"
    "                       (default 60) and announces each event once a day\n"
    "  --mail-from ADDR     the sender of notifications (default dmsrate@localhost)\n"
    "Overload protection:\n"
    "  --header-timeout S   seconds a client has to send its request headers (default 10)\n"
    "  --max-connections N  connections at once (default 512, lowered to fit ulimit -n)\n"
    "  --max-per-ip N       connections of one client address (default 32)\n"
    "  --body-budget BYTES  request bodies held in memory at once (default 67108864; 503 beyond)\n"
    "  --compute-timeout S  seconds one request may compute (default 30; 503 after)\n"
    "  --rate-limit N       pricing requests per key per minute (default 120; 0: no limit)\n"
    "  --max-draws N        work budget: Monte Carlo sims x (1 + mean) (default 5e7)\n"
    "  --max-grid-ops N     work budget: Panjer grid points squared (default 4e9)\n"
    "  --max-quote-cells N  work budget: census people x plan modules (default 1e7)\n"
    "Signals: SIGHUP reloads tariffs and models; SIGTERM/SIGINT stop cleanly.\n"
    "Access log: one JSON line per request on stderr.\n";

static const char serve_ru[] =
    "использование: dmsrate serve [--listen 127.0.0.1:8080] [--tariffs КАТАЛОГ] [--models "
    "КАТАЛОГ]\n"
    "                             [--db ФАЙЛ] [--threads N] [--body-limit БАЙТ]\n"
    "                             [--timeout СЕКУНДЫ] [--grace СЕКУНДЫ] [--web КАТАЛОГ]\n"
    "\n"
    "Обслуживает API расчётов (см. docs/openapi.yaml) на адресе IPv4.\n"
    "  --listen ХОСТ:ПОРТ    адрес (по умолчанию 127.0.0.1:8080; порт 0: любой свободный)\n"
    "  --tariffs КАТАЛОГ     файлы тарифов (*.json), загружаются при старте и по SIGHUP\n"
    "                        (по умолчанию tariffs)\n"
    "  --models КАТАЛОГ      файлы моделей (*.json), загружаются при старте и по SIGHUP\n"
    "                        (по умолчанию models)\n"
    "                        Сервис не запускается (код 2), если файл неверен или ни у\n"
    "                        одного корпоративного тарифа нет его модели среди них.\n"
    "  --db ФАЙЛ             хранилище SQLite, создаётся и обновляется при старте; или URI\n"
    "                        postgresql://USER@HOST/DB, общий для нескольких реплик\n"
    "  --threads N           рабочих потоков (по умолчанию 4)\n"
    "  --body-limit БАЙТ     наибольшее тело запроса (по умолчанию 4194304)\n"
    "  --timeout СЕКУНДЫ     тайм-аут простоя соединения (по умолчанию 30); весь запрос\n"
    "                        должен прийти за вдвое большее время\n"
    "  --grace СЕКУНДЫ       сколько SIGTERM ждёт выполняющиеся запросы (по умолчанию 10);\n"
    "                        расчёты, ещё идущие к этому времени, отменяются\n"
    "  --today ДАТА          дата, которую выбор модулей считает сегодняшней (ГГГГ-ММ-ДД;\n"
    "                        по умолчанию дата UTC), для демонстраций и проверки окна\n"
    "  --no-seed             не загружать пример работодателя в новую базу\n"
    "  --web КАТАЛОГ         веб-страницы по адресу / (по умолчанию web; '' — без них)\n"
    "  --smtp URL            уведомления по e-mail через этот релей (smtp://host:port);\n"
    "                        с --db планировщик проверяет каждые --notify-interval секунд\n"
    "                        (по умолчанию 60) и сообщает о каждом событии раз в день\n"
    "  --mail-from АДРЕС     отправитель уведомлений (по умолчанию dmsrate@localhost)\n"
    "Защита от перегрузки:\n"
    "  --header-timeout S    секунд у клиента на заголовки запроса (по умолчанию 10)\n"
    "  --max-connections N   соединений одновременно (по умолчанию 512, меньше под ulimit -n)\n"
    "  --max-per-ip N        соединений с одного адреса клиента (по умолчанию 32)\n"
    "  --body-budget БАЙТ    тела запросов в памяти одновременно (по умолчанию 67108864; сверх — "
    "503)\n"
    "  --compute-timeout S   секунд на расчёт одного запроса (по умолчанию 30; затем 503)\n"
    "  --rate-limit N        запросов расчёта на ключ в минуту (по умолчанию 120; 0: без "
    "ограничения)\n"
    "  --max-draws N         бюджет работы: симуляции Монте-Карло x (1 + среднее) (по умолчанию "
    "5e7)\n"
    "  --max-grid-ops N      бюджет работы: квадрат числа точек сетки Panjer (по умолчанию 4e9)\n"
    "  --max-quote-cells N   бюджет работы: люди списка x модули программы (по умолчанию 1e7)\n"
    "Сигналы: SIGHUP перезагружает тарифы и модели; SIGTERM/SIGINT аккуратно останавливают.\n"
    "Журнал доступа: одна строка JSON на запрос в stderr.\n";

static const char quote_en[] =
    "usage: dmsrate quote --census FILE --plan FILE [--tariff FILE] [--model FILE]\n"
    "                     [--format table|json|csv|xlsx] [--lang en|ru] [--no-percentiles]\n"
    "\n"
    "Prices a group: per segment and in total, per scenario (optimistic / base /\n"
    "pessimistic), the expected claims, every loading step and the gross premium,\n"
    "and the percentiles of the group's total claims.\n"
    "\n"
    "  --census FILE     people: CSV (Russian or English headers, ';' or ',') or JSON\n"
    "  --plan FILE       package design per segment (see examples/plans/)\n"
    "  --tariff FILE     insurer tariff (default tariffs/corporate-2026.json)\n"
    "  --model FILE      actuarial model (default models/ru-2026.json)\n"
    "  --format F        table (default), json, csv or xlsx (to stdout: > quote.xlsx;\n"
    "                    headers in the --lang language)\n"
    "  --lang L          en (default) or ru: CSV for Russian Excel (UTF-8 BOM, ';',\n"
    "                    decimal comma, Russian headers, module and scenario names)\n"
    "  --no-percentiles  skip the distribution of the group's total claims\n";

static const char quote_ru[] =
    "использование: dmsrate quote --census ФАЙЛ --plan ФАЙЛ [--tariff ФАЙЛ] [--model ФАЙЛ]\n"
    "                             [--format table|json|csv|xlsx] [--lang en|ru] "
    "[--no-percentiles]\n"
    "\n"
    "Оценивает группу: по сегментам и в целом, по сценариям (оптимистичный / базовый /\n"
    "пессимистичный) ожидаемые убытки, каждый шаг нагрузок и брутто-премию, а также\n"
    "перцентили суммарных убытков группы.\n"
    "\n"
    "  --census ФАЙЛ     люди: CSV (русские или английские заголовки, ';' или ',') или JSON\n"
    "  --plan ФАЙЛ       вариант программы по сегментам (см. examples/plans/)\n"
    "  --tariff ФАЙЛ     тариф страховщика (по умолчанию tariffs/corporate-2026.json)\n"
    "  --model ФАЙЛ      актуарная модель (по умолчанию models/ru-2026.json)\n"
    "  --format F        table (по умолчанию), json, csv или xlsx (в stdout: > quote.xlsx;\n"
    "                    заголовки на языке --lang)\n"
    "  --lang L          en (по умолчанию) или ru: CSV для русского Excel (UTF-8 с BOM, ';',\n"
    "                    десятичная запятая, русские заголовки, названия модулей и сценариев)\n"
    "  --no-percentiles  не считать распределение суммарных убытков группы\n";

static const char budget_en[] =
    "usage: dmsrate budget --census FILE --budgets FILE [--survey FILE] [--tariff FILE]\n"
    "                      [--model FILE] [--format table|json]\n"
    "       dmsrate budget compare --census FILE --plans A.json B.json [C.json [D.json]]\n"
    "                      [--tariff FILE] [--model FILE] [--format table|json]\n"
    "       dmsrate budget funding --census FILE --plan FILE [--stop-loss "
    "none|p50|p75|p90|p95|p99]\n"
    "                      [--admin-fee RUB] [--admin-share S] [--tariff FILE] [--model FILE]\n"
    "                      [--format table|json]\n"
    "       dmsrate budget crisis --census FILE --plan FILE --from DATE --months N\n"
    "                      [--shock F] [--add MODULE,...] [--tariff FILE] [--model FILE]\n"
    "                      [--format table|json]\n"
    "       dmsrate budget effect --register FILE --membership FILE --period FROM:TO\n"
    "                      [--hr FILE] [--pilot DEPARTMENT] [--nps N0,N1,...,N10]\n"
    "                      [--programme-cost RUB] [--sick-day-cost RUB]\n"
    "                      [--replacement-cost RUB] [--turnover-before SHARE]\n"
    "                      [--min-cell N] [--format table|json]\n"
    "\n"
    "Finds per segment the package design (network, modules, deductible, co-pay,\n"
    "annual limit) with the most value (a 0..100 score from the mandatory modules\n"
    "and the segment's module priorities) within the budget per head, and the\n"
    "cheapest design reaching a target score; explains the choice (why, the next\n"
    "best package, what 1,000 RUB more per head buys); prices each through the\n"
    "group quote and shows its cost when claims rise 10/20/30% (frequency,\n"
    "severity, both). compare prices two to four plans for one census side by side.\n"
    "funding compares the fixed premium with pay-as-you-go (claims + admin fee per\n"
    "head a year, default the tariff's, + a share of claims), with and without\n"
    "stop-loss above a percentile of the group's claims (default p90).\n"
    "crisis prices a temporary enhanced package (default: check-up as priority\n"
    "diagnostics and telemedicine, added where missing) for N months from DATE with\n"
    "claim frequency x F (default 1.3) as a mid-year endorsement, pro rata by days.\n"
    "effect gives usage share, visits per 1,000, cost per case, sick days per\n"
    "employee before/after (HR file), NPS (counts of answers 0..10) and the ROI\n"
    "with its inputs; --pilot compares one department with the rest; cells of\n"
    "fewer than --min-cell people (default 5) are suppressed.\n"
    "\n"
    "  --census FILE   people: CSV or JSON\n"
    "  --budgets FILE  segments with budget_per_head / target_value (examples/budgets/)\n"
    "  --survey FILE   employee survey aggregated per segment (mean ratings 0..5 and\n"
    "                  respondents; a segment with fewer than 5 is not used)\n"
    "  --plans FILES   plan files to compare (examples/plans/, examples/compare/)\n"
    "  --tariff FILE   insurer tariff (default tariffs/corporate-2026.json)\n"
    "  --model FILE    actuarial model (default models/ru-2026.json)\n"
    "  --format F      table (default) or json\n";

static const char budget_ru[] =
    "использование: dmsrate budget --census ФАЙЛ --budgets ФАЙЛ [--survey ФАЙЛ] [--tariff ФАЙЛ]\n"
    "                              [--model ФАЙЛ] [--format table|json]\n"
    "               dmsrate budget compare --census ФАЙЛ --plans A.json B.json [C.json [D.json]]\n"
    "                              [--tariff ФАЙЛ] [--model ФАЙЛ] [--format table|json]\n"
    "               dmsrate budget funding --census ФАЙЛ --plan ФАЙЛ [--stop-loss "
    "none|p50|p75|p90|p95|p99]\n"
    "                              [--admin-fee РУБ] [--admin-share S] [--tariff ФАЙЛ] [--model "
    "ФАЙЛ]\n"
    "                              [--format table|json]\n"
    "               dmsrate budget crisis --census ФАЙЛ --plan ФАЙЛ --from ДАТА --months N\n"
    "                              [--shock F] [--add МОДУЛЬ,...] [--tariff ФАЙЛ] [--model ФАЙЛ]\n"
    "                              [--format table|json]\n"
    "               dmsrate budget effect --register ФАЙЛ --membership ФАЙЛ --period С:ПО\n"
    "                              [--hr ФАЙЛ] [--pilot ПОДРАЗДЕЛЕНИЕ] [--nps N0,N1,...,N10]\n"
    "                              [--programme-cost РУБ] [--sick-day-cost РУБ]\n"
    "                              [--replacement-cost РУБ] [--turnover-before ДОЛЯ]\n"
    "                              [--min-cell N] [--format table|json]\n"
    "\n"
    "Для каждого сегмента находит вариант программы (сеть клиник, модули, франшиза,\n"
    "соплатёж, годовой лимит) с наибольшей ценностью (балл 0..100 по обязательным\n"
    "модулям и приоритетам модулей сегмента) в пределах бюджета на человека и самый\n"
    "дешёвый вариант, достигающий целевого балла; объясняет выбор (почему, следующий\n"
    "по ценности вариант, что даёт ещё 1 000 руб. на человека); оценивает каждый через\n"
    "котировку группы и показывает его стоимость при росте убытков на 10/20/30%\n"
    "(частота, средний убыток, оба). compare оценивает рядом от двух до четырёх\n"
    "программ для одного списка застрахованных.\n"
    "funding сравнивает фиксированную премию с оплатой по факту (убытки + плата за\n"
    "обслуживание на человека в год, по умолчанию из тарифа, + доля убытков), со\n"
    "стоп-лоссом выше перцентиля убытков группы и без него (по умолчанию p90).\n"
    "crisis оценивает временную расширенную программу (по умолчанию: чек-ап как\n"
    "приоритетная диагностика и телемедицина, добавленные, где их нет) на N месяцев с\n"
    "ДАТЫ при частоте случаев x F (по умолчанию 1.3) как дополнение к договору в\n"
    "середине года, пропорционально дням.\n"
    "effect показывает долю обратившихся, визиты на 1 000, стоимость случая, дни\n"
    "больничного на сотрудника до и после (файл HR), NPS (число ответов 0..10) и ROI\n"
    "с исходными данными; --pilot сравнивает одно подразделение с остальными; ячейки,\n"
    "где меньше --min-cell человек (по умолчанию 5), скрываются.\n"
    "\n"
    "  --census ФАЙЛ   люди: CSV или JSON\n"
    "  --budgets ФАЙЛ  сегменты с budget_per_head / target_value (examples/budgets/)\n"
    "  --survey ФАЙЛ   опрос сотрудников по сегментам (средние оценки 0..5 и число\n"
    "                  ответивших; сегмент, где их меньше 5, не учитывается)\n"
    "  --plans ФАЙЛЫ   файлы программ для сравнения (examples/plans/, examples/compare/)\n"
    "  --tariff ФАЙЛ   тариф страховщика (по умолчанию tariffs/corporate-2026.json)\n"
    "  --model ФАЙЛ    актуарная модель (по умолчанию models/ru-2026.json)\n"
    "  --format F      table (по умолчанию) или json\n";

static const char bank_en[] =
    "usage: dmsrate bank price [--tariff FILE] [--model FILE] [--format table|json]\n"
    "       dmsrate bank projection [--cards N] [--months M] [--uptake U] [--lapse L]\n"
    "                               [--new-sales K] [--request FILE] [--tariff FILE]\n"
    "                               [--model FILE] [--format table|json]\n"
    "\n"
    "price: the monthly price per card meeting the target loss ratio (claims / price)\n"
    "with expected claims, bank commission, insurer expense and profit.\n"
    "projection: active cards, premium, claims with a P5-P95 band, commission and loss\n"
    "ratio per month, and penetration, ARPU uplift, claims per 1,000, cost per claim.\n"
    "\n"
    "  --tariff FILE   bank tariff (default tariffs/bank-premium-card-2026.json)\n"
    "  --model FILE    actuarial model (default models/ru-2026.json)\n"
    "  --request FILE  projection inputs as JSON (see examples/bank/); flags override it\n"
    "  --cards N       premium cards in the base (required without --request)\n"
    "  --months M      1..60 (default 12)\n"
    "  --uptake U      share of the base buying in month 1 (default 0.05)\n"
    "  --lapse L       share of add-ons cancelled a month (default 0.03)\n"
    "  --new-sales K   add-ons sold a month from month 2 (default 100)\n"
    "  --format F      table (default) or json\n";

static const char bank_ru[] =
    "использование: dmsrate bank price [--tariff ФАЙЛ] [--model ФАЙЛ] [--format table|json]\n"
    "               dmsrate bank projection [--cards N] [--months M] [--uptake U] [--lapse L]\n"
    "                                       [--new-sales K] [--request ФАЙЛ] [--tariff ФАЙЛ]\n"
    "                                       [--model ФАЙЛ] [--format table|json]\n"
    "\n"
    "price: цена одной карты в месяц при целевой убыточности (убытки / цена)\n"
    "с ожидаемыми убытками, комиссией банка, расходами и прибылью страховщика.\n"
    "projection: по месяцам активные карты, премия, убытки с коридором P5-P95, комиссия и\n"
    "убыточность, а также проникновение, прирост ARPU, число убытков на 1 000, средний убыток.\n"
    "\n"
    "  --tariff ФАЙЛ   банковский тариф (по умолчанию tariffs/bank-premium-card-2026.json)\n"
    "  --model ФАЙЛ    актуарная модель (по умолчанию models/ru-2026.json)\n"
    "  --request ФАЙЛ  исходные данные прогноза в JSON (см. examples/bank/); флаги важнее\n"
    "  --cards N       премиальных карт в базе (обязателен без --request)\n"
    "  --months M      1..60 (по умолчанию 12)\n"
    "  --uptake U      доля базы, купившая опцию в первый месяц (по умолчанию 0.05)\n"
    "  --lapse L       доля опций, отключаемых за месяц (по умолчанию 0.03)\n"
    "  --new-sales K   опций, продаваемых в месяц со второго месяца (по умолчанию 100)\n"
    "  --format F      table (по умолчанию) или json\n";

static const char claims_en[] =
    "usage: dmsrate claims import --db FILE --employer NAME --year YYYY --register FILE\n"
    "       dmsrate claims rate   (--register FILE | --db FILE --employer NAME --year YYYY)\n"
    "                             [--membership FILE] --experience FROM:TO --renewal FROM:TO\n"
    "                             [--model FILE] [--p 0.90 --k 0.05 | --bs-k K]\n"
    "                             [--census FILE --plan FILE [--tariff FILE]]\n"
    "                             [--last-premium ROUBLES]\n"
    "       dmsrate claims report NAME (--register FILE | --db ...) [--membership FILE]\n"
    "                             --period FROM:TO [--min-cell 5] [--department NAME]\n"
    "                             [--limit MODULE=ROUBLES]... [--premium-per-member-month R]\n"
    "                             [--format csv|json|xlsx] [--lang en|ru] [--tariff FILE]\n"
    "\n"
    "Claims registers (реестр оказанных услуг): CSV, Russian or English headers; diagnosis\n"
    "and name columns are dropped and never stored. Dates are YYYY-MM-DD.\n"
    "Reports: insured, utilisation, expense, limits, clinics, loss_ratio. Any cell resting\n"
    "on fewer than --min-cell people is printed as <N. --lang ru (or --ru): CSV for Russian\n"
    "Excel (UTF-8 BOM, ';', decimal comma, Russian headers and, with the tariff's names,\n"
    "Russian module names); English by default.\n"
    "Without --membership, exposure (member-months) comes from the stored register of\n"
    "insured people of --employer ID (dmsrate register import) in --db.\n";

static const char claims_ru[] =
    "использование: dmsrate claims import --db ФАЙЛ --employer ИМЯ --year ГГГГ --register ФАЙЛ\n"
    "               dmsrate claims rate   (--register ФАЙЛ | --db ФАЙЛ --employer ИМЯ --year "
    "ГГГГ)\n"
    "                                     [--membership ФАЙЛ] --experience С:ПО --renewal С:ПО\n"
    "                                     [--model ФАЙЛ] [--p 0.90 --k 0.05 | --bs-k K]\n"
    "                                     [--census ФАЙЛ --plan ФАЙЛ [--tariff ФАЙЛ]]\n"
    "                                     [--last-premium РУБ]\n"
    "               dmsrate claims report ОТЧЁТ (--register ФАЙЛ | --db ...) [--membership ФАЙЛ]\n"
    "                                     --period С:ПО [--min-cell 5] [--department ИМЯ]\n"
    "                                     [--limit МОДУЛЬ=РУБ]... [--premium-per-member-month R]\n"
    "                                     [--format csv|json|xlsx] [--lang en|ru] [--tariff ФАЙЛ]\n"
    "\n"
    "Реестры оказанных услуг (реестры убытков): CSV с русскими или английскими заголовками;\n"
    "столбцы диагнозов и ФИО отбрасываются и никогда не сохраняются. Даты: ГГГГ-ММ-ДД.\n"
    "Отчёты: insured, utilisation, expense, limits, clinics, loss_ratio. Ячейка, за которой\n"
    "меньше --min-cell человек, печатается как <N. --lang ru (или --ru): CSV для русского\n"
    "Excel (UTF-8 с BOM, ';', десятичная запятая, русские заголовки и, с названиями из\n"
    "тарифа, русские названия модулей); по умолчанию на английском.\n"
    "Без --membership экспозиция (человеко-месяцы) берётся из сохранённого списка\n"
    "застрахованных работодателя --employer ID (dmsrate register import) в --db.\n";

static const char employers_en[] =
    "usage: dmsrate employers create --name NAME [--inn INN] [--db FILE]\n"
    "       dmsrate employers list [--db FILE]\n"
    "\n"
    "Employers (tenants) of the service: each has its own policy, census, register\n"
    "of insured people, elections and keys.\n"
    "  --name NAME   the employer's name (название), required for create\n"
    "  --inn INN     its ИНН: 10 digits (12 for an individual entrepreneur)\n"
    "  --db FILE     the service's database (default var/dmsrate.db), or a\n"
    "                postgresql:// URI\n"
    "create prints the new employer's id on stdout.\n";

static const char employers_ru[] =
    "использование: dmsrate employers create --name ИМЯ [--inn ИНН] [--db ФАЙЛ]\n"
    "               dmsrate employers list [--db ФАЙЛ]\n"
    "\n"
    "Работодатели (клиенты) сервиса: у каждого свои полис, список сотрудников, список\n"
    "застрахованных, выбор модулей и ключи.\n"
    "  --name ИМЯ    название работодателя, обязательно для create\n"
    "  --inn ИНН     его ИНН: 10 цифр (12 для индивидуального предпринимателя)\n"
    "  --db ФАЙЛ     база данных сервиса (по умолчанию var/dmsrate.db) или\n"
    "                URI postgresql://\n"
    "create печатает id нового работодателя в stdout.\n";

static const char keys_en[] =
    "usage: dmsrate keys create --role ROLE [--employer ID]... [--employee ID] [--department D]\n"
    "                           [--expires 90d] [--db FILE]\n"
    "       dmsrate keys list [--employer ID] [--db FILE]\n"
    "       dmsrate keys revoke ID [--db FILE]\n"
    "       dmsrate keys rotate ID [--db FILE]\n"
    "\n"
    "Creates an API key and prints it once on stdout; only its SHA-256 is stored.\n"
    "  --role ROLE       employee | hr | manager | finance | broker | insurer\n"
    "  --employer ID     the employer (dmsrate employers list): one for employee, hr,\n"
    "                    manager and finance keys (default 1); repeat it for a broker;\n"
    "                    none for insurer keys, which reach every employer\n"
    "  --employee ID     the employee's id (табельный номер): required for employee keys\n"
    "  --department D    the department (подразделение): required for manager keys\n"
    "  --expires Nd      the key stops working N days from now (default: never)\n"
    "  --db FILE         the service's database (default var/dmsrate.db), or a\n"
    "                    postgresql:// URI\n"
    "rotate prints a new key with the same scope and revokes the old one.\n"
    "Clients send a key as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.\n";

static const char keys_ru[] =
    "использование: dmsrate keys create --role РОЛЬ [--employer ID]... [--employee ID] "
    "[--department П]\n"
    "                                   [--expires 90d] [--db ФАЙЛ]\n"
    "               dmsrate keys list [--employer ID] [--db ФАЙЛ]\n"
    "               dmsrate keys revoke ID [--db ФАЙЛ]\n"
    "               dmsrate keys rotate ID [--db ФАЙЛ]\n"
    "\n"
    "Создаёт ключ API и печатает его один раз в stdout; хранится только его SHA-256.\n"
    "  --role РОЛЬ       employee | hr | manager | finance | broker | insurer\n"
    "  --employer ID     работодатель (dmsrate employers list): один для ключей employee, hr,\n"
    "                    manager и finance (по умолчанию 1); для broker флаг повторяется;\n"
    "                    ни одного для ключей insurer, которым доступны все работодатели\n"
    "  --employee ID     табельный номер сотрудника: обязателен для ключей employee\n"
    "  --department П    подразделение: обязательно для ключей manager\n"
    "  --expires Nd      ключ перестаёт действовать через N дней (по умолчанию бессрочный)\n"
    "  --db ФАЙЛ         база данных сервиса (по умолчанию var/dmsrate.db) или\n"
    "                    URI postgresql://\n"
    "rotate печатает новый ключ с теми же правами и отзывает старый.\n"
    "Клиенты передают ключ как 'Authorization: Bearer КЛЮЧ' или 'X-Api-Key: КЛЮЧ'.\n";

static const char register_en[] =
    "usage: dmsrate register import  --employer ID --file FILE [--today YYYY-MM-DD] [--db FILE]\n"
    "       dmsrate register list    --employer ID [--department D] [--status S]\n"
    "                                [--programme P] [--offset N] [--limit N] [--db FILE]\n"
    "       dmsrate register history --employer ID --policy NUMBER [--db FILE]\n"
    "       dmsrate register export  --employer ID --what list|changes|insured\n"
    "                                [--from YYYY-MM-DD] [--to YYYY-MM-DD] --out FILE.csv|.xlsx\n"
    "       dmsrate register window  --employer ID --days N [--db FILE]\n"
    "\n"
    "The register of insured people of an employer (список застрахованных).\n"
    "  import   the insurer's template (CSV or XLSX; actions прикрепить, открепить,\n"
    "           приостановить, изменить программу), checked whole: every faulty row is\n"
    "           printed at file:line:column and nothing is applied (exit 2)\n"
    "  list     one page, ordered by ФИО (--limit 50 by default)\n"
    "  history  every change of one person: effective date, when entered, by whom\n"
    "  export   the current list, the changes of a period (the attach/detach list) or\n"
    "           the insured-list report, as CSV (Russian Excel) or XLSX by --out's suffix\n"
    "  window   how many days back a change may take effect (default 30)\n"
    "  --db FILE  the service's database (default var/dmsrate.db)\n";

static const char register_ru[] =
    "использование: dmsrate register import  --employer ID --file ФАЙЛ [--today ГГГГ-ММ-ДД] [--db "
    "ФАЙЛ]\n"
    "               dmsrate register list    --employer ID [--department П] [--status S]\n"
    "                                        [--programme P] [--offset N] [--limit N] [--db ФАЙЛ]\n"
    "               dmsrate register history --employer ID --policy НОМЕР [--db ФАЙЛ]\n"
    "               dmsrate register export  --employer ID --what list|changes|insured\n"
    "                                        [--from ГГГГ-ММ-ДД] [--to ГГГГ-ММ-ДД] --out "
    "ФАЙЛ.csv|.xlsx\n"
    "               dmsrate register window  --employer ID --days N [--db ФАЙЛ]\n"
    "\n"
    "Список застрахованных работодателя.\n"
    "  import   шаблон страховщика (CSV или XLSX; действия прикрепить, открепить,\n"
    "           приостановить, изменить программу) проверяется целиком: каждая ошибочная\n"
    "           строка печатается как файл:строка:столбец, и ничего не применяется (код 2)\n"
    "  list     одна страница по ФИО (по умолчанию --limit 50)\n"
    "  history  все изменения одного человека: дата действия, когда внесено, кем\n"
    "  export   текущий список, изменения за период (списки прикрепления и открепления)\n"
    "           или отчёт о застрахованных, в CSV (русский Excel) или XLSX по расширению --out\n"
    "  window   на сколько дней назад может действовать изменение (по умолчанию 30)\n"
    "  --db ФАЙЛ  база данных сервиса (по умолчанию var/dmsrate.db)\n";

static const char notify_en[] =
    "usage: dmsrate notify contact --employer ID --role ROLE [--employee ID] --email ADDR\n"
    "       dmsrate notify run     [--today YYYY-MM-DD] [--smtp smtp://HOST:PORT]\n"
    "                              [--from ADDR] [--now UNIX_SECONDS]\n"
    "       dmsrate notify inbox   --employer ID --role ROLE [--employee ID]\n"
    "       dmsrate notify log     --employer ID\n"
    "  (every action takes --db FILE, default var/dmsrate.db)\n"
    "\n"
    "Notifications: status changes of insured people, elections and reimbursement\n"
    "requests; the programme ending in 30/14/1 days; invoices due (3 days before)\n"
    "and overdue; keys expiring in 7/1 days.\n"
    "  contact  the e-mail of a role (hr, finance, insurer) or of an employee\n"
    "  run      the daily scan for --today (default today) and, with --smtp, the\n"
    "           e-mails due by --now (default now)\n"
    "  inbox    the in-cabinet inbox of a role (and employee)\n"
    "  log      every notification: to whom, what, when, queued/delivered/failed/retried\n";

static const char notify_ru[] =
    "использование: dmsrate notify contact --employer ID --role РОЛЬ [--employee ID] --email "
    "АДРЕС\n"
    "               dmsrate notify run     [--today ГГГГ-ММ-ДД] [--smtp smtp://ХОСТ:ПОРТ]\n"
    "                                      [--from АДРЕС] [--now UNIX_СЕКУНДЫ]\n"
    "               dmsrate notify inbox   --employer ID --role РОЛЬ [--employee ID]\n"
    "               dmsrate notify log     --employer ID\n"
    "  (каждое действие принимает --db ФАЙЛ, по умолчанию var/dmsrate.db)\n"
    "\n"
    "Уведомления: изменения статуса застрахованных, выбор модулей и заявления на\n"
    "возмещение; окончание программы через 30/14/1 дней; сроки оплаты счетов (за 3 дня)\n"
    "и просрочка; истечение ключей через 7/1 дней.\n"
    "  contact  e-mail роли (hr, finance, insurer) или сотрудника\n"
    "  run      ежедневная проверка на --today (по умолчанию сегодня) и, с --smtp,\n"
    "           отправка писем, срок которых наступил к --now (по умолчанию сейчас)\n"
    "  inbox    входящие роли (и сотрудника) в личном кабинете\n"
    "  log      все уведомления: кому, что, когда, queued/delivered/failed/retried\n";

static const char finance_en[] =
    "usage: dmsrate finance contract --employer ID [--file CONTRACT.json] [--db FILE]\n"
    "       dmsrate finance invoice  --employer ID [--today YYYY-MM-DD] [--db FILE]\n"
    "       dmsrate finance invoices --employer ID [--today YYYY-MM-DD] [--db FILE]\n"
    "       dmsrate finance pay      --employer ID --date D --number N --amount RUB --inn INN\n"
    "                                [--purpose TEXT] [--invoice NUMBER] [--db FILE]\n"
    "       dmsrate finance import   --employer ID --file STATEMENT.csv|.txt [--db FILE]\n"
    "       dmsrate finance accruals --employer ID --from D --to D [--db FILE]\n"
    "       dmsrate finance debts    --employer ID [--today YYYY-MM-DD] [--db FILE]\n"
    "       dmsrate finance act      --employer ID --from D --to D [--out FILE.csv|.xlsx]\n"
    "\n"
    "Payments and reconciliation of an employer's contract (платежи и сверки).\n"
    "  contract  set the billing terms from JSON (schedule monthly|quarterly, due_days,\n"
    "            payer_inn, rates: programme -> annual premium per person in roubles),\n"
    "            or show them\n"
    "  invoice   issue the invoices of every period begun by --today (default today)\n"
    "  invoices  every invoice with what is paid and what is open\n"
    "  pay       record one payment (matched to an invoice by number or amount)\n"
    "  import    a bank statement; a payment already recorded is skipped\n"
    "  accruals  each insured person's pro rata premium over [from, to]\n"
    "  debts     open and overdue invoices, credit, and the next invoice expected\n"
    "  act       the reconciliation act (акт сверки): to stdout, or CSV/XLSX by --out\n"
    "  Dates are YYYY-MM-DD; amounts roubles \"1234.56\"; --db defaults to var/dmsrate.db\n";

static const char finance_ru[] =
    "использование: dmsrate finance contract --employer ID [--file CONTRACT.json] [--db ФАЙЛ]\n"
    "               dmsrate finance invoice  --employer ID [--today ГГГГ-ММ-ДД] [--db ФАЙЛ]\n"
    "               dmsrate finance invoices --employer ID [--today ГГГГ-ММ-ДД] [--db ФАЙЛ]\n"
    "               dmsrate finance pay      --employer ID --date Д --number N --amount РУБ --inn "
    "ИНН\n"
    "                                        [--purpose ТЕКСТ] [--invoice НОМЕР] [--db ФАЙЛ]\n"
    "               dmsrate finance import   --employer ID --file STATEMENT.csv|.txt [--db ФАЙЛ]\n"
    "               dmsrate finance accruals --employer ID --from Д --to Д [--db ФАЙЛ]\n"
    "               dmsrate finance debts    --employer ID [--today ГГГГ-ММ-ДД] [--db ФАЙЛ]\n"
    "               dmsrate finance act      --employer ID --from Д --to Д [--out ФАЙЛ.csv|.xlsx]\n"
    "\n"
    "Платежи и сверки по договору работодателя.\n"
    "  contract  задать условия расчётов из JSON (schedule monthly|quarterly, due_days,\n"
    "            payer_inn, rates: программа -> годовая премия на человека в рублях)\n"
    "            или показать их\n"
    "  invoice   выставить счета всех периодов, начавшихся к --today (по умолчанию сегодня)\n"
    "  invoices  все счета: что оплачено и что осталось оплатить\n"
    "  pay       записать один платёж (сопоставляется со счётом по номеру или сумме)\n"
    "  import    банковская выписка; уже записанный платёж пропускается\n"
    "  accruals  премия каждого застрахованного пропорционально дням за [from, to]\n"
    "  debts     открытые и просроченные счета, переплата и следующий ожидаемый счёт\n"
    "  act       акт сверки: в stdout или в CSV/XLSX по --out\n"
    "  Даты в виде ГГГГ-ММ-ДД; суммы в рублях \"1234.56\"; --db по умолчанию var/dmsrate.db\n";

static const char enrol_en[] =
    "usage: dmsrate enrol import [--employer ID] --policy FILE --census FILE [--db FILE]\n"
    "\n"
    "Validates and stores the employer's policy (JSON) and census (CSV) for the\n"
    "module picker of `dmsrate serve`.\n"
    "  --employer ID   the employer (dmsrate employers create); default 1\n"
    "  --policy FILE   a policy such as examples/policies/midsize-2026.json\n"
    "  --census FILE   a census such as examples/census/midsize-450.csv\n"
    "  --db FILE       the service's database (default var/dmsrate.db), or a\n"
    "                  postgresql:// URI\n";

static const char enrol_ru[] =
    "использование: dmsrate enrol import [--employer ID] --policy ФАЙЛ --census ФАЙЛ [--db ФАЙЛ]\n"
    "\n"
    "Проверяет и сохраняет полис работодателя (JSON) и список сотрудников (CSV) для\n"
    "выбора модулей в `dmsrate serve`.\n"
    "  --employer ID   работодатель (dmsrate employers create); по умолчанию 1\n"
    "  --policy ФАЙЛ   полис, например examples/policies/midsize-2026.json\n"
    "  --census ФАЙЛ   список сотрудников, например examples/census/midsize-450.csv\n"
    "  --db ФАЙЛ       база данных сервиса (по умолчанию var/dmsrate.db) или\n"
    "                  URI postgresql://\n";

static const struct {
    const char *command;
    const char *en;
    const char *ru;
} helps[] = {
    {"aggregate", dms_aggregate_usage, aggregate_ru},
    {"serve", serve_en, serve_ru},
    {"quote", quote_en, quote_ru},
    {"budget", budget_en, budget_ru},
    {"bank", bank_en, bank_ru},
    {"claims", claims_en, claims_ru},
    {"employers", employers_en, employers_ru},
    {"keys", keys_en, keys_ru},
    {"register", register_en, register_ru},
    {"notify", notify_en, notify_ru},
    {"finance", finance_en, finance_ru},
    {"enrol", enrol_en, enrol_ru},
};

int cli_action_help(const char *command, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)
        return -1;
    cli_usage(command, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
}

void cli_usage(const char *command, FILE *out)
{
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
        if (strcmp(helps[i].command, command) == 0) {
            fputs(cli_russian() ? helps[i].ru : helps[i].en, out);
            return;
        }
    /* Only a command missing from the table gets here: say so rather than
     * print nothing. */
    fprintf(out, "dmsrate %s: no help text\n", command);
}
