#!/usr/bin/env python3
"""Deterministic sample claims register (реестр оказанных услуг) and the
membership history it belongs to, for the examples and the 1,000,000-row
benchmark. The same arguments always give the same bytes.

    tools/gen_register.py --employees 300 --rows 6000 --year 2025 \
        --register examples/claims/register-2025.csv \
        --membership examples/claims/membership-2025.csv

The register has Russian headers, ';' separators, decimal commas and a
diagnosis column (Диагноз (МКБ-10)) on purpose: the parser drops it and says
so. Frequencies and costs are in line with models/ru-2026.json (2024 prices
plus about 11% medical inflation).
"""
import argparse
import datetime as dt
import random

MODULES = [  # category as insurers write it, relative frequency, mean cost (roubles)
    ("АПП", 4.5, 2600),
    ("Помощь на дому", 0.3, 3500),
    ("Скорая помощь", 0.1, 6000),
    ("Экстренная госпитализация", 0.03, 120000),
    ("Плановая госпитализация", 0.035, 160000),
    ("Стоматология", 1.5, 7000),
]
CLINICS = ["Медси", "СМ-Клиника", "Клиника Семейная", "Медицина", "ЕМС", "Скандинавия",
           "Стоматология Дента", "Поликлиника №1"]
DEPARTMENTS = ["Продажи", "Разработка", "Бухгалтерия", "Склад", "Маркетинг", "Поддержка"]
SEGMENTS = ["young", "family", "45+"]
ICD = ["J06.9", "K02.1", "M54.5", "I10", "Z00.0", "H52.1"]


def members(rng, employees, year):
    rows = []
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    for e in range(1, employees + 1):
        eid = f"T{e:06d}"
        age = rng.randint(21, 62)
        birth = dt.date(year - age, rng.randint(1, 12), rng.randint(1, 28))
        attach = dt.date(year - 1, 1, 1)
        detach = None
        r = rng.random()
        if r < 0.12:  # joined during the year
            attach = start + dt.timedelta(days=rng.randint(0, 330))
        elif r < 0.22:  # left during the year
            detach = start + dt.timedelta(days=rng.randint(30, 360))
        dept = rng.choice(DEPARTMENTS)
        seg = "45+" if age >= 45 else rng.choice(SEGMENTS[:2])
        sex = rng.choice("МЖ")
        rows.append((eid, "сотрудник", birth, sex, dept, seg, f"П{e:07d}", attach, detach))
        if rng.random() < 0.25:
            cb = dt.date(year - rng.randint(1, 16), rng.randint(1, 12), rng.randint(1, 28))
            rows.append((eid, "ребёнок", cb, rng.choice("МЖ"), dept, seg, f"П{e:07d}-1",
                         max(attach, cb), detach))
    return rows


def fmt_money(x):
    s = f"{x:,.2f}".replace(",", " ").replace(".", ",")
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--employees", type=int, default=300)
    ap.add_argument("--rows", type=int, default=6000)
    ap.add_argument("--year", type=int, default=2025)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--register", required=True)
    ap.add_argument("--membership")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    people = members(rng, a.employees, a.year)
    if a.membership:
        with open(a.membership, "w", encoding="utf-8", newline="") as f:
            f.write("Табельный номер;Связь;Дата рождения;Пол;Подразделение;Сегмент;"
                    "Номер полиса;Дата прикрепления;Дата открепления\r\n")
            for eid, rel, birth, sex, dept, seg, pol, att, det in people:
                f.write(f"{eid};{rel};{birth:%d.%m.%Y};{sex};{dept};{seg};{pol};"
                        f"{att:%d.%m.%Y};{det.strftime('%d.%m.%Y') if det else ''}\r\n")
    weights = [m[1] for m in MODULES]
    year_start = dt.date(a.year, 1, 1)
    with open(a.register, "w", encoding="utf-8", newline="") as f:
        f.write("Номер случая;Номер полиса;Табельный номер;Связь;Дата обращения;"
                "Дата оказания услуги;Категория услуги;Диагноз (МКБ-10);ЛПУ;Стоимость услуги;"
                "Оплачено страховщиком;Соплатёж;Статус\r\n")
        n = 0
        case = 0
        while n < a.rows:
            p = rng.choice(people)
            eid, rel, _, _, _, _, pol, att, det = p
            lo = max(att, year_start)
            hi = min(det or dt.date(a.year, 12, 31), dt.date(a.year, 12, 31))
            if hi < lo:
                continue
            visit = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
            cat, _, mean = rng.choices(MODULES, weights)[0]
            case += 1
            services = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
            clinic = rng.choice(CLINICS)
            for _ in range(services):
                if n >= a.rows:
                    break
                billed = round(rng.lognormvariate(0, 0.8) * mean / 1.377 / services, 2)
                copay = round(billed * 0.1, 2) if cat == "Стоматология" else 0.0
                status = "оплачено" if rng.random() > 0.03 else "отказ"
                paid = billed - copay if status == "оплачено" else 0.0
                f.write(f"{a.year % 100:02d}-{case:08d};{pol};{eid};{rel};{visit:%d.%m.%Y};"
                        f"{visit:%d.%m.%Y};{cat};{rng.choice(ICD)};{clinic};"
                        f"\"{fmt_money(billed)}\";\"{fmt_money(paid)}\";\"{fmt_money(copay)}\";"
                        f"{status}\r\n")
                n += 1


if __name__ == "__main__":
    main()
