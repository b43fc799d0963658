"""Swedish holidays by python3-holidays (Debian), the oracle for tests/it_holidays.sh.

holidays_oracle.py FIRST LAST prints one 'YYYY-MM-DD' a line: the public
holidays plus midsommarafton, julafton and nyårsafton, with the historical
changes. With --workdays it prints every day of the years instead, as
'YYYY-MM-DD yes' (a working day: Monday-Friday and no holiday) or '... no'.
"""
import datetime
import sys

import holidays

first, last = int(sys.argv[1]), int(sys.argv[2])
workdays = "--workdays" in sys.argv[3:]
for year in range(first, last + 1):
    days = holidays.Sweden(years=year, include_sundays=False)
    if not workdays:
        for day in sorted(days):
            print(day.isoformat())
        continue
    day = datetime.date(year, 1, 1)
    while day.year == year:
        work = day.weekday() < 5 and day not in days
        print(day.isoformat(), "yes" if work else "no")
        day += datetime.timedelta(days=1)
