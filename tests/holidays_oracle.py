"""Swedish holidays 2000-2100 by python3-holidays (Debian), one 'YYYY-MM-DD' a line.

The oracle for tests/it_holidays.sh: it lists the public holidays plus
midsommarafton, julafton and nyårsafton, with the historical changes.
"""
import sys

import holidays

first, last = int(sys.argv[1]), int(sys.argv[2])
for year in range(first, last + 1):
    for day in sorted(holidays.Sweden(years=year, include_sundays=False)):
        print(day.isoformat())
