#!/usr/bin/env python3
"""Generate the example census files in examples/census/.

Deterministic (fixed seeds, python3 standard library only): running it again
produces byte-identical files, so the test suite can assert exact counts.

    python3 tools/gen_census.py [OUTPUT_DIR]     (default: examples/census)

Three groups, each with a different export style, as HR systems produce them:

  startup-60.csv     60 people: a young Moscow IT company, hybrid/remote work,
                     few families. Russian headers, ';', UTF-8 BOM, CRLF,
                     DD.MM.YYYY dates, Russian values (сотрудник, М/Ж...).
  midsize-450.csv    450 people incl. family members: mixed ages, several
                     cities. English headers, ',', LF, ISO dates, English
                     values, some quoted fields (departments with commas).
  holding-5000.csv   5000 people: an industrial holding with many departments
                     and plants in small towns, a segment column. Russian
                     headers, ';', LF.

Ages follow the shape of the Russian working population (Rosstat, 2024): the
large 1980s cohorts (now 35-45) and the small 1990s cohorts (now 25-35).
Birth dates are drawn relative to 1 January 2026. Children are 0-17 and born
when the parent was 20-45; spouses are of the other sex and of similar age.
"""

import datetime
import os
import random
import sys

AS_OF = datetime.date(2026, 1, 1)

# Share of employees by 5-year age band (20-24 ... 60-64), shaped like the
# Russian labour force: few 20-24, a trough at 25-34, a bulge at 35-49.
WORKFORCE_BANDS = [
    (20, 0.06), (25, 0.09), (30, 0.13), (35, 0.16), (40, 0.16),
    (45, 0.13), (50, 0.11), (55, 0.10), (60, 0.06),
]
STARTUP_BANDS = [(21, 0.18), (25, 0.34), (30, 0.28), (35, 0.13), (40, 0.05), (45, 0.02)]
HOLDING_BANDS = [
    (20, 0.05), (25, 0.08), (30, 0.12), (35, 0.15), (40, 0.15),
    (45, 0.14), (50, 0.12), (55, 0.11), (60, 0.06), (65, 0.02),
]


def pick(rng, weighted):
    r = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        r -= w
        if r <= 0:
            return value
    return weighted[-1][0]


def birth_date(rng, age):
    """A birth date giving `age` full years on AS_OF."""
    latest = AS_OF.replace(year=AS_OF.year - age)          # turned `age` today
    earliest = AS_OF.replace(year=AS_OF.year - age - 1) + datetime.timedelta(days=1)
    span = (latest - earliest).days
    return earliest + datetime.timedelta(days=rng.randint(0, span))


def employee_age(rng, bands):
    start = pick(rng, bands)
    width = 4 if start != 21 else 3
    return start + rng.randint(0, width)


def family(rng, age, sex, spouse_p, child_rate):
    """Insured family members of one employee: list of (relation, date, sex)."""
    members = []
    if rng.random() < spouse_p * (0.5 if age < 25 else 1.0):
        s_age = max(19, min(75, age + int(round(rng.gauss(-2 if sex == 'M' else 2, 3)))))
        members.append(('spouse', birth_date(rng, s_age), 'F' if sex == 'M' else 'M'))
    if 24 <= age <= 60:
        n = 0
        while rng.random() < child_rate * (0.55 ** n) and n < 4:
            n += 1
        for _ in range(n):
            lo = max(0, age - 45)
            hi = min(17, age - 20)
            if lo > hi:
                break
            members.append(('child', birth_date(rng, rng.randint(lo, hi)), rng.choice('MF')))
    return members


def build(rng, total, bands, male_p, spouse_p, child_rate, make_employee):
    """Rows of (employee_id, relation, date, sex, extra) with exactly `total` rows."""
    rows = []
    n = 0
    while len(rows) < total:
        n += 1
        age = employee_age(rng, bands)
        sex = 'M' if rng.random() < male_p else 'F'
        extra = make_employee(rng, n, age)
        emp_id = extra.pop('id')
        rows.append((emp_id, 'employee', birth_date(rng, age), sex, extra))
        for rel, date, fsex in family(rng, age, sex, spouse_p, child_rate):
            if len(rows) >= total:
                break
            rows.append((emp_id, rel, date, fsex, extra))
    return rows


def write(path, lines, delim, bom, crlf):
    def quote(v):
        if any(c in v for c in (delim, '"', '\n', '\r')):
            return '"' + v.replace('"', '""') + '"'
        return v
    eol = '\r\n' if crlf else '\n'
    text = eol.join(delim.join(quote(v) for v in line) for line in lines) + eol
    with open(path, 'wb') as f:
        if bom:
            f.write(b'\xef\xbb\xbf')
        f.write(text.encode('utf-8'))


RU_REL = {'employee': 'сотрудник', 'child': 'ребёнок'}
RU_SEX = {'M': 'М', 'F': 'Ж'}


def startup(outdir):
    rng = random.Random(20260101)
    depts = [('Разработка', 0.45), ('Продукт', 0.12), ('Дизайн', 0.08), ('Маркетинг', 0.1),
             ('Продажи', 0.12), ('Администрация', 0.05), ('Поддержка', 0.08)]

    def emp(r, n, age):
        return {'id': 'S%03d' % n, 'dept': pick(r, depts),
                'mode': pick(r, [('гибрид', 0.55), ('удалённо', 0.35), ('офис', 0.10)])}

    rows = build(rng, 60, STARTUP_BANDS, 0.64, 0.08, 0.12, emp)
    lines = [['Табельный номер', 'Степень родства', 'Дата рождения', 'Пол', 'Город',
              'Подразделение', 'Формат работы']]
    for emp_id, rel, date, sex, extra in rows:
        if rel == 'spouse':
            ru_rel = 'супруга' if sex == 'F' else 'супруг'
        else:
            ru_rel = RU_REL[rel]
        lines.append([emp_id, ru_rel, date.strftime('%d.%m.%Y'), RU_SEX[sex], 'Москва',
                      extra['dept'], extra['mode'] if rel == 'employee' else ''])
    write(os.path.join(outdir, 'startup-60.csv'), lines, ';', True, True)
    return rows


def midsize(outdir):
    rng = random.Random(450)
    cities = [('Москва', 0.38), ('Санкт-Петербург', 0.18), ('Казань', 0.1),
              ('Екатеринбург', 0.1), ('Новосибирск', 0.08), ('Нижний Новгород', 0.06),
              ('Тула', 0.05), ('Самара', 0.05)]
    depts = [('Sales, B2B', 0.14), ('Sales, retail', 0.12), ('Logistics', 0.16),
             ('Warehouse', 0.16), ('Finance', 0.08), ('IT', 0.1), ('HR', 0.04),
             ('Customer service', 0.12), ('Management', 0.04), ('Legal "Pravo"', 0.04)]

    def emp(r, n, age):
        dept = pick(r, depts)
        if dept == 'Warehouse':
            mode = 'office'
        elif dept.startswith('Sales') or dept == 'Logistics':
            mode = pick(r, [('field', 0.5), ('office', 0.3), ('hybrid', 0.2)])
        else:
            mode = pick(r, [('office', 0.5), ('hybrid', 0.35), ('remote', 0.15)])
        return {'id': str(100000 + n * 7), 'dept': dept, 'city': pick(r, cities), 'mode': mode}

    rows = build(rng, 450, WORKFORCE_BANDS, 0.5, 0.12, 0.24, emp)
    lines = [['employee_id', 'relation', 'birth_date', 'sex', 'region', 'department',
              'work_mode']]
    for emp_id, rel, date, sex, extra in rows:
        lines.append([emp_id, rel, date.isoformat(), sex, extra['city'], extra['dept'],
                      extra['mode'] if rel == 'employee' else ''])
    write(os.path.join(outdir, 'midsize-450.csv'), lines, ',', False, False)
    return rows


def holding(outdir):
    rng = random.Random(5000)
    sites = [('Москва', 0.16), ('Санкт-Петербург', 0.06), ('Норильск', 0.12),
             ('Мончегорск', 0.06), ('Кировск', 0.05), ('Апатиты', 0.05),
             ('Заполярный', 0.04), ('Череповец', 0.1), ('Сургут', 0.07),
             ('Когалым', 0.04), ('Ухта', 0.04), ('Березники', 0.05),
             ('Красноярск', 0.06), ('Мурманская область', 0.03), ('Вологодская обл.', 0.03)]
    units = ['Рудник', 'Обогатительная фабрика', 'Плавильный цех', 'Энергоцех',
             'Ремонтно-механический цех', 'Транспортный цех', 'Лаборатория ОТК',
             'Бухгалтерия', 'Отдел кадров', 'ИТ-служба', 'Служба охраны труда',
             'Отдел снабжения', 'Юридический отдел', 'Дирекция']
    office_units = {'Бухгалтерия', 'Отдел кадров', 'ИТ-служба', 'Юридический отдел',
                    'Дирекция', 'Отдел снабжения'}

    def emp(r, n, age):
        site = pick(r, sites)
        unit = r.choice(units)
        if site in ('Москва', 'Санкт-Петербург'):
            unit = r.choice(sorted(office_units))
        dept = '%s №%d' % (unit, r.randint(1, 4)) if unit not in office_units else unit
        if unit == 'Дирекция' or (age >= 40 and r.random() < 0.08):
            segment = 'руководители'
        elif unit in office_units:
            segment = 'офис'
        elif age < 30 and r.random() < 0.5:
            segment = 'молодые специалисты'
        else:
            segment = 'производство'
        if unit in office_units:
            mode = pick(r, [('офис', 0.7), ('гибрид', 0.25), ('удалённо', 0.05)])
        elif unit == 'Транспортный цех':
            mode = 'разъездной'
        else:
            mode = 'офис'
        return {'id': '%08d' % (n * 3 + 17), 'site': site, 'dept': dept, 'segment': segment,
                'mode': mode}

    rows = build(rng, 5000, HOLDING_BANDS, 0.62, 0.14, 0.28, emp)
    lines = [['Табельный номер', 'Связь', 'Дата рождения', 'Пол', 'Регион', 'Подразделение',
              'Сегмент', 'Режим работы']]
    for emp_id, rel, date, sex, extra in rows:
        ru_rel = 'супруг(а)' if rel == 'spouse' else RU_REL[rel]
        lines.append([emp_id, ru_rel, date.strftime('%d.%m.%Y'), RU_SEX[sex], extra['site'],
                      extra['dept'], extra['segment'],
                      extra['mode'] if rel == 'employee' else ''])
    write(os.path.join(outdir, 'holding-5000.csv'), lines, ';', False, False)
    return rows


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'examples', 'census')
    os.makedirs(outdir, exist_ok=True)
    for name, fn in (('startup-60', startup), ('midsize-450', midsize),
                     ('holding-5000', holding)):
        rows = fn(outdir)
        counts = {r: sum(1 for x in rows if x[1] == r) for r in ('employee', 'spouse', 'child')}
        print('%s: %d rows, %d employees, %d spouses, %d children' % (
            name, len(rows), counts['employee'], counts['spouse'], counts['child']))


if __name__ == '__main__':
    main()
